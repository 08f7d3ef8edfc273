import { randomUUID } from 'node:crypto';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory, writeFileAtomically } from './atomic-file.js';
import { KafkaStorageError } from './log.js';
import { parsePartitionDirName } from './segment-files.js';

/** Files at the top of a log dir, named as Kafka names them. */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
/** High watermarks, written by Kafka's ReplicaManager. */
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';
/** Written by the log cleaner (src/log/cleaner/), not by the log manager. */
export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

/** KRaft's own log lives in the metadata log dir and is not a partition the manager serves. */
export const CLUSTER_METADATA_TOPIC = '__cluster_metadata';

export type PartitionDirKind = 'current' | 'delete' | 'future' | 'stray';

export interface PartitionDir {
  kind: PartitionDirKind;
  topic: string;
  partition: number;
}

/** "topic-partition.uniqueId-delete" (and -future, -stray), Kafka's renamed partition dirs. */
const SUFFIXED_DIR = /^(.+)-(\d+)\.([^.]+)-(delete|future|stray)$/;

/** What a directory found in a log dir is, or null when it is not a partition dir. */
export function classifyPartitionDir(name: string): PartitionDir | null {
  const suffixed = SUFFIXED_DIR.exec(name);
  if (suffixed) {
    return {
      kind: suffixed[4] as PartitionDirKind,
      topic: suffixed[1],
      partition: Number(suffixed[2]),
    };
  }
  const parsed = parsePartitionDirName(name);
  return parsed ? { kind: 'current', ...parsed } : null;
}

const MAX_FILE_NAME_LENGTH = 255;

/**
 * The name a deleted partition's dir is renamed to before it is removed: Kafka's
 * `topic-partition.uniqueId-delete`, with the topic cut short so the name fits in 255
 * characters.
 */
export function logDeleteDirName(
  topic: string,
  partition: number,
  uniqueId: string = randomUUID().replaceAll('-', ''),
): string {
  const suffix = `-${partition}.${uniqueId}-delete`;
  return `${topic.slice(0, Math.min(topic.length, MAX_FILE_NAME_LENGTH - suffix.length))}${suffix}`;
}

export async function hasCleanShutdownMarker(logDir: string): Promise<boolean> {
  try {
    await access(join(logDir, CLEAN_SHUTDOWN_FILE));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Kafka's marker content (CleanShutdownFileHandler): JSON with the broker epoch. */
export async function writeCleanShutdownMarker(logDir: string, brokerEpoch: bigint): Promise<void> {
  await writeFileAtomically(
    join(logDir, CLEAN_SHUTDOWN_FILE),
    `{"version":0,"brokerEpoch":${brokerEpoch}}`,
  );
}

/** Removes the marker durably, so a crash from now on is seen as one at the next start. */
export async function deleteCleanShutdownMarker(logDir: string): Promise<void> {
  await rm(join(logDir, CLEAN_SHUTDOWN_FILE), { force: true });
  await syncDirectory(logDir);
}

/** Error codes that mean the disk under a log dir is failing, not that a call was wrong. */
const DISK_ERROR_CODES = new Set(['ENOSPC', 'EIO', 'EROFS', 'EDQUOT']);

/** Whether `err` should take the log dir where it happened offline (Kafka's IOException). */
export function isDiskError(err: unknown): boolean {
  if (err instanceof KafkaStorageError) return true;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && DISK_ERROR_CODES.has(code);
}

import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../log/atomic-file.js';
import { offsetFileName } from '../log/segment-files.js';
import { decodeMessage, encodeMessage } from '../protocol/codec/compile.js';
import { crc32c } from '../protocol/crc32c.js';
import {
  ProducerSnapshotSpec,
  type ProducerEntry,
  type ProducerSnapshot,
} from '../protocol/messages/generated/producer-snapshot.js';

/**
 * Producer state snapshot files, byte for byte as Kafka writes them (`<offset>.snapshot` in
 * the partition dir, the offset being the log offset the state is valid up to, exclusive):
 * an int16 version (1), a uint32 CRC-32C of everything after it, then the ProducerSnapshot
 * struct (the entry array).
 */
export const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_VERSION = 1;
/** version (2) + crc (4): the CRC covers the bytes from here on. */
const ENTRIES_POSITION = 6;
const CRC_POSITION = 2;

export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotError';
}

export function snapshotPath(dir: string, offset: bigint): string {
  return join(dir, offsetFileName(offset, SNAPSHOT_SUFFIX));
}

export function encodeSnapshot(entries: readonly ProducerEntry[]): Buffer {
  const body = encodeMessage<ProducerSnapshot>(ProducerSnapshotSpec, SNAPSHOT_VERSION, {
    crc: 0,
    producerEntries: entries,
  });
  const file = Buffer.allocUnsafe(CRC_POSITION + body.length);
  file.writeInt16BE(SNAPSHOT_VERSION, 0);
  body.copy(file, CRC_POSITION);
  file.writeUInt32BE(crc32c(file.subarray(ENTRIES_POSITION)), CRC_POSITION);
  return file;
}

export function decodeSnapshot(file: Buffer): ProducerEntry[] {
  if (file.length < ENTRIES_POSITION) {
    throw new CorruptSnapshotError(`snapshot of ${file.length} bytes is too short`);
  }
  const version = file.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION) {
    throw new CorruptSnapshotError(`snapshot has unknown version ${version}`);
  }
  const stored = file.readUInt32BE(CRC_POSITION);
  const computed = crc32c(file.subarray(ENTRIES_POSITION));
  if (stored !== computed) {
    throw new CorruptSnapshotError(
      `snapshot is corrupt: stored crc ${stored} does not match computed crc ${computed}`,
    );
  }
  try {
    return decodeMessage<ProducerSnapshot>(
      ProducerSnapshotSpec,
      SNAPSHOT_VERSION,
      file.subarray(CRC_POSITION),
    ).producerEntries;
  } catch (err) {
    throw new CorruptSnapshotError(`snapshot does not parse: ${(err as Error).message}`);
  }
}

export function writeSnapshotFile(
  dir: string,
  offset: bigint,
  entries: readonly ProducerEntry[],
): Promise<void> {
  return writeFileAtomically(snapshotPath(dir, offset), encodeSnapshot(entries));
}

export async function readSnapshotFile(dir: string, offset: bigint): Promise<ProducerEntry[]> {
  return decodeSnapshot(await readFile(snapshotPath(dir, offset)));
}

/** Offsets of the snapshot files in `dir`, ascending. */
export async function listSnapshotOffsets(dir: string): Promise<bigint[]> {
  const offsets: bigint[] = [];
  for (const name of await readdir(dir)) {
    const match = /^(\d{20})\.snapshot$/.exec(name);
    if (match) offsets.push(BigInt(match[1]));
  }
  return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function deleteSnapshotFile(dir: string, offset: bigint): Promise<void> {
  return rm(snapshotPath(dir, offset), { force: true });
}

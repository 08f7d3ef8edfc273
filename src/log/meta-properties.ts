import { randomFillSync } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getProperties } from 'properties-file';
import { escapeKey, escapeValue } from 'properties-file/escape';
import { randomUuid, uuidToBytes } from '../protocol/primitives/uuid.js';
import { writeFileAtomically } from './atomic-file.js';

/**
 * meta.properties: the identity of a log dir, written by `kafka-storage format` and
 * checked at every start. KRaft uses version 1 with cluster.id, node.id and directory.id.
 */
export const META_PROPERTIES_FILE = 'meta.properties';

export interface MetaProperties {
  version: 1;
  clusterId: string;
  nodeId: number;
  /** Absent in files written before directory ids existed; the broker then adds one. */
  directoryId?: string;
}

export class MetaPropertiesError extends Error {
  override readonly name = 'MetaPropertiesError';
}

const INT32 = /^[+-]?\d+$/;

/** The dir's meta.properties, or null when the dir has none (not formatted). */
export async function readMetaProperties(dir: string): Promise<MetaProperties | null> {
  const path = join(dir, META_PROPERTIES_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
  const props = new Map(Object.entries(getProperties(text)));
  const version = props.get('version') ?? '0';
  if (version === '0') {
    throw new MetaPropertiesError(
      `${path} is version 0 (a ZooKeeper-mode broker); this broker needs a KRaft (version 1) file`,
    );
  }
  if (version !== '1') throw new MetaPropertiesError(`${path}: unknown version ${version}`);
  const clusterId = props.get('cluster.id');
  if (clusterId === undefined)
    throw new MetaPropertiesError(`cluster.id was not specified in the v1 file: ${path}`);
  const nodeIdText = props.get('node.id');
  if (nodeIdText === undefined)
    throw new MetaPropertiesError(`node.id was not specified in ${path}`);
  const nodeId = Number(nodeIdText);
  if (!INT32.test(nodeIdText) || nodeId !== (nodeId | 0)) {
    throw new MetaPropertiesError(
      `Unable to read node.id as a base-10 number in ${path}: ${nodeIdText}`,
    );
  }
  const meta: MetaProperties = { version: 1, clusterId, nodeId };
  const directoryId = props.get('directory.id');
  if (directoryId !== undefined) {
    if (!isValidUuid(directoryId)) {
      throw new MetaPropertiesError(
        `Unable to read directory.id as a Uuid in ${path}: ${directoryId}`,
      );
    }
    meta.directoryId = directoryId;
  }
  return meta;
}

/** Replaces the dir's meta.properties atomically (temp file, fsync, rename, dir fsync). */
export async function writeMetaProperties(
  dir: string,
  meta: MetaProperties,
  now: Date = new Date(),
): Promise<void> {
  const entries: [string, string][] = [
    ['version', String(meta.version)],
    ['cluster.id', meta.clusterId],
    ['node.id', String(meta.nodeId)],
  ];
  if (meta.directoryId !== undefined) entries.push(['directory.id', meta.directoryId]);
  await writeFileAtomically(join(dir, META_PROPERTIES_FILE), serializeProperties(entries, now));
}

/**
 * Writes properties as `Properties.store(writer, "")` does on a current JDK: an empty
 * comment line, a date comment, then `key=value` lines sorted by key.
 */
function serializeProperties(entries: Iterable<[string, string]>, date: Date): string {
  const lines = ['#', `#${javaDateString(date)}`];
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of sorted) lines.push(`${escapeKey(key)}=${escapeValue(value)}`);
  return `${lines.join('\n')}\n`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `java.util.Date.toString()` in UTC: "Tue Apr 09 12:00:00 UTC 2024". */
function javaDateString(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${two(date.getUTCDate())} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} UTC ` +
    `${date.getUTCFullYear()}`
  );
}

export interface FormatOptions {
  clusterId: string;
  nodeId: number;
  /** Generated when absent. */
  directoryId?: string;
  /** Leave an already formatted dir as it is instead of failing (`--ignore-formatted`). */
  ignoreFormatted?: boolean;
}

/** What `kafka-storage format` does to one log dir: create it and write meta.properties. */
export async function formatLogDir(dir: string, options: FormatOptions): Promise<MetaProperties> {
  if (!isValidUuid(options.clusterId)) {
    throw new MetaPropertiesError(
      `Cluster ID string ${options.clusterId} does not appear to be a valid UUID`,
    );
  }
  if (!Number.isInteger(options.nodeId) || options.nodeId < 0 || options.nodeId > 0x7fffffff) {
    throw new MetaPropertiesError(`node.id must be a non-negative int32, got ${options.nodeId}`);
  }
  await mkdir(dir, { recursive: true });
  const existing = await readMetaProperties(dir);
  if (existing) {
    if (options.ignoreFormatted) return existing;
    throw new MetaPropertiesError(
      `Log directory ${dir} is already formatted. Use ignoreFormatted to leave it as it is.`,
    );
  }
  const directoryId = options.directoryId ?? randomDirectoryId();
  if (!isValidUuid(directoryId) || isReservedDirectoryId(directoryId)) {
    throw new MetaPropertiesError(`${directoryId} cannot be a directory id`);
  }
  const meta: MetaProperties = {
    version: 1,
    clusterId: options.clusterId,
    nodeId: options.nodeId,
    directoryId,
  };
  await writeMetaProperties(dir, meta);
  return meta;
}

/** A random directory id outside Kafka's reserved range. */
export function randomDirectoryId(): string {
  for (;;) {
    const id = randomUuid((buf) => randomFillSync(buf));
    if (!isReservedDirectoryId(id)) return id;
  }
}

/** Kafka reserves the first 100 ids (most significant half zero) for UNASSIGNED, LOST, ... */
export function isReservedDirectoryId(id: string): boolean {
  const bytes = uuidToBytes(id);
  return bytes.readBigUInt64BE(0) === 0n && bytes.readBigUInt64BE(8) < 100n;
}

function isValidUuid(id: string): boolean {
  try {
    return uuidToBytes(id).toString('base64url') === id;
  } catch {
    return false;
  }
}

export interface LogDirIdentity {
  dir: string;
  meta: MetaProperties;
}

/**
 * Checks that every log dir belongs to the same cluster and node and that directory ids
 * are unique (Kafka's MetaPropertiesEnsemble.verify). Returns the shared identity.
 */
export function verifyLogDirIdentities(
  dirs: readonly LogDirIdentity[],
  expected: { clusterId?: string; nodeId?: number } = {},
): { clusterId: string; nodeId: number } {
  if (dirs.length === 0) throw new MetaPropertiesError('No readable meta.properties files found.');
  let clusterId = expected.clusterId;
  let nodeId = expected.nodeId;
  const seenDirectoryIds = new Map<string, string>();
  for (const { dir, meta } of dirs) {
    const path = join(dir, META_PROPERTIES_FILE);
    if (clusterId === undefined) clusterId = meta.clusterId;
    else if (meta.clusterId !== clusterId) {
      throw new MetaPropertiesError(
        `Invalid cluster.id in: ${path}. Expected ${clusterId}, but read ${meta.clusterId}`,
      );
    }
    if (nodeId === undefined) nodeId = meta.nodeId;
    else if (meta.nodeId !== nodeId) {
      throw new MetaPropertiesError(
        `Stored node id ${meta.nodeId} doesn't match previous node id ${nodeId} in ${path}. ` +
          'If you moved your data, make sure your configured node id matches. If you intend ' +
          'to create a new node, you should remove all data in your data directories.',
      );
    }
    if (meta.directoryId !== undefined) {
      if (isReservedDirectoryId(meta.directoryId)) {
        throw new MetaPropertiesError(
          `Invalid reserved directory ID ${meta.directoryId} found in ${dir}`,
        );
      }
      const previous = seenDirectoryIds.get(meta.directoryId);
      if (previous !== undefined) {
        throw new MetaPropertiesError(
          `Duplicate directory ID ${meta.directoryId} found. It was the ID of ${previous}, but also of ${dir}`,
        );
      }
      seenDirectoryIds.set(meta.directoryId, dir);
    }
  }
  return { clusterId: clusterId!, nodeId: nodeId! };
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ZERO_UUID, uuidToBytes } from '../protocol/primitives/uuid.js';
import { writeFileAtomically } from './atomic-file.js';

/**
 * partition.metadata: the topic id of a partition dir, so a recreated topic with the same
 * name is not mistaken for the old one. Kafka writes exactly "version: 0\ntopic_id: <id>"
 * (no trailing newline) and reads each line split at ":" plus whitespace.
 */
export const PARTITION_METADATA_FILE = 'partition.metadata';
const CURRENT_VERSION = 0;

export class PartitionMetadataError extends Error {
  override readonly name = 'PartitionMetadataError';
}

export async function writePartitionMetadata(partitionDir: string, topicId: string): Promise<void> {
  checkTopicId(topicId, partitionDir);
  await writeFileAtomically(
    join(partitionDir, PARTITION_METADATA_FILE),
    `version: ${CURRENT_VERSION}\ntopic_id: ${topicId}`,
  );
}

/** The topic id recorded in the partition dir, or undefined when there is no file. */
export async function readPartitionMetadata(partitionDir: string): Promise<string | undefined> {
  const path = join(partitionDir, PARTITION_METADATA_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const [versionLine = '', topicIdLine = ''] = text.split(/\r?\n/);
  const version = versionLine.split(/:\s+/);
  if (version.length !== 2 || !/^\d+$/.test(version[1])) {
    throw new PartitionMetadataError(`Malformed line in ${path}: ${versionLine}`);
  }
  // Newer versions are accepted, as Kafka does, for downgrade compatibility.
  const topicId = topicIdLine.split(/:\s+/);
  if (topicId.length !== 2)
    throw new PartitionMetadataError(`Malformed line in ${path}: ${topicIdLine}`);
  checkTopicId(topicId[1], path);
  return topicId[1];
}

function isUuidText(id: string): boolean {
  try {
    return uuidToBytes(id).toString('base64url') === id;
  } catch {
    return false;
  }
}

function checkTopicId(topicId: string, where: string): void {
  if (!isUuidText(topicId) || topicId === ZERO_UUID) {
    throw new PartitionMetadataError(`Invalid topic ID ${JSON.stringify(topicId)} for ${where}`);
  }
}

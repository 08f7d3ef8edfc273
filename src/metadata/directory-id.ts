/**
 * Kafka's reserved log-dir ids (DirectoryId): the values a partition replica's directory
 * takes when no real log dir id is known.
 */
import { uuidFromBytes } from '../protocol/primitives/uuid.js';

function reserved(leastSignificantByte: number): string {
  const bytes = Buffer.alloc(16);
  bytes[15] = leastSignificantByte;
  return uuidFromBytes(bytes);
}

/** The replica has no directory assigned yet (Uuid 0:0). */
export const DIRECTORY_UNASSIGNED = reserved(0);
/** The replica's directory is offline (Uuid 0:1). */
export const DIRECTORY_LOST = reserved(1);
/** The broker does not report directories (Uuid 0:2); written for records without any. */
export const DIRECTORY_MIGRATING = reserved(2);

/** Kafka's DirectoryId.createDirectoriesFrom: keep each kept replica's dir, others unassigned. */
export function directoriesFor(
  currentReplicas: readonly number[],
  currentDirectories: readonly string[],
  newReplicas: readonly number[],
): string[] {
  const byReplica = new Map<number, string>();
  currentReplicas.forEach((replica, i) => {
    if (i < currentDirectories.length) byReplica.set(replica, currentDirectories[i]);
  });
  return newReplicas.map((replica) => byReplica.get(replica) ?? DIRECTORY_UNASSIGNED);
}

/**
 * What the coordinator's parts share: the groups in memory, which `__consumer_offsets`
 * partitions this broker coordinates (loading or active), the mapping of a group to its
 * partition, and the log the group records go to.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { ClassicGroup } from './classic-group.js';

export const GROUP_METADATA_TOPIC = '__consumer_offsets';

export interface CoordinatorRecord {
  key: Buffer;
  /** null: a tombstone. */
  value: Buffer | null;
}

/** The coordinator's view of `__consumer_offsets`. */
export interface GroupLog {
  /** Appends to one partition and waits for the in-sync replicas; resolves to an error code. */
  append(partition: number, records: readonly CoordinatorRecord[]): Promise<number>;
  /** Calls `onRecord` for every record of the partition, oldest first (tombstones too). */
  replay(partition: number, onRecord: (record: CoordinatorRecord) => void): Promise<void>;
}

/** Java's String.hashCode over UTF-16 code units, as Kafka hashes group ids. */
export function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(hash, 31) + value.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's Utils.abs(groupId.hashCode) % partitions. */
export function partitionForGroup(groupId: string, partitions: number): number {
  const hash = javaStringHashCode(groupId);
  const abs = hash === -2147483648 ? 0 : Math.abs(hash);
  return abs % partitions;
}

type PartitionStatus = 'loading' | 'active';

export class GroupStore {
  readonly groups = new Map<string, ClassicGroup>();
  private readonly partitions = new Map<number, PartitionStatus>();
  /** False once the coordinator shuts down. */
  active = true;

  constructor(
    readonly log: GroupLog,
    private readonly partitionCount: () => number,
  ) {}

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitionCount());
  }

  /**
   * Kafka's validateGroupStatus: the group id must be valid for the API (OffsetCommit,
   * OffsetFetch, DescribeGroups and DeleteGroups accept the empty id, for old clients),
   * and this broker must coordinate the group's partition and have loaded it.
   */
  status(groupId: string | null, allowEmptyId = false): number {
    if (groupId === null || (!allowEmptyId && groupId === '')) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    switch (this.partitions.get(this.partitionFor(groupId))) {
      case 'active':
        return ErrorCode.NONE;
      case 'loading':
        return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      default:
        return ErrorCode.NOT_COORDINATOR;
    }
  }

  partitionStatus(partition: number): PartitionStatus | undefined {
    return this.partitions.get(partition);
  }

  setPartitionStatus(partition: number, status: PartitionStatus | null): void {
    if (status === null) this.partitions.delete(partition);
    else this.partitions.set(partition, status);
  }

  isLoading(): boolean {
    for (const status of this.partitions.values()) if (status === 'loading') return true;
    return false;
  }

  /** Groups of the partitions this broker has loaded. */
  *activeGroups(): IterableIterator<ClassicGroup> {
    for (const group of this.groups.values()) {
      if (this.partitions.get(this.partitionFor(group.groupId)) === 'active') yield group;
    }
  }

  groupsOfPartition(partition: number): ClassicGroup[] {
    return [...this.groups.values()].filter((g) => this.partitionFor(g.groupId) === partition);
  }
}

/** Kafka's mapping of a failed group-metadata append to the error a member sees. */
export function groupAppendError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/** The same for offset commits, where an oversized write is the commit's own fault. */
export function offsetAppendError(code: number): number {
  switch (code) {
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return groupAppendError(code);
  }
}

/**
 * Committed offsets: OffsetCommit (member and generation checks, simple consumers with
 * generation -1, metadata size limit, per-commit retention of old versions), OffsetFetch,
 * OffsetDelete, DeleteGroups, and the periodic expiry of offsets (`offsets.retention.*`)
 * that also retires empty groups. Every change is written to `__consumer_offsets` first
 * and applied in memory once the write is acknowledged.
 */
import type { Clock } from '../../log/log.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { OffsetCommitRequestTopic } from '../../protocol/messages/generated/offset-commit-request.js';
import {
  ClassicGroup,
  CONSUMER_PROTOCOL_TYPE,
  GroupState,
  type CommittedOffset,
} from './classic-group.js';
import type { GroupCoordinatorConfig } from './group-coordinator-config.js';
import { groupMetadataKey, offsetCommitKey, offsetCommitValue } from './group-records.js';
import {
  groupAppendError,
  offsetAppendError,
  type CoordinatorRecord,
  type GroupStore,
} from './group-store.js';

export interface OffsetCommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-v4: the commit's own retention; -1 for the broker's. */
  retentionTimeMs: bigint;
  apiVersion: number;
  /** As OffsetCommit carries them (commitTimestamp -1: now; v1 only). */
  topics: OffsetCommitRequestTopic[];
}

export interface PartitionErrors {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}

export interface FetchedOffsets {
  errorCode: number;
  topics: {
    name: string;
    partitions: {
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch: number;
      metadata: string;
      errorCode: number;
    }[];
  }[];
}

interface OffsetsLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** OffsetCommit v9 reports unknown groups as such; older versions as a stale generation. */
const FIRST_COMMIT_VERSION_WITH_GROUP_NOT_FOUND = 9;

export class GroupOffsets {
  constructor(
    private readonly store: GroupStore,
    private readonly config: GroupCoordinatorConfig,
    private readonly clock: Clock,
    private readonly logger: OffsetsLogger,
    /** Called when a group is deleted or expires, so membership drops its timers. */
    private readonly onGroupRemoved: (group: ClassicGroup) => void,
  ) {}

  async commitOffsets(
    params: OffsetCommitParams,
    partitionExists: (topic: string, partition: number) => boolean,
  ): Promise<PartitionErrors[]> {
    const errors = new Map<string, Map<number, number>>();
    const setError = (topic: string, partition: number, code: number) => {
      let byPartition = errors.get(topic);
      if (byPartition === undefined) errors.set(topic, (byPartition = new Map()));
      byPartition.set(partition, code);
    };
    const answer = (): PartitionErrors[] =>
      params.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: errors.get(t.name)?.get(p.partitionIndex) ?? ErrorCode.NONE,
        })),
      }));

    // Unknown partitions are refused whatever the group says (Kafka checks them first).
    const candidates = params.topics.flatMap((t) =>
      t.partitions
        .filter((p) => {
          if (partitionExists(t.name, p.partitionIndex)) return true;
          setError(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          return false;
        })
        .map((p) => ({ topic: t.name, ...p })),
    );
    const failAll = (code: number) => {
      for (const c of candidates) setError(c.topic, c.partitionIndex, code);
      return answer();
    };

    const status = this.store.status(params.groupId, true);
    if (status !== ErrorCode.NONE) return failAll(status);
    let group = this.store.groups.get(params.groupId);
    let createdGroup = false;
    if (group === undefined) {
      if (params.generationId >= 0) {
        return failAll(
          params.apiVersion >= FIRST_COMMIT_VERSION_WITH_GROUP_NOT_FOUND
            ? ErrorCode.GROUP_ID_NOT_FOUND
            : ErrorCode.ILLEGAL_GENERATION,
        );
      }
      // A consumer that assigns partitions itself keeps its offsets in a group of its own.
      group = new ClassicGroup(params.groupId, GroupState.Empty, this.clock.now());
      this.store.groups.set(params.groupId, group);
      createdGroup = true;
    }
    const groupError = validateOffsetCommit(group, params);
    if (groupError !== ErrorCode.NONE) return failAll(groupError);

    const now = BigInt(this.clock.now());
    const expireTimestamp = params.retentionTimeMs === -1n ? null : now + params.retentionTimeMs;
    const accepted: { topic: string; partition: number; committed: CommittedOffset }[] = [];
    for (const c of candidates) {
      const metadata = c.committedMetadata ?? '';
      // Kafka compares the string's length (UTF-16 units), not its encoded bytes.
      if (metadata.length > this.config.offsetMetadataMaxBytes) {
        setError(c.topic, c.partitionIndex, ErrorCode.OFFSET_METADATA_TOO_LARGE);
        continue;
      }
      accepted.push({
        topic: c.topic,
        partition: c.partitionIndex,
        committed: {
          offset: c.committedOffset,
          leaderEpoch: c.committedLeaderEpoch,
          metadata,
          commitTimestamp: c.commitTimestamp === -1n ? now : c.commitTimestamp,
          expireTimestamp,
        },
      });
    }
    if (accepted.length === 0) return answer();

    const records: CoordinatorRecord[] = accepted.map(({ topic, partition, committed }) => ({
      key: offsetCommitKey(params.groupId, topic, partition),
      value: offsetCommitValue(committed),
    }));
    const code = await this.store.log.append(this.store.partitionFor(params.groupId), records);
    if (code !== ErrorCode.NONE) {
      const error = offsetAppendError(code);
      for (const a of accepted) setError(a.topic, a.partition, error);
      if (createdGroup && !group.hasOffsets && this.store.groups.get(params.groupId) === group) {
        this.store.groups.delete(params.groupId);
      }
      return answer();
    }
    for (const a of accepted) group.setOffset(a.topic, a.partition, a.committed);
    return answer();
  }

  fetchOffsets(
    groupId: string,
    topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null,
  ): FetchedOffsets {
    const status = this.store.status(groupId, true);
    if (status !== ErrorCode.NONE) return { errorCode: status, topics: [] };
    const group = this.store.groups.get(groupId);
    if (group?.is(GroupState.Dead)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    const wanted =
      topics ??
      [...(group?.offsets ?? new Map<string, Map<number, CommittedOffset>>())].map(
        ([name, byPartition]) => ({
          name,
          partitionIndexes: [...byPartition.keys()].sort((a, b) => a - b),
        }),
      );
    return {
      errorCode: ErrorCode.NONE,
      topics: wanted.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          const committed = group?.offset(t.name, partitionIndex);
          return {
            partitionIndex,
            committedOffset: committed?.offset ?? -1n,
            committedLeaderEpoch: committed?.leaderEpoch ?? -1,
            metadata: committed?.metadata ?? '',
            errorCode: ErrorCode.NONE,
          };
        }),
      })),
    };
  }

  async deleteOffsets(
    groupId: string,
    topics: readonly { name: string; partitions: readonly number[] }[],
  ): Promise<{ errorCode: number; topics: PartitionErrors[] }> {
    const status = this.store.status(groupId);
    if (status !== ErrorCode.NONE) return { errorCode: status, topics: [] };
    const group = this.store.groups.get(groupId);
    if (group === undefined || group.is(GroupState.Dead)) {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    }
    const active = !group.is(GroupState.Empty);
    // Only consumer groups say what they subscribe to; other active groups keep everything.
    if (active && group.protocolType !== CONSUMER_PROTOCOL_TYPE) {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    }
    const toDelete: { topic: string; partition: number }[] = [];
    const results: PartitionErrors[] = topics.map((t) => {
      const subscribed = active && group.isSubscribedToTopic(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((partitionIndex) => {
          if (subscribed) {
            return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          }
          if (group.offset(t.name, partitionIndex) !== undefined) {
            toDelete.push({ topic: t.name, partition: partitionIndex });
          }
          return { partitionIndex, errorCode: ErrorCode.NONE };
        }),
      };
    });
    if (toDelete.length > 0) {
      const code = await this.store.log.append(
        this.store.partitionFor(groupId),
        toDelete.map(({ topic, partition }) => ({
          key: offsetCommitKey(groupId, topic, partition),
          value: null,
        })),
      );
      if (code !== ErrorCode.NONE) return { errorCode: groupAppendError(code), topics: [] };
      for (const { topic, partition } of toDelete) group.removeOffset(topic, partition);
    }
    return { errorCode: ErrorCode.NONE, topics: results };
  }

  async deleteGroups(
    groupIds: readonly string[],
  ): Promise<{ groupId: string; errorCode: number }[]> {
    return Promise.all(
      groupIds.map(async (groupId) => ({ groupId, errorCode: await this.deleteGroup(groupId) })),
    );
  }

  private async deleteGroup(groupId: string): Promise<number> {
    const status = this.store.status(groupId, true);
    if (status !== ErrorCode.NONE) return status;
    const group = this.store.groups.get(groupId);
    if (group === undefined || group.is(GroupState.Dead)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is(GroupState.Empty)) return ErrorCode.NON_EMPTY_GROUP;
    const code = await this.store.log.append(
      this.store.partitionFor(groupId),
      groupTombstones(group, allOffsets(group)),
    );
    if (code !== ErrorCode.NONE) return groupAppendError(code);
    this.retire(group);
    this.logger.info({ group: groupId }, 'group deleted');
    return ErrorCode.NONE;
  }

  /**
   * Kafka's offset expiry: an Empty group's offsets once retention passed since it became
   * empty; a Stable consumer group's offsets of topics it no longer subscribes to; a simple
   * consumer's offsets since their commit; a commit's own expiry time when it set one. An
   * Empty group left without offsets is retired.
   */
  async expireOffsets(): Promise<void> {
    const now = this.clock.now();
    let expired = 0;
    let retired = 0;
    for (const group of [...this.store.activeGroups()]) {
      const stale = expiredOffsets(group, now, this.config.offsetsRetentionMs);
      const retire = group.is(GroupState.Empty) && stale.length === countOffsets(group);
      if (stale.length === 0 && !retire) continue;
      const records = retire
        ? groupTombstones(group, stale)
        : stale.map(({ topic, partition }) => ({
            key: offsetCommitKey(group.groupId, topic, partition),
            value: null,
          }));
      const code = await this.store.log.append(this.store.partitionFor(group.groupId), records);
      if (code !== ErrorCode.NONE) {
        this.logger.warn({ group: group.groupId, error: code }, 'writing expired offsets failed');
        continue;
      }
      for (const { topic, partition } of stale) group.removeOffset(topic, partition);
      expired += stale.length;
      if (retire && group.is(GroupState.Empty) && !group.hasOffsets) {
        this.retire(group);
        retired++;
      }
    }
    if (expired > 0 || retired > 0) {
      this.logger.info(
        { offsets: expired, groups: retired },
        'expired offsets and empty groups removed',
      );
    }
  }

  private retire(group: ClassicGroup): void {
    group.transitionTo(GroupState.Dead, this.clock.now());
    if (this.store.groups.get(group.groupId) === group) this.store.groups.delete(group.groupId);
    this.onGroupRemoved(group);
  }
}

/** ClassicGroup.validateOffsetCommit of Kafka. */
function validateOffsetCommit(group: ClassicGroup, params: OffsetCommitParams): number {
  if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  // Generation -1 on an empty group: an admin or a consumer that assigns itself.
  if (params.generationId < 0 && group.is(GroupState.Empty)) return ErrorCode.NONE;
  if (params.generationId >= 0 || params.memberId !== '' || params.groupInstanceId !== null) {
    const error = group.validateMember(params.memberId, params.groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (params.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else if (!group.is(GroupState.Empty)) {
    // No member id and no generation (v0): only an empty group takes such commits.
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }
  // The member has its new generation but not yet its assignment.
  if (group.is(GroupState.CompletingRebalance)) return ErrorCode.REBALANCE_IN_PROGRESS;
  return ErrorCode.NONE;
}

function allOffsets(group: ClassicGroup): { topic: string; partition: number }[] {
  return [...group.offsets].flatMap(([topic, byPartition]) =>
    [...byPartition.keys()].map((partition) => ({ topic, partition })),
  );
}

function countOffsets(group: ClassicGroup): number {
  let count = 0;
  for (const byPartition of group.offsets.values()) count += byPartition.size;
  return count;
}

function groupTombstones(
  group: ClassicGroup,
  offsets: readonly { topic: string; partition: number }[],
): CoordinatorRecord[] {
  return [
    ...offsets.map(({ topic, partition }) => ({
      key: offsetCommitKey(group.groupId, topic, partition),
      value: null,
    })),
    { key: groupMetadataKey(group.groupId), value: null },
  ];
}

function expiredOffsets(
  group: ClassicGroup,
  now: number,
  retentionMs: number,
): { topic: string; partition: number }[] {
  let baseTimestamp: ((committed: CommittedOffset) => bigint) | null;
  let onlyUnsubscribed = false;
  if (group.protocolType === null) {
    baseTimestamp = (c) => c.commitTimestamp;
  } else if (group.is(GroupState.Empty)) {
    baseTimestamp = (c) =>
      group.stateTimestamp >= 0 ? BigInt(group.stateTimestamp) : c.commitTimestamp;
  } else if (
    group.protocolType === CONSUMER_PROTOCOL_TYPE &&
    group.subscribedTopics !== null &&
    group.is(GroupState.Stable)
  ) {
    baseTimestamp = (c) => c.commitTimestamp;
    onlyUnsubscribed = true;
  } else {
    baseTimestamp = null;
  }
  if (baseTimestamp === null) return [];
  const nowMs = BigInt(now);
  const retention = BigInt(retentionMs);
  const stale: { topic: string; partition: number }[] = [];
  for (const [topic, byPartition] of group.offsets) {
    if (onlyUnsubscribed && group.subscribedTopics!.has(topic)) continue;
    for (const [partition, committed] of byPartition) {
      const isExpired =
        committed.expireTimestamp !== null
          ? nowMs >= committed.expireTimestamp
          : nowMs - baseTimestamp(committed) >= retention;
      if (isExpired) stale.push({ topic, partition });
    }
  }
  return stale;
}

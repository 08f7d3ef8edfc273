/** An in-memory `__consumer_offsets`, manual time and helpers for the group coordinator tests. */
import { GroupCoordinator } from '../../../../src/coordinator/group/group-coordinator.js';
import type { GroupCoordinatorConfig } from '../../../../src/coordinator/group/group-coordinator-config.js';
import type {
  HeartbeatParams,
  JoinGroupParams,
  SyncGroupParams,
} from '../../../../src/coordinator/group/group-membership.js';
import type { OffsetCommitParams } from '../../../../src/coordinator/group/group-offsets.js';
import type { CoordinatorRecord, GroupLog } from '../../../../src/coordinator/group/group-store.js';
import { ErrorCode } from '../../../../src/protocol/errors.js';
import { ManualTime } from '../../../harness/manual-time.js';

export class MemoryGroupLog implements GroupLog {
  readonly partitions = new Map<number, CoordinatorRecord[]>();
  /** When set, appends fail with this error code. */
  failWith: number | null = null;

  append(partition: number, records: readonly CoordinatorRecord[]): Promise<number> {
    if (this.failWith !== null) return Promise.resolve(this.failWith);
    const log = this.partitions.get(partition) ?? [];
    log.push(...records);
    this.partitions.set(partition, log);
    return Promise.resolve(ErrorCode.NONE);
  }

  async replay(partition: number, onRecord: (record: CoordinatorRecord) => void): Promise<void> {
    await Promise.resolve();
    for (const record of this.partitions.get(partition) ?? []) onRecord(record);
  }

  records(): CoordinatorRecord[] {
    return [...this.partitions.values()].flat();
  }
}

export const TEST_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicPartitions: 1,
  offsetsTopicReplicationFactor: 1,
  offsetsTopicSegmentBytes: 100 * 1024 * 1024,
  offsetsTopicCompressionCodec: 0,
  offsetsCommitTimeoutMs: 5000,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  maxSize: 1000,
  newMemberJoinTimeoutMs: 300_000,
};

const silent = { info() {}, warn() {}, error() {} };

export interface Harness {
  coordinator: GroupCoordinator;
  log: MemoryGroupLog;
  time: ManualTime;
}

/** A coordinator that owns partition 0 (the only one) and has loaded it. */
export async function startCoordinator(
  overrides: Partial<GroupCoordinatorConfig> = {},
  log = new MemoryGroupLog(),
  time = new ManualTime(),
): Promise<Harness> {
  const coordinator = new GroupCoordinator({
    config: { ...TEST_CONFIG, ...overrides },
    log,
    partitionCount: () => 1,
    logger: silent,
    clock: time,
    scheduler: time,
  });
  await coordinator.onElection(0, 0);
  return { coordinator, log, time };
}

/** Lets promise callbacks (appends, parked responses) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A consumer-protocol subscription (v0 schema) to `topics`. */
export function subscription(topics: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0])];
  const count = Buffer.alloc(4);
  count.writeInt32BE(topics.length);
  parts.push(count);
  for (const topic of topics) {
    const name = Buffer.from(topic);
    const length = Buffer.alloc(2);
    length.writeInt16BE(name.length);
    parts.push(length, name);
  }
  const noUserData = Buffer.alloc(4);
  noUserData.writeInt32BE(-1);
  parts.push(noUserData);
  return Buffer.concat(parts);
}

export function joinParams(overrides: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    reason: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: false,
    supportsSkippingAssignment: false,
    ...overrides,
  };
}

/** Joins a member to a group in one step (getting the member id first where required). */
export async function joinMember(
  h: Harness,
  overrides: Partial<JoinGroupParams> = {},
): ReturnType<GroupCoordinator['membership']['joinGroup']> {
  return h.coordinator.membership.joinGroup(joinParams(overrides));
}

/** `memberId`'s SyncGroup for group 'g', generation 1, without protocol names or assignments. */
export function syncParams(
  memberId: string,
  overrides: Partial<SyncGroupParams> = {},
): SyncGroupParams {
  return {
    groupId: 'g',
    generationId: 1,
    memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [],
    ...overrides,
  };
}

/** `memberId`'s Heartbeat for group 'g', generation 1. */
export function heartbeatParams(
  memberId: string,
  overrides: Partial<HeartbeatParams> = {},
): HeartbeatParams {
  return { groupId: 'g', generationId: 1, memberId, groupInstanceId: null, ...overrides };
}

export type CommittedPartition = OffsetCommitParams['topics'][number]['partitions'][number];

/** One partition of an OffsetCommit: partition 0 at offset 10, no leader epoch or metadata. */
export function committedPartition(
  overrides: Partial<CommittedPartition> = {},
): CommittedPartition {
  return {
    partitionIndex: 0,
    committedOffset: 10n,
    committedLeaderEpoch: -1,
    commitTimestamp: -1n,
    committedMetadata: null,
    ...overrides,
  };
}

/** An OffsetCommit v8 of topic 't' (one partition) to group 'g' from outside the group. */
export function commitParams(
  overrides: Partial<OffsetCommitParams> = {},
  partition: Partial<CommittedPartition> = {},
): OffsetCommitParams {
  return {
    groupId: 'g',
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    apiVersion: 8,
    topics: [{ name: 't', partitions: [committedPartition(partition)] }],
    ...overrides,
  };
}

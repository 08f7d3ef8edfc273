import { describe, expect, it } from 'vitest';
import { GroupState } from '../../../../src/coordinator/group/classic-group.js';
import type { OffsetCommitParams } from '../../../../src/coordinator/group/group-offsets.js';
import {
  decodeOffsetCommitValue,
  decodeRecordKey,
} from '../../../../src/coordinator/group/group-records.js';
import { ErrorCode } from '../../../../src/protocol/errors.js';
import {
  commitParams,
  committedPartition,
  heartbeatParams,
  joinMember,
  settle,
  startCoordinator,
  subscription,
  syncParams,
  type CommittedPartition,
  type Harness,
} from './group-test-kit.js';

const everyPartitionExists = () => true;

async function commit(
  h: Harness,
  overrides: Partial<OffsetCommitParams> = {},
  partition: Partial<CommittedPartition> = {},
) {
  const result = await h.coordinator.offsets.commitOffsets(
    commitParams(overrides, partition),
    everyPartitionExists,
  );
  return result[0].partitions[0].errorCode;
}

function fetched(h: Harness, groupId = 'g', partition = 0): bigint {
  const result = h.coordinator.offsets.fetchOffsets(groupId, [
    { name: 't', partitionIndexes: [partition] },
  ]);
  return result.topics[0].partitions[0].committedOffset;
}

/** A Stable consumer group with one member subscribed to `topics`. */
async function stableGroup(h: Harness, topics = ['t']) {
  const joining = joinMember(h, { protocols: [{ name: 'range', metadata: subscription(topics) }] });
  await h.time.advance(0);
  const joined = await joining;
  await h.coordinator.membership.syncGroup(
    syncParams(joined.memberId, { generationId: joined.generationId }),
  );
  await settle();
  return joined;
}

/** Advances time by `ms`, the member heartbeating every 5 s to keep its session. */
async function keepAlive(
  h: Harness,
  member: { generationId: number; memberId: string },
  ms: number,
) {
  for (let left = ms; left > 0; left -= 5000) {
    await h.time.advance(Math.min(5000, left));
    h.coordinator.membership.heartbeat(
      heartbeatParams(member.memberId, { generationId: member.generationId }),
    );
  }
}

describe('OffsetCommit / OffsetFetch', () => {
  it('a simple consumer (generation -1) commits to a new group; fetch returns it, -1 when none', async () => {
    const h = await startCoordinator();
    expect(await commit(h)).toBe(ErrorCode.NONE);
    expect(fetched(h)).toBe(10n);
    expect(fetched(h, 'g', 1)).toBe(-1n);
    expect(fetched(h, 'unknown')).toBe(-1n);
    const group = h.coordinator.store.groups.get('g')!;
    expect(group.state).toBe(GroupState.Empty);
    expect(group.protocolType).toBeNull();
    // Written as OffsetCommitKey v1 / OffsetCommitValue v3.
    const [record] = h.log.records();
    expect(record.key.readInt16BE(0)).toBe(1);
    expect(decodeRecordKey(record.key)).toEqual({
      type: 'offset',
      key: { group: 'g', topic: 't', partition: 0 },
    });
    expect(record.value!.readInt16BE(0)).toBe(3);
    expect(decodeOffsetCommitValue(record.value!)).toMatchObject({ offset: 10n, metadata: '' });
  });

  it('member commits are checked against the group: member, generation, state', async () => {
    const h = await startCoordinator();
    const member = await stableGroup(h);
    const asMember = { generationId: member.generationId, memberId: member.memberId };
    expect(await commit(h, asMember, { committedOffset: 5n })).toBe(ErrorCode.NONE);
    expect(fetched(h)).toBe(5n);
    expect(await commit(h, { ...asMember, generationId: 0 })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await commit(h, { ...asMember, memberId: 'x' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // No member id and no generation: only an empty group takes it.
    expect(await commit(h)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit(h, { groupId: 'nope', generationId: 3 })).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    expect(await commit(h, { groupId: 'nope', generationId: 3, apiVersion: 9 })).toBe(
      ErrorCode.GROUP_ID_NOT_FOUND,
    );

    // Between JoinGroup and the assignment, members must wait.
    const rejoin = joinMember(h, { memberId: member.memberId });
    await settle();
    const rejoined = await rejoin;
    expect(h.coordinator.store.groups.get('g')!.state).toBe(GroupState.CompletingRebalance);
    expect(
      await commit(h, { generationId: rejoined.generationId, memberId: member.memberId }),
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('refuses oversized metadata and unknown partitions per partition', async () => {
    const h = await startCoordinator({ offsetMetadataMaxBytes: 8 });
    const params = commitParams();
    params.topics = [
      {
        name: 't',
        partitions: [
          committedPartition({ committedOffset: 1n, committedMetadata: 'x'.repeat(9) }),
          committedPartition({ partitionIndex: 1, committedOffset: 2n, committedMetadata: 'ok' }),
        ],
      },
      { name: 'missing', partitions: [committedPartition({ committedOffset: 3n })] },
    ];
    const result = await h.coordinator.offsets.commitOffsets(params, (topic) => topic === 't');
    expect(result).toEqual([
      {
        name: 't',
        partitions: [
          { partitionIndex: 0, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE },
          { partitionIndex: 1, errorCode: ErrorCode.NONE },
        ],
      },
      {
        name: 'missing',
        partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }],
      },
    ]);
    expect(fetched(h, 'g', 1)).toBe(2n);
  });

  it('maps failed writes to coordinator errors and keeps nothing', async () => {
    const h = await startCoordinator();
    h.log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    expect(await commit(h)).toBe(ErrorCode.NOT_COORDINATOR);
    h.log.failWith = ErrorCode.REQUEST_TIMED_OUT;
    expect(await commit(h)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    h.log.failWith = ErrorCode.MESSAGE_TOO_LARGE;
    expect(await commit(h)).toBe(ErrorCode.INVALID_COMMIT_OFFSET_SIZE);
    expect(fetched(h)).toBe(-1n);
    expect(h.coordinator.store.groups.has('g')).toBe(false);
  });
});

describe('DeleteGroups / OffsetDelete', () => {
  it('deletes only empty groups, with tombstones for the group and its offsets', async () => {
    const h = await startCoordinator();
    await stableGroup(h);
    expect(await h.coordinator.offsets.deleteGroups(['g', 'missing'])).toEqual([
      { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(await commit(h, { groupId: 'simple' })).toBe(ErrorCode.NONE);
    expect(await h.coordinator.offsets.deleteGroups(['simple'])).toEqual([
      { groupId: 'simple', errorCode: ErrorCode.NONE },
    ]);
    const tombstones = h.log.records().slice(-2);
    expect(tombstones.map((r) => [decodeRecordKey(r.key).type, r.value])).toEqual([
      ['offset', null],
      ['group', null],
    ]);
    expect(fetched(h, 'simple')).toBe(-1n);
    // Reloading the log brings the deleted group back empty-handed.
    const reloaded = await startCoordinator({}, h.log);
    expect(reloaded.coordinator.store.groups.has('simple')).toBe(false);
  });

  it('OffsetDelete refuses subscribed topics of an active consumer group', async () => {
    const h = await startCoordinator();
    const member = await stableGroup(h, ['t']);
    const asMember = { generationId: member.generationId, memberId: member.memberId };
    expect(await commit(h, asMember)).toBe(ErrorCode.NONE);
    const params = commitParams(asMember);
    params.topics[0].name = 'old';
    await h.coordinator.offsets.commitOffsets(params, everyPartitionExists);
    const result = await h.coordinator.offsets.deleteOffsets('g', [
      { name: 't', partitions: [0] },
      { name: 'old', partitions: [0] },
    ]);
    expect(result).toEqual({
      errorCode: ErrorCode.NONE,
      topics: [
        {
          name: 't',
          partitions: [{ partitionIndex: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }],
        },
        { name: 'old', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }] },
      ],
    });
    const remaining = h.coordinator.offsets.fetchOffsets('g', null).topics.map((t) => t.name);
    expect(remaining).toEqual(['t']);
    expect((await h.coordinator.offsets.deleteOffsets('missing', [])).errorCode).toBe(
      ErrorCode.GROUP_ID_NOT_FOUND,
    );
  });
});

describe('offset expiry', () => {
  const RETENTION = 60_000;

  it('expires an empty group’s offsets once retention passed since it became empty, then retires it', async () => {
    const h = await startCoordinator({ offsetsRetentionMs: RETENTION });
    const member = await stableGroup(h);
    expect(await commit(h, { generationId: member.generationId, memberId: member.memberId })).toBe(
      ErrorCode.NONE,
    );
    // Stable and still subscribed: kept however old.
    await keepAlive(h, member, RETENTION * 2);
    await h.coordinator.offsets.expireOffsets();
    expect(fetched(h)).toBe(10n);

    h.coordinator.membership.leaveGroup('g', [
      { memberId: member.memberId, groupInstanceId: null, reason: null },
    ]);
    await settle();
    expect(h.coordinator.store.groups.get('g')!.state).toBe(GroupState.Empty);
    await h.time.advance(RETENTION - 1);
    await h.coordinator.offsets.expireOffsets();
    expect(fetched(h)).toBe(10n);
    await h.time.advance(1);
    await h.coordinator.offsets.expireOffsets();
    expect(fetched(h)).toBe(-1n);
    expect(h.coordinator.store.groups.has('g')).toBe(false);
    expect(
      h.log
        .records()
        .slice(-2)
        .map((r) => r.value),
    ).toEqual([null, null]);
  });

  it('honours a commit’s own retention (OffsetCommit v2-v4) and a simple consumer’s commit time', async () => {
    const h = await startCoordinator({ offsetsRetentionMs: RETENTION });
    expect(await commit(h, { groupId: 'own', retentionTimeMs: 1000n })).toBe(ErrorCode.NONE);
    expect(await commit(h, { groupId: 'simple' })).toBe(ErrorCode.NONE);
    const [own] = h.log.records();
    expect(own.value!.readInt16BE(0)).toBe(1);
    expect(decodeOffsetCommitValue(own.value!).expireTimestamp).toBe(BigInt(h.time.now() + 1000));

    await h.time.advance(1000);
    await h.coordinator.offsets.expireOffsets();
    expect(fetched(h, 'own')).toBe(-1n);
    expect(fetched(h, 'simple')).toBe(10n);
    await h.time.advance(RETENTION);
    await h.coordinator.offsets.expireOffsets();
    expect(fetched(h, 'simple')).toBe(-1n);
  });

  it('expires a Stable consumer group’s offsets of topics it no longer subscribes to', async () => {
    const h = await startCoordinator({ offsetsRetentionMs: RETENTION });
    const member = await stableGroup(h, ['t']);
    const asMember = { generationId: member.generationId, memberId: member.memberId };
    const params = commitParams(asMember);
    params.topics.push({ ...params.topics[0], name: 'old' });
    await h.coordinator.offsets.commitOffsets(params, everyPartitionExists);
    await keepAlive(h, asMember, RETENTION);
    expect(h.coordinator.store.groups.get('g')!.state).toBe(GroupState.Stable);
    await h.coordinator.offsets.expireOffsets();
    expect(h.coordinator.offsets.fetchOffsets('g', null).topics.map((t) => t.name)).toEqual(['t']);
  });
});

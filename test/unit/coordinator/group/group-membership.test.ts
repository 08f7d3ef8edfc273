import { describe, expect, it } from 'vitest';
import { GroupState } from '../../../../src/coordinator/group/classic-group.js';
import type {
  HeartbeatParams,
  SyncGroupParams,
} from '../../../../src/coordinator/group/group-membership.js';
import { ErrorCode } from '../../../../src/protocol/errors.js';
import {
  commitParams,
  heartbeatParams,
  joinMember,
  settle,
  startCoordinator,
  subscription,
  syncParams,
  type Harness,
} from './group-test-kit.js';

/** One member joins an empty group and syncs: returns its id and generation. */
async function stableSingleMember(h: Harness, groupId = 'g') {
  const joining = joinMember(h, { groupId });
  await h.time.advance(0);
  const joined = await joining;
  expect(joined.errorCode).toBe(ErrorCode.NONE);
  const synced = await h.coordinator.membership.syncGroup(
    syncParams(joined.memberId, {
      groupId,
      generationId: joined.generationId,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: joined.memberId, assignment: Buffer.from('A') }],
    }),
  );
  expect(synced).toMatchObject({ errorCode: ErrorCode.NONE, assignment: Buffer.from('A') });
  await settle();
  return joined;
}

function group(h: Harness, groupId = 'g') {
  return h.coordinator.store.groups.get(groupId)!;
}

describe('JoinGroup / SyncGroup', () => {
  it('v4+: a new member first gets its id with MEMBER_ID_REQUIRED, then becomes leader of generation 1', async () => {
    const h = await startCoordinator();
    const first = await joinMember(h, { requireKnownMemberId: true, clientId: 'app' });
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^app-[0-9a-f-]{36}$/);
    expect(group(h).isPendingMember(first.memberId)).toBe(true);

    const joining = joinMember(h, { requireKnownMemberId: true, memberId: first.memberId });
    await h.time.advance(0);
    const joined = await joining;
    expect(joined).toMatchObject({
      errorCode: ErrorCode.NONE,
      generationId: 1,
      protocolName: 'range',
      protocolType: 'consumer',
      leader: first.memberId,
      memberId: first.memberId,
    });
    expect(joined.members.map((m) => m.memberId)).toEqual([first.memberId]);
    expect(group(h).state).toBe(GroupState.CompletingRebalance);

    const synced = await h.coordinator.membership.syncGroup(
      syncParams(first.memberId, {
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [{ memberId: first.memberId, assignment: Buffer.from([1, 2, 3]) }],
      }),
    );
    expect(synced).toEqual({
      errorCode: ErrorCode.NONE,
      protocolType: 'consumer',
      protocolName: 'range',
      assignment: Buffer.from([1, 2, 3]),
    });
    expect(group(h).state).toBe(GroupState.Stable);
    // The assignment was persisted before the group became Stable.
    expect(h.log.records().length).toBe(1);
  });

  it('a second member makes the group rebalance; heartbeats tell the first; the leader gets every member', async () => {
    const h = await startCoordinator();
    const a = await stableSingleMember(h);
    const joiningB = joinMember(h, { clientId: 'b' });
    await settle();
    expect(group(h).state).toBe(GroupState.PreparingRebalance);
    expect(h.coordinator.membership.heartbeat(heartbeatParams(a.memberId))).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    const rejoinA = joinMember(h, { memberId: a.memberId });
    await settle();
    const [joinedA, joinedB] = await Promise.all([rejoinA, joiningB]);
    expect(joinedA.generationId).toBe(2);
    expect(joinedB.generationId).toBe(2);
    expect(joinedA.leader).toBe(a.memberId);
    expect(joinedA.members.map((m) => m.memberId).sort()).toEqual(
      [a.memberId, joinedB.memberId].sort(),
    );
    expect(joinedB.members).toEqual([]);

    // The follower's SyncGroup waits for the leader's assignment.
    const syncB = h.coordinator.membership.syncGroup(
      syncParams(joinedB.memberId, { generationId: 2 }),
    );
    let bDone = false;
    void syncB.then(() => (bDone = true));
    await settle();
    expect(bDone).toBe(false);
    await h.coordinator.membership.syncGroup(
      syncParams(a.memberId, {
        generationId: 2,
        assignments: [
          { memberId: a.memberId, assignment: Buffer.from('a') },
          { memberId: joinedB.memberId, assignment: Buffer.from('b') },
        ],
      }),
    );
    expect((await syncB).assignment).toEqual(Buffer.from('b'));
    expect(group(h).state).toBe(GroupState.Stable);
  });

  it('a member that stops heartbeating is removed after its session timeout', async () => {
    const h = await startCoordinator();
    const a = await stableSingleMember(h);
    await h.time.advance(9_000);
    expect(h.coordinator.membership.heartbeat(heartbeatParams(a.memberId))).toBe(ErrorCode.NONE);
    await h.time.advance(9_999);
    expect(group(h).has(a.memberId)).toBe(true);
    await h.time.advance(1);
    await settle();
    expect(group(h).has(a.memberId)).toBe(false);
    expect(group(h).state).toBe(GroupState.Empty);
    expect(group(h).generationId).toBe(2);
  });

  it('members that do not rejoin within the rebalance timeout are dropped', async () => {
    const h = await startCoordinator();
    const a = await stableSingleMember(h);
    const joiningB = joinMember(h, { clientId: 'b', rebalanceTimeoutMs: 20_000 });
    await settle();
    // A keeps heartbeating but never rejoins.
    for (let elapsed = 0; elapsed < 30_000; elapsed += 5_000) {
      await h.time.advance(5_000);
      h.coordinator.membership.heartbeat(heartbeatParams(a.memberId));
    }
    const joinedB = await joiningB;
    expect(joinedB).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2 });
    expect(joinedB.leader).toBe(joinedB.memberId);
    expect(group(h).has(a.memberId)).toBe(false);
  });

  it('the initial rebalance waits group.initial.rebalance.delay.ms for more members', async () => {
    const h = await startCoordinator({ initialRebalanceDelayMs: 3000 });
    const a = joinMember(h, { clientId: 'a' });
    await h.time.advance(2000);
    const b = joinMember(h, { clientId: 'b' });
    await h.time.advance(1000);
    // B arrived during the delay: the delay is extended once.
    expect(group(h).state).toBe(GroupState.PreparingRebalance);
    await h.time.advance(3000);
    const [joinedA, joinedB] = await Promise.all([a, b]);
    expect(joinedA.generationId).toBe(1);
    expect(joinedB.generationId).toBe(1);
    expect(group(h).size).toBe(2);
  });

  it('LeaveGroup removes members and rebalances; unknown members get UNKNOWN_MEMBER_ID', async () => {
    const h = await startCoordinator();
    const a = await stableSingleMember(h);
    const result = h.coordinator.membership.leaveGroup('g', [
      { memberId: a.memberId, groupInstanceId: null, reason: 'bye' },
      { memberId: 'nobody', groupInstanceId: null, reason: null },
    ]);
    expect(result).toEqual({
      errorCode: ErrorCode.NONE,
      members: [
        { memberId: a.memberId, groupInstanceId: null, errorCode: ErrorCode.NONE },
        { memberId: 'nobody', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
      ],
    });
    await settle();
    expect(group(h).state).toBe(GroupState.Empty);
    expect(
      h.coordinator.membership.leaveGroup('unknown', [
        { memberId: 'm', groupInstanceId: null, reason: null },
      ]).members[0].errorCode,
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a pending member leaving does not rebalance the group', async () => {
    const h = await startCoordinator();
    await stableSingleMember(h);
    const pending = await joinMember(h, { requireKnownMemberId: true });
    expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const left = h.coordinator.membership.leaveGroup('g', [
      { memberId: pending.memberId, groupInstanceId: null, reason: null },
    ]);
    expect(left.members[0].errorCode).toBe(ErrorCode.NONE);
    await settle();
    expect(group(h).state).toBe(GroupState.Stable);
    expect(group(h).isPendingMember(pending.memberId)).toBe(false);
  });

  it('a static member that misses a rebalance stays in the group until its session ends', async () => {
    const h = await startCoordinator();
    const joining = joinMember(h, { groupInstanceId: 'static', rebalanceTimeoutMs: 2000 });
    await h.time.advance(0);
    const first = await joining;
    await h.coordinator.membership.syncGroup(
      syncParams(first.memberId, { groupInstanceId: 'static' }),
    );
    await settle();
    const dynamic = joinMember(h, { clientId: 'dyn', rebalanceTimeoutMs: 2000 });
    await h.time.advance(2000);
    const joined = await dynamic;
    expect(joined.generationId).toBe(2);
    expect(joined.leader).toBe(joined.memberId);
    expect(joined.members.map((m) => m.memberId).sort()).toEqual(
      [first.memberId, joined.memberId].sort(),
    );
    expect(
      h.coordinator.membership.heartbeat(
        heartbeatParams(first.memberId, { groupInstanceId: 'static' }),
      ),
    ).toBe(ErrorCode.ILLEGAL_GENERATION);
  });

  it('a static member rejoining while Stable replaces its old id without a rebalance', async () => {
    const h = await startCoordinator();
    const joining = joinMember(h, { groupInstanceId: 'instance-1' });
    await h.time.advance(0);
    const first = await joining;
    expect(first.memberId).toMatch(/^instance-1-/);
    await h.coordinator.membership.syncGroup(
      syncParams(first.memberId, {
        groupInstanceId: 'instance-1',
        assignments: [{ memberId: first.memberId, assignment: Buffer.from('x') }],
      }),
    );
    await settle();

    const again = await joinMember(h, {
      groupInstanceId: 'instance-1',
      supportsSkippingAssignment: true,
    });
    expect(again).toMatchObject({
      errorCode: ErrorCode.NONE,
      generationId: 1,
      leader: again.memberId,
      skipAssignment: true,
    });
    expect(again.memberId).not.toBe(first.memberId);
    expect(group(h).state).toBe(GroupState.Stable);
    expect(group(h).generationId).toBe(1);
    expect(
      h.coordinator.membership.heartbeat(
        heartbeatParams(first.memberId, { groupInstanceId: 'instance-1' }),
      ),
    ).toBe(ErrorCode.FENCED_INSTANCE_ID);
    // The new id keeps the old assignment.
    const synced = await h.coordinator.membership.syncGroup(
      syncParams(again.memberId, { groupInstanceId: 'instance-1' }),
    );
    expect(synced.assignment).toEqual(Buffer.from('x'));
  });

  it('refuses bad joins with Kafka codes', async () => {
    const h = await startCoordinator();
    expect((await joinMember(h, { sessionTimeoutMs: 5999 })).errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect((await joinMember(h, { groupId: '' })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await joinMember(h, { groupId: 'none', memberId: 'm' })).errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    await stableSingleMember(h);
    expect((await joinMember(h, { protocolType: 'connect' })).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect(
      (await joinMember(h, { protocols: [{ name: 'roundrobin', metadata: subscription(['t']) }] }))
        .errorCode,
    ).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    const small = await startCoordinator({ maxSize: 1 });
    await stableSingleMember(small);
    expect((await joinMember(small)).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });

  it('checks SyncGroup and Heartbeat members, generations and protocols', async () => {
    const h = await startCoordinator();
    const a = await stableSingleMember(h);
    const sync = (overrides: Partial<SyncGroupParams>) =>
      h.coordinator.membership.syncGroup(syncParams(a.memberId, overrides));
    expect((await sync({ memberId: 'x' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await sync({ generationId: 7 })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await sync({ protocolName: 'roundrobin' })).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect((await sync({ groupId: 'other' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const heartbeat = (overrides: Partial<HeartbeatParams>) =>
      h.coordinator.membership.heartbeat(heartbeatParams(a.memberId, overrides));
    expect(heartbeat({ generationId: 0 })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(heartbeat({ memberId: 'x' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(heartbeat({ groupInstanceId: 'i' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('members that never send SyncGroup are removed after the rebalance timeout', async () => {
    const h = await startCoordinator();
    const joining = joinMember(h, { rebalanceTimeoutMs: 8000 });
    await h.time.advance(0);
    const joined = await joining;
    expect(group(h).state).toBe(GroupState.CompletingRebalance);
    await h.time.advance(8000);
    await settle();
    expect(group(h).has(joined.memberId)).toBe(false);
    expect(group(h).state).toBe(GroupState.Empty);
  });

  it('describes and lists groups', async () => {
    const h = await startCoordinator();
    const a = await stableSingleMember(h);
    const described = h.coordinator.membership.describeGroup('g');
    expect(described).toMatchObject({
      errorCode: ErrorCode.NONE,
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
    });
    expect(described.members).toEqual([
      {
        memberId: a.memberId,
        groupInstanceId: null,
        clientId: 'client',
        clientHost: '/127.0.0.1',
        memberMetadata: subscription(['t']),
        memberAssignment: Buffer.from('A'),
      },
    ]);
    expect(h.coordinator.membership.describeGroup('missing')).toMatchObject({
      errorCode: ErrorCode.NONE,
      groupState: 'Dead',
      members: [],
    });
    const listed = (states: string[], types: string[] = []) =>
      h.coordinator.membership.listGroups(states, types).groups.map((g) => g.groupId);
    expect(listed([])).toEqual(['g']);
    expect(listed(['stable'])).toEqual(['g']);
    expect(listed(['Empty'])).toEqual([]);
    expect(listed([], ['consumer'])).toEqual([]);
    expect(listed([], ['Classic'])).toEqual(['g']);
  });
});

describe('coordinator ownership', () => {
  it('answers NOT_COORDINATOR for partitions it does not lead and LOAD_IN_PROGRESS while loading', async () => {
    const h = await startCoordinator();
    const parked = joinMember(h);
    h.coordinator.onResignation(0);
    expect((await parked).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await joinMember(h)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    const loading = h.coordinator.onElection(0, 1);
    const joinWhileLoading = joinMember(h);
    const syncWhileLoading = h.coordinator.membership.syncGroup(syncParams('m'));
    // Heartbeats are accepted while loading; SyncGroup asks the member to rejoin.
    expect(h.coordinator.membership.heartbeat(heartbeatParams('m'))).toBe(ErrorCode.NONE);
    expect((await joinWhileLoading).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await syncWhileLoading).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await loading;
    expect(h.coordinator.store.status('g')).toBe(ErrorCode.NONE);
  });

  it('a restarted coordinator loads Stable groups, assignments and offsets from the log', async () => {
    const h = await startCoordinator();
    const a = await stableSingleMember(h);
    const committed = await h.coordinator.offsets.commitOffsets(
      commitParams(
        { generationId: 1, memberId: a.memberId },
        { committedOffset: 42n, committedLeaderEpoch: 3, committedMetadata: 'm' },
      ),
      () => true,
    );
    expect(committed[0].partitions[0].errorCode).toBe(ErrorCode.NONE);

    const restarted = await startCoordinator({}, h.log);
    const loaded = restarted.coordinator.store.groups.get('g')!;
    expect(loaded.state).toBe(GroupState.Stable);
    expect(loaded.generationId).toBe(1);
    expect(loaded.leaderId).toBe(a.memberId);
    expect(loaded.member(a.memberId)?.assignment).toEqual(Buffer.from('A'));
    expect(restarted.coordinator.offsets.fetchOffsets('g', null).topics).toEqual([
      {
        name: 't',
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: 42n,
            committedLeaderEpoch: 3,
            metadata: 'm',
            errorCode: 0,
          },
        ],
      },
    ]);
    // The loaded member must heartbeat within its session, as after any restart.
    await restarted.time.advance(10_000);
    await settle();
    expect(loaded.state).toBe(GroupState.Empty);
  });
});

import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GROUP_TEST_PROPS,
  startTempBroker,
  type BrokerNode,
  type TempBroker,
} from '../harness/broker-process.js';
import { createTopic, kafkajsClient, partitionRecords } from '../harness/kafkajs-client.js';
import {
  startKafkajsMemberProcess,
  type KafkajsMemberProcess,
} from '../harness/kafkajs-member-process.js';
import {
  ownedPartitions,
  startMember,
  waitForStableGroup,
  waitUntil,
  type InProcessMember,
  type MemberOptions,
} from '../harness/kafkajs-group-members.js';

/**
 * Consumer groups of `bin/broker` driven by kafkajs members: six partitions shared by three
 * members, a member leaving (its partitions move in that rebalance), a member SIGKILLed in
 * a child process (its partitions move once its session lapses), and committed offsets
 * that a fresh set of members resumes from exactly.
 */

const SIX = [0, 1, 2, 3, 4, 5];

describe('consumer groups with kafkajs', () => {
  let broker: TempBroker | undefined;
  let node: BrokerNode;
  let admin: Admin;
  let producer: Producer;
  const members: InProcessMember[] = [];
  const children: KafkajsMemberProcess[] = [];

  beforeAll(async () => {
    broker = await startTempBroker('groups-kafkajs-', GROUP_TEST_PROPS);
    node = broker.node;
    const kafka = kafkajsClient('groups-kafkajs-test', [node.bootstrap]);
    admin = kafka.admin();
    producer = kafka.producer();
    await admin.connect();
    await producer.connect();
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(members.map((m) => m.stop()));
    await Promise.allSettled(children.map((c) => c.kill('SIGKILL')));
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.close();
  }, 60_000);

  async function member(
    options: Omit<MemberOptions, 'brokers'> & Partial<Pick<MemberOptions, 'brokers'>>,
  ): Promise<InProcessMember> {
    const started = await startMember({ brokers: [node.bootstrap], ...options });
    members.push(started);
    return started;
  }

  function brokerLog(): string {
    return broker?.output() ?? '';
  }

  it('three members own six partitions exactly once; a leaving member’s partitions move in the rebalance', async () => {
    const topic = 'six-partitions';
    const groupId = 'three-members';
    await createTopic(admin, topic, 6);
    const sessionTimeout = 10_000;
    const a = await member({ groupId, topic, clientId: 'member-a', sessionTimeout });
    const b = await member({ groupId, topic, clientId: 'member-b', sessionTimeout });
    const c = await member({ groupId, topic, clientId: 'member-c', sessionTimeout });

    const three = await waitForStableGroup(admin, groupId, { inProcess: [a, b, c] }, 30_000);
    expect(three.protocolType).toBe('consumer');
    expect(three.protocol).toBe('RoundRobinAssigner');
    expect(ownedPartitions(three.assignments.values(), topic)).toEqual(SIX);
    for (const m of [a, b, c]) {
      expect(three.clientIds.get(m.lastJoin()!.memberId)).toBe(m.clientId);
      expect(m.lastJoin()!.assignment[topic]).toHaveLength(2);
    }
    const leaderIds = new Set([a, b, c].map((m) => m.lastJoin()!.leaderId));
    expect(leaderIds.size).toBe(1);
    expect([a, b, c].filter((m) => m.lastJoin()!.isLeader)).toHaveLength(1);

    // C leaves (LeaveGroup): A and B take its partitions in the rebalance that follows, well
    // before C's session could have lapsed.
    const cPartitions = c.lastJoin()!.assignment[topic];
    const left = Date.now();
    await c.stop();
    const two = await waitForStableGroup(admin, groupId, { inProcess: [a, b] }, 20_000);
    const rebalanceMs = Date.now() - left;
    expect(rebalanceMs).toBeLessThan(sessionTimeout - 2000);
    expect(ownedPartitions(two.assignments.values(), topic)).toEqual(SIX);
    expect(a.lastJoin()!.assignment[topic]).toHaveLength(3);
    expect(b.lastJoin()!.assignment[topic]).toHaveLength(3);
    const survivors = [...a.lastJoin()!.assignment[topic], ...b.lastJoin()!.assignment[topic]];
    for (const p of cPartitions) expect(survivors).toContain(p);
    const leave = brokerLog()
      .split('\n')
      .find((l) => l.includes(c.lastJoin()!.memberId) && l.includes('left the group'));
    expect(leave, 'broker logs the LeaveGroup').toBeDefined();

    // Every record now goes to the member that owns its partition, once.
    await producer.send({
      topic,
      acks: -1,
      messages: SIX.flatMap((p) => [0, 1].map((i) => ({ partition: p, value: `p${p}-${i}` }))),
    });
    await waitUntil(
      () => a.messages.length + b.messages.length >= 12,
      15_000,
      () => JSON.stringify({ a: a.messages, b: b.messages }),
    );
    for (const m of [a, b]) {
      const owned = m.lastJoin()!.assignment[topic];
      for (const message of m.messages) {
        expect(owned).toContain(message.partition);
        expect(message.value).toBe(`p${message.partition}-${message.offset}`);
      }
    }
    const values = [...a.messages, ...b.messages].map((m) => m.value).sort();
    expect(values).toEqual(SIX.flatMap((p) => [`p${p}-0`, `p${p}-1`]).sort());
    expect(c.messages).toEqual([]);
    expect([...a.crashes, ...b.crashes, ...c.crashes]).toEqual([]);
    await Promise.all([a.stop(), b.stop()]);
  }, 90_000);

  it('a SIGKILLed member keeps its partitions until its session lapses, then they move', async () => {
    const topic = 'six-partitions-kill';
    const groupId = 'killed-member';
    await createTopic(admin, topic, 6);
    const a = await member({ groupId, topic, clientId: 'survivor-a', sessionTimeout: 15_000 });
    const b = await member({ groupId, topic, clientId: 'survivor-b', sessionTimeout: 15_000 });
    const killedSessionTimeout = 6000;
    const k = startKafkajsMemberProcess({
      brokers: [node.bootstrap],
      groupId,
      topic,
      clientId: 'doomed-member',
      sessionTimeout: killedSessionTimeout,
      heartbeatInterval: 1000,
    });
    children.push(k);

    const three = await waitForStableGroup(
      admin,
      groupId,
      { inProcess: [a, b], children: [k] },
      30_000,
    );
    expect(ownedPartitions(three.assignments.values(), topic)).toEqual(SIX);
    const kJoin = k.lastJoin()!;
    expect(three.clientIds.get(kJoin.memberId)).toBe('doomed-member');
    expect(kJoin.assignment[topic]).toHaveLength(2);

    // Heartbeats are flowing (the child sends one at least every second).
    await k.waitFor(
      'a heartbeat',
      (e): e is Extract<typeof e, { type: 'heartbeat' }> => e.type === 'heartbeat',
      10_000,
    );
    const killedAt = Date.now();
    await k.kill('SIGKILL');
    expect(k.child.signalCode).toBe('SIGKILL');

    // A closed connection is not a LeaveGroup: the member stays until its session lapses.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const meanwhile = await admin.describeGroups([groupId]);
    expect(meanwhile.groups[0].members.map((m) => m.memberId)).toContain(kJoin.memberId);

    const two = await waitForStableGroup(admin, groupId, { inProcess: [a, b] }, 30_000);
    const reassignedMs = Date.now() - killedAt;
    // Its last heartbeat was at most ~1 s before the kill.
    expect(reassignedMs).toBeGreaterThanOrEqual(killedSessionTimeout - 1500);
    expect(reassignedMs).toBeLessThan(killedSessionTimeout + 12_000);
    expect(ownedPartitions(two.assignments.values(), topic)).toEqual(SIX);
    expect(two.assignments.has(kJoin.memberId)).toBe(false);
    const survivors = [...a.lastJoin()!.assignment[topic], ...b.lastJoin()!.assignment[topic]];
    for (const p of kJoin.assignment[topic]) expect(survivors).toContain(p);
    const expiry = brokerLog()
      .split('\n')
      .find((l) => l.includes(kJoin.memberId) && l.includes('session expired'));
    expect(expiry, 'broker logs the expiry').toBeDefined();
    expect([...a.crashes, ...b.crashes]).toEqual([]);
    await Promise.all([a.stop(), b.stop()]);
  }, 90_000);

  it('committed offsets: new members resume exactly after the last commit of the old ones', async () => {
    const topic = 'resume-partitions';
    const groupId = 'resuming-group';
    await createTopic(admin, topic, 6);
    const committedUpTo = 6;
    // Each member commits offset+1 after each of the first `committedUpTo` records of a
    // partition, awaiting the commit before taking the next record.
    const commitEarly: MemberOptions['onMessage'] = async (consumer, { partition, message }) => {
      const next = Number(message.offset) + 1;
      if (next <= committedUpTo) {
        await consumer.commitOffsets([{ topic, partition, offset: String(next) }]);
      }
    };
    const first = [
      await member({ groupId, topic, clientId: 'first-a', onMessage: commitEarly }),
      await member({ groupId, topic, clientId: 'first-b', onMessage: commitEarly }),
      await member({ groupId, topic, clientId: 'first-c', onMessage: commitEarly }),
    ];
    // Stable before anything is produced: no rebalance while records are consumed.
    const stable = await waitForStableGroup(admin, groupId, { inProcess: first }, 30_000);
    expect(ownedPartitions(stable.assignments.values(), topic)).toEqual(SIX);

    const round1 = partitionRecords('r1', SIX.length, 0, 10);
    await producer.send({ topic, acks: -1, messages: round1 });
    await waitUntil(
      () => first.reduce((n, m) => n + m.messages.length, 0) >= round1.length,
      20_000,
      () => JSON.stringify(first.map((m) => m.messages.length)),
    );
    // Each record once, by the owner of its partition, at the offset it was produced at.
    for (const m of first) {
      const owned = m.lastJoin()!.assignment[topic];
      for (const message of m.messages) {
        expect(owned).toContain(message.partition);
        expect(message.value).toBe(`r1-p${message.partition}-o${message.offset}`);
      }
    }
    expect(first.flatMap((m) => m.messages.map((x) => x.value)).sort()).toEqual(
      round1.map((r) => r.value).sort(),
    );
    await Promise.all(first.map((m) => m.stop()));
    expect(first.flatMap((m) => m.crashes)).toEqual([]);

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed).toEqual([
      {
        topic,
        partitions: SIX.map((p) => ({
          partition: p,
          offset: String(committedUpTo),
          // Stored as '' (a commit without metadata); kafkajs's admin shows '' as null.
          metadata: null,
        })),
      },
    ]);
    const emptied = await admin.describeGroups([groupId]);
    expect(emptied.groups[0]).toMatchObject({ state: 'Empty', members: [] });

    const round2 = partitionRecords('r2', SIX.length, 10, 5);
    await producer.send({ topic, acks: -1, messages: round2 });

    const second = [
      await member({ groupId, topic, clientId: 'second-a' }),
      await member({ groupId, topic, clientId: 'second-b' }),
      await member({ groupId, topic, clientId: 'second-c' }),
    ];
    // Uncommitted records of round 1 come again, then round 2; nothing before the commit.
    const expected = [
      ...round1.filter((r) => Number(r.value.split('-o')[1]) >= committedUpTo),
      ...round2,
    ]
      .map((r) => r.value)
      .sort();
    const seen = () => new Set(second.flatMap((m) => m.messages.map((x) => x.value)));
    await waitUntil(
      () => seen().size >= expected.length,
      30_000,
      () => JSON.stringify([...seen()].sort()),
    );
    await waitForStableGroup(admin, groupId, { inProcess: second }, 20_000);
    // Let any stray re-delivery arrive before comparing.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect([...seen()].sort()).toEqual(expected);
    for (const message of second.flatMap((m) => m.messages)) {
      expect(message.offset).toBeGreaterThanOrEqual(BigInt(committedUpTo));
      expect(message.value).toMatch(new RegExp(`^r[12]-p${message.partition}-o${message.offset}$`));
    }
    await Promise.all(second.map((m) => m.stop()));
    expect(second.flatMap((m) => m.crashes)).toEqual([]);
  }, 90_000);
});

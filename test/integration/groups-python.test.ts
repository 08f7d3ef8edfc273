import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/messages/generated/index.js';
import {
  run,
  startTempBroker,
  type BrokerNode,
  type TempBroker,
} from '../harness/broker-process.js';
import { GroupConsumerProcess, SYSTEM_PYTHON } from '../harness/group-consumer.js';
import { KafkaConnection } from '../harness/kafka-connection.js';

/**
 * Consumer groups of `bin/broker` driven by the Python clients of the Debian system python:
 * confluent-kafka (librdkafka) with the cooperative-sticky assignor and static membership,
 * kafka-python's group consumer, and offsets that expire after their retention.
 */

const KAFKA_PYTHON_GROUP_SCRIPT = `
import json, sys
from kafka import KafkaConsumer
bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                         auto_offset_reset='earliest', enable_auto_commit=False,
                         consumer_timeout_ms=5000, session_timeout_ms=10000,
                         heartbeat_interval_ms=1000, request_timeout_ms=30000)
values = [[msg.partition, msg.offset, msg.value.decode()] for msg in consumer]
consumer.commit()
committed = {tp.partition: consumer.committed(tp) for tp in consumer.assignment()}
consumer.close()
print(json.dumps({'values': values, 'committed': committed}))
`;

describe('consumer groups with the Python clients', () => {
  let broker: TempBroker | undefined;
  let node: BrokerNode;
  let admin: Admin;
  let producer: Producer;
  let wire: KafkaConnection;

  /** The broker's log lines about one group (its JSON lines name the group). */
  function groupLog(groupId: string, msg?: string): string[] {
    return (broker?.output() ?? '')
      .split('\n')
      .filter((line) => line.includes(`"group":"${groupId}"`))
      .filter((line) => msg === undefined || line.includes(`"msg":"${msg}"`));
  }

  async function describeGroup(groupId: string) {
    const body = await wire.call(ApiKey.DescribeGroups, 5, { groups: [groupId] });
    return body.groups[0];
  }

  /** Committed offsets (OffsetFetch v7), -1 where none. */
  async function committedOffsets(
    groupId: string,
    topic: string,
    partitions: number[],
  ): Promise<bigint[]> {
    const body = await wire.call(ApiKey.OffsetFetch, 7, {
      groupId,
      topics: [{ name: topic, partitionIndexes: partitions }],
    });
    expect(body.errorCode).toBe(0);
    return body.topics[0].partitions.map((p) => {
      expect(p.errorCode).toBe(0);
      return p.committedOffset;
    });
  }

  async function listedGroups(): Promise<string[]> {
    const body = await wire.call(ApiKey.ListGroups, 4, {});
    expect(body.errorCode).toBe(0);
    return body.groups.map((g) => g.groupId);
  }

  async function produce(topic: string, messages: { partition: number; value: string }[]) {
    await producer.send({ topic, acks: -1, messages });
  }

  beforeAll(async () => {
    // Offsets with their own retention are checked for expiry every half second.
    broker = await startTempBroker('groups-python-', {
      'offsets.retention.check.interval.ms': '500',
    });
    node = broker.node;
    const kafka = new Kafka({
      clientId: 'groups-python-test',
      brokers: [node.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
    wire = await KafkaConnection.open(node.port, 'groups-python-test');
    // Creates __consumer_offsets, led by this broker, as a client's first lookup would.
    const found = await wire.call(ApiKey.FindCoordinator, 3, { key: 'any', keyType: 0 });
    expect(found).toMatchObject({ errorCode: 0, nodeId: 1 });
  }, 60_000);

  afterAll(async () => {
    wire?.close();
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.close();
  }, 30_000);

  it('confluent-kafka, cooperative-sticky, static members: 2 partitions each; a restart within the session does not rebalance', async () => {
    const topic = 'coop';
    const groupId = 'coop-static';
    const all = [0, 1, 2, 3];
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 4 }] });
    const batch = (name: string) =>
      all.flatMap((partition) =>
        [0, 1].map((i) => ({ partition, value: `${name}-p${partition}-${i}` })),
      );
    const ofPartitions = (values: { partition: number; value: string }[], ps: number[]) =>
      values.filter((m) => ps.includes(m.partition)).map((m) => m.value);
    const hasConsumed = (c: GroupConsumerProcess, values: string[]) => () => {
      const consumed = new Set(c.consumedValues());
      return values.every((v) => consumed.has(v));
    };
    /** The last committed offset the consumer reported per partition. */
    const lastCommits = (c: GroupConsumerProcess) => {
      const byPartition = new Map<number, number>();
      for (const e of c.events) {
        if (e.event === 'committed') for (const [p, o] of e.offsets!) byPartition.set(p, o);
      }
      return byPartition;
    };

    const first = batch('first');
    await produce(topic, first);
    const consumers: GroupConsumerProcess[] = [];
    try {
      const a = GroupConsumerProcess.start(node.bootstrap, topic, groupId, 'coop-a');
      consumers.push(a);
      await a.waitFor(() => a.assignment?.length === 4, 'the first consumer to own all 4');
      await a.waitFor(
        hasConsumed(
          a,
          first.map((m) => m.value),
        ),
        'the first batch',
      );

      const b = GroupConsumerProcess.start(node.bootstrap, topic, groupId, 'coop-b');
      consumers.push(b);
      await b.waitFor(
        () => a.assignment?.length === 2 && b.assignment?.length === 2,
        'two partitions each',
      );
      const aPartitions = a.assignment!;
      const bPartitions = b.assignment!;
      expect([...aPartitions, ...bPartitions].sort()).toEqual(all);
      // Incremental (cooperative) rebalancing: A gave up exactly B's two partitions and kept
      // its own throughout; an eager protocol would have revoked all four.
      expect(a.rebalanceEvents.filter((e) => e.event !== 'assign')).toEqual([
        { event: 'revoke', partitions: bPartitions, assignment: aPartitions },
      ]);
      expect(a.rebalanceEvents.every((e) => e.assignment!.length >= 2)).toBe(true);

      // The cooperative protocol's follow-up rebalance: wait until the group is Stable and
      // its log quiet.
      let quietSince = Date.now();
      let lines = groupLog(groupId).length;
      while (Date.now() - quietSince < 1_500) {
        await new Promise((r) => setTimeout(r, 100));
        const now = groupLog(groupId).length;
        if (now !== lines || (await describeGroup(groupId)).groupState !== 'Stable') {
          lines = now;
          quietSince = Date.now();
        }
      }

      const second = batch('second');
      await produce(topic, second);
      await a.waitFor(hasConsumed(a, ofPartitions(second, aPartitions)), 'A: second batch');
      await b.waitFor(hasConsumed(b, ofPartitions(second, bPartitions)), 'B: second batch');
      // Each consumer read only its own partitions, after the first batch only the new records.
      expect(b.consumedValues().sort()).toEqual(ofPartitions(second, bPartitions).sort());
      await b.waitFor(
        () => bPartitions.every((p) => lastCommits(b).get(p) === 4),
        'B to commit offset 4 of its partitions',
      );

      const stableLines = groupLog(groupId, 'group stable');
      const generation = (JSON.parse(stableLines.at(-1)!) as { generation: number }).generation;
      const rebalances = groupLog(groupId, 'preparing to rebalance group').length;
      const aCallbacks = a.rebalanceEvents.length;
      const before = await describeGroup(groupId);
      expect(before.groupState).toBe('Stable');
      const memberOf = (described: typeof before, instance: string) =>
        described.members.find((m) => m.groupInstanceId === instance)?.memberId;
      const aMemberId = memberOf(before, 'coop-a')!;
      const bMemberId = memberOf(before, 'coop-b')!;
      expect([aMemberId, bMemberId].every((id) => id !== undefined)).toBe(true);

      // B closes its consumer: a static member does not send LeaveGroup.
      b.send('close');
      expect(await b.exited, b.stderr).toBe(0);
      expect(b.events.at(-1)?.event).toBe('closed');
      expect(groupLog(groupId, 'member left the group')).toEqual([]);
      const whileAway = await describeGroup(groupId);
      expect(whileAway.groupState).toBe('Stable');
      expect(memberOf(whileAway, 'coop-b')).toBe(bMemberId);

      // ... and comes back with the same group.instance.id well within session.timeout.ms.
      const b2 = GroupConsumerProcess.start(node.bootstrap, topic, groupId, 'coop-b');
      consumers.push(b2);
      await b2.waitFor(() => b2.assignment?.length === 2, 'the restarted B to get its partitions');
      expect(b2.assignment).toEqual(bPartitions);
      expect(groupLog(groupId, 'static member rejoined with a new member id')).toHaveLength(1);

      const third = batch('third');
      await produce(topic, third);
      await a.waitFor(hasConsumed(a, ofPartitions(third, aPartitions)), 'A: third batch');
      await b2.waitFor(hasConsumed(b2, ofPartitions(third, bPartitions)), 'B again: third batch');
      // It resumed from B's commits: nothing of the first two batches again.
      expect(b2.consumedValues().sort()).toEqual(ofPartitions(third, bPartitions).sort());
      await b2.waitFor(
        () => bPartitions.every((p) => lastCommits(b2).get(p) === 6),
        'B again to commit offset 6',
      );
      await a.waitFor(
        () => aPartitions.every((p) => lastCommits(a).get(p) === 6),
        'A to commit offset 6',
      );

      // No rebalance: no new round in the log, A saw no callback, the generation is the same.
      const log = groupLog(groupId).join('\n');
      expect(groupLog(groupId, 'preparing to rebalance group').length, log).toBe(rebalances);
      expect(a.rebalanceEvents.length).toBe(aCallbacks);
      expect(b2.rebalanceEvents).toEqual([
        { event: 'assign', partitions: bPartitions, assignment: bPartitions },
      ]);
      const after = await describeGroup(groupId);
      expect(after.groupState).toBe('Stable');
      expect(memberOf(after, 'coop-a')).toBe(aMemberId);
      const b2MemberId = memberOf(after, 'coop-b')!;
      expect(b2MemberId).toMatch(/^coop-b-/);
      expect(b2MemberId).not.toBe(bMemberId);
      for (const [memberId, groupInstanceId] of [
        [aMemberId, 'coop-a'],
        [b2MemberId, 'coop-b'],
      ]) {
        const beat = await wire.call(ApiKey.Heartbeat, 4, {
          groupId,
          generationId: generation,
          memberId,
          groupInstanceId,
        });
        expect(beat.errorCode, log).toBe(0);
      }
      const fenced = await wire.call(ApiKey.Heartbeat, 4, {
        groupId,
        generationId: generation,
        memberId: bMemberId,
        groupInstanceId: 'coop-b',
      });
      expect(fenced.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);

      // Every record consumed was committed: 6 records per partition.
      expect(await committedOffsets(groupId, topic, all)).toEqual([6n, 6n, 6n, 6n]);
    } finally {
      for (const c of consumers) await c.kill();
    }
  }, 80_000);

  it('kafka-python group consumer: commits what it read; the next run of the group sees only new records', async () => {
    const topic = 'kp-topic';
    const groupId = 'kp-group';
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
    const script = join(node.dir, 'kafka-python-group.py');
    await writeFile(script, KAFKA_PYTHON_GROUP_SCRIPT);
    const consume = async () => {
      const result = await run(SYSTEM_PYTHON, [script, node.bootstrap, topic, groupId], {
        timeoutMs: 45_000,
      });
      expect(result.timedOut, result.stderr).toBe(false);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
        values: [number, number, string][];
        committed: Record<string, number>;
      };
    };
    const firstBatch = Array.from({ length: 30 }, (_, i) => ({
      partition: i % 3,
      value: `kp-first-${i}`,
    }));
    await produce(topic, firstBatch);

    const first = await consume();
    expect(first.values.map(([, , v]) => v).sort()).toEqual(firstBatch.map((m) => m.value).sort());
    expect(first.committed).toEqual({ 0: 10, 1: 10, 2: 10 });
    expect(await committedOffsets(groupId, topic, [0, 1, 2])).toEqual([10n, 10n, 10n]);
    // The consumer left on close: the group is Empty and keeps its offsets.
    expect(groupLog(groupId, 'member left the group')).toHaveLength(1);
    expect(await describeGroup(groupId)).toMatchObject({
      groupState: 'Empty',
      protocolType: 'consumer',
    });

    const secondBatch = Array.from({ length: 9 }, (_, i) => ({
      partition: i % 3,
      value: `kp-second-${i}`,
    }));
    await produce(topic, secondBatch);
    const second = await consume();
    expect(second.values.map(([, , v]) => v).sort()).toEqual(
      secondBatch.map((m) => m.value).sort(),
    );
    expect(second.values.every(([, offset]) => offset >= 10)).toBe(true);
    expect(second.committed).toEqual({ 0: 13, 1: 13, 2: 13 });
    expect(await committedOffsets(groupId, topic, [0, 1, 2])).toEqual([13n, 13n, 13n]);
  }, 80_000);

  it('offsets committed with a retention time (OffsetCommit v2) expire; the empty group goes with them', async () => {
    const topic = 'expiry-topic';
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    const commit = (groupId: string, retentionTimeMs: bigint) =>
      wire.call(ApiKey.OffsetCommit, 2, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        retentionTimeMs,
        topics: [
          {
            name: topic,
            partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: 'm' }],
          },
        ],
      });
    const expiring = await commit('expiring', 1_500n);
    const committedAt = Date.now();
    // Retention -1: the broker's offsets.retention.minutes (7 days).
    const kept = await commit('kept', -1n);
    for (const body of [expiring, kept]) {
      expect(body.topics).toEqual([
        { name: topic, partitions: [{ partitionIndex: 0, errorCode: 0 }] },
      ]);
    }
    expect(await committedOffsets('expiring', topic, [0])).toEqual([5n]);
    expect(await listedGroups()).toEqual(expect.arrayContaining(['expiring', 'kept']));

    let offset = 5n;
    while (offset !== -1n && Date.now() - committedAt < 6_000) {
      await new Promise((r) => setTimeout(r, 100));
      [offset] = await committedOffsets('expiring', topic, [0]);
    }
    const expiredAfter = Date.now() - committedAt;
    expect(offset).toBe(-1n);
    // Not before its retention; within retention plus a check interval or two.
    expect(expiredAfter).toBeGreaterThanOrEqual(1_400);
    expect(expiredAfter).toBeLessThan(3_500);
    const groups = await listedGroups();
    expect(groups).not.toContain('expiring');
    expect(groups).toContain('kept');
    expect((await describeGroup('expiring')).groupState).toBe('Dead');
    expect(await committedOffsets('kept', topic, [0])).toEqual([5n]);
    expect(broker!.output()).toContain('expired offsets and empty groups removed');
  }, 30_000);
});

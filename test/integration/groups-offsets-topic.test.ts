import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse, encodeRequest } from '../../src/protocol/api.js';
import { ApiKey } from '../../src/protocol/messages/generated/index.js';
import type { OffsetCommitRequest } from '../../src/protocol/messages/generated/offset-commit-request.js';
import { startTempBroker, type BrokerNode, type TempBroker } from '../harness/broker-process.js';
import { createTopic, kafkajsClient, produce } from '../harness/kafkajs-client.js';
import {
  startMember,
  waitForStableGroup,
  waitUntil,
  type InProcessMember,
} from '../harness/kafkajs-group-members.js';
import { WireClient } from '../harness/wire-client.js';

/**
 * `__consumer_offsets` read back with a plain kafkajs consumer and decoded with Kafka's
 * documented record schemas, written here independently of the broker's own codec: offset
 * commits (value v3, and v1 when the commit carries a retention), group metadata records
 * naming protocol type, generation, leader and members with their subscription and
 * assignment, the empty group once everyone left, and the tombstones of a deleted group.
 * Every record of a group sits in partition abs(javaHash(group)) % partitions.
 */

const OFFSETS_TOPIC = '__consumer_offsets';
const OFFSETS_PARTITIONS = 5;
const READER_GROUP = 'offsets-topic-reader';

/** Big-endian reader for Kafka's classic (non-flexible) schemas. */
class SchemaReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    const v = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return v;
  }
  string(): string {
    const v = this.nullableString();
    if (v === null) throw new Error(`null string at ${this.pos}`);
    return v;
  }
  bytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    const v = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return v;
  }
  array<T>(item: () => T): T[] {
    const count = this.int32();
    return Array.from({ length: count }, item);
  }
  /** Everything was read: no trailing bytes. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw new Error(`${this.buf.length - this.pos} trailing bytes`);
    }
  }
}

type RecordKey =
  | { kind: 'offset'; version: number; group: string; topic: string; partition: number }
  | { kind: 'group'; version: number; group: string };

function decodeKey(buf: Buffer): RecordKey {
  const r = new SchemaReader(buf);
  const version = r.int16();
  let key: RecordKey;
  if (version === 0 || version === 1) {
    key = { kind: 'offset', version, group: r.string(), topic: r.string(), partition: r.int32() };
  } else if (version === 2) {
    key = { kind: 'group', version, group: r.string() };
  } else {
    throw new Error(`unexpected key version ${version}`);
  }
  r.end();
  return key;
}

interface OffsetValue {
  version: number;
  offset: bigint;
  leaderEpoch: number | null;
  metadata: string;
  commitTimestamp: bigint;
  expireTimestamp: bigint | null;
}

function decodeOffsetValue(buf: Buffer): OffsetValue {
  const r = new SchemaReader(buf);
  const version = r.int16();
  let value: OffsetValue;
  if (version === 3) {
    value = {
      version,
      offset: r.int64(),
      leaderEpoch: r.int32(),
      metadata: r.string(),
      commitTimestamp: r.int64(),
      expireTimestamp: null,
    };
  } else if (version === 1) {
    value = {
      version,
      offset: r.int64(),
      leaderEpoch: null,
      metadata: r.string(),
      commitTimestamp: r.int64(),
      expireTimestamp: r.int64(),
    };
  } else {
    throw new Error(`unexpected offset value version ${version}`);
  }
  r.end();
  return value;
}

interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

interface GroupValue {
  version: number;
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: bigint;
  members: GroupMember[];
}

function decodeGroupValue(buf: Buffer): GroupValue {
  const r = new SchemaReader(buf);
  const version = r.int16();
  if (version !== 3) throw new Error(`unexpected group metadata value version ${version}`);
  const value: GroupValue = {
    version,
    protocolType: r.string(),
    generation: r.int32(),
    protocol: r.nullableString(),
    leader: r.nullableString(),
    currentStateTimestamp: r.int64(),
    members: r.array(() => ({
      memberId: r.string(),
      groupInstanceId: r.nullableString(),
      clientId: r.string(),
      clientHost: r.string(),
      rebalanceTimeout: r.int32(),
      sessionTimeout: r.int32(),
      subscription: r.bytes()!,
      assignment: r.bytes()!,
    })),
  };
  r.end();
  return value;
}

/** ConsumerProtocolSubscription: version, topics, user data (later versions add fields). */
function decodeSubscription(buf: Buffer): { version: number; topics: string[] } {
  const r = new SchemaReader(buf);
  return { version: r.int16(), topics: r.array(() => r.string()) };
}

/** ConsumerProtocolAssignment: version, [topic, [partition]], user data. */
function decodeAssignment(buf: Buffer): { version: number; assignment: Record<string, number[]> } {
  const r = new SchemaReader(buf);
  const version = r.int16();
  const entries = r.array(() => [r.string(), r.array(() => r.int32())] as const);
  return { version, assignment: Object.fromEntries(entries) };
}

/** Kafka's Utils.abs(groupId.hashCode()) % partitions, with Java's String.hashCode. */
function offsetsPartitionFor(groupId: string): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
  return (hash === -2147483648 ? 0 : Math.abs(hash)) % OFFSETS_PARTITIONS;
}

interface StoredRecord {
  partition: number;
  offset: bigint;
  key: RecordKey;
  value: Buffer | null;
}

describe('__consumer_offsets records as Kafka documents them', () => {
  let broker: TempBroker | undefined;
  let node: BrokerNode;
  let kafka: Kafka;
  let admin: Admin;
  const members: InProcessMember[] = [];
  let wire: WireClient | undefined;
  let correlationId = 0;

  beforeAll(async () => {
    broker = await startTempBroker('groups-offsets-topic-', {
      'auto.create.topics.enable': 'false',
      'offsets.topic.num.partitions': String(OFFSETS_PARTITIONS),
    });
    node = broker.node;
    kafka = kafkajsClient('offsets-topic-test', [node.bootstrap]);
    admin = kafka.admin();
    await admin.connect();
  }, 60_000);

  afterAll(async () => {
    wire?.destroy();
    await Promise.allSettled(members.map((m) => m.stop()));
    await admin?.disconnect();
    await broker?.close();
  }, 60_000);

  /** Every record of `__consumer_offsets` up to its current end, read by a kafkajs consumer. */
  async function readOffsetsTopic(): Promise<StoredRecord[]> {
    const ends = new Map(
      (await admin.fetchTopicOffsets(OFFSETS_TOPIC)).map((p) => [p.partition, BigInt(p.high)]),
    );
    expect(ends.size).toBe(OFFSETS_PARTITIONS);
    const reader = kafka.consumer({ groupId: READER_GROUP, maxWaitTimeInMs: 200 });
    const records: StoredRecord[] = [];
    const next = new Map<number, bigint>();
    await reader.connect();
    try {
      await reader.subscribe({ topics: [OFFSETS_TOPIC], fromBeginning: true });
      await reader.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const offset = BigInt(message.offset);
          if (offset >= ends.get(partition)!) return;
          records.push({ partition, offset, key: decodeKey(message.key!), value: message.value });
          next.set(partition, offset + 1n);
        },
      });
      await waitUntil(
        () => [...ends].every(([p, end]) => (next.get(p) ?? 0n) >= end),
        20_000,
        () => JSON.stringify({ ends: [...ends], next: [...next] }, (_, v) => String(v)),
      );
    } finally {
      await reader.disconnect();
    }
    return records.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
  }

  /** OffsetCommit outside group management (generation -1), by hand. */
  async function commitByHand(
    version: number,
    request: Omit<
      OffsetCommitRequest,
      'generationIdOrMemberEpoch' | 'memberId' | 'groupInstanceId'
    >,
  ): Promise<number[]> {
    wire ??= await WireClient.connect(node.port);
    correlationId += 1;
    wire.send(
      encodeRequest(ApiKey.OffsetCommit, version, correlationId, 'hand-commit', {
        ...request,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
      }),
    );
    const response = decodeResponse(ApiKey.OffsetCommit, version, await wire.nextFrame(10_000));
    expect(response.header.correlationId).toBe(correlationId);
    return response.body.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
  }

  it('offset commits, group metadata and tombstones decode with the documented schemas', async () => {
    const topic = 'format-topic';
    const groupId = 'format-group';
    const simpleGroup = 'format-simple-group';
    await createTopic(admin, topic, 2);
    await produce(
      kafka,
      topic,
      [0, 1].flatMap((p) =>
        Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `v${p}-${i}` })),
      ),
    );

    const a = await startMember({
      brokers: [node.bootstrap],
      groupId,
      topic,
      clientId: 'format-a',
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
    });
    members.push(a);
    await waitForStableGroup(admin, groupId, { inProcess: [a] }, 20_000);
    const b = await startMember({
      brokers: [node.bootstrap],
      groupId,
      topic,
      clientId: 'format-b',
      sessionTimeout: 11_000,
      rebalanceTimeout: 21_000,
    });
    members.push(b);
    const both = await waitForStableGroup(admin, groupId, { inProcess: [a, b] }, 20_000);
    const described = (await admin.describeGroups([groupId])).groups[0];

    // The generation both members heartbeat with now (a heartbeat after the last join).
    const currentGeneration = async (m: InProcessMember): Promise<number> => {
      const seen = m.generations.length;
      await waitUntil(
        () => m.generations.length > seen,
        10_000,
        () => 'no heartbeat',
      );
      return m.generations.at(-1)!;
    };
    const generation = await currentGeneration(a);
    expect(await currentGeneration(b)).toBe(generation);
    const aJoin = a.lastJoin()!;
    const bJoin = b.lastJoin()!;
    expect(aJoin.leaderId).toBe(aJoin.memberId); // the first member stays the leader
    const aPartition = aJoin.assignment[topic][0];
    const bPartition = bJoin.assignment[topic][0];
    expect([aPartition, bPartition].sort()).toEqual([0, 1]);

    const commitsFrom = BigInt(Date.now());
    await a.consumer.commitOffsets([
      { topic, partition: aPartition, offset: '5', metadata: 'meta-a' },
    ]);
    await b.consumer.commitOffsets([
      { topic, partition: bPartition, offset: '8', metadata: 'meta-b' },
    ]);
    // A commit with a retention (OffsetCommit v2) and one with a leader epoch (v8).
    const retentionMs = 3_600_000n;
    expect(
      await commitByHand(2, {
        groupId: simpleGroup,
        retentionTimeMs: retentionMs,
        topics: [
          {
            name: topic,
            partitions: [
              {
                partitionIndex: 1,
                committedOffset: 7n,
                committedLeaderEpoch: -1,
                commitTimestamp: -1n,
                committedMetadata: 'kept-an-hour',
              },
            ],
          },
        ],
      }),
    ).toEqual([0]);
    expect(
      await commitByHand(8, {
        groupId: simpleGroup,
        retentionTimeMs: -1n,
        topics: [
          {
            name: topic,
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 4n,
                committedLeaderEpoch: 0,
                commitTimestamp: -1n,
                committedMetadata: null,
              },
            ],
          },
        ],
      }),
    ).toEqual([0]);
    const commitsTo = BigInt(Date.now());

    // B leaves, then A: one more generation with A alone, then the empty group.
    await b.stop();
    await waitForStableGroup(admin, groupId, { inProcess: [a] }, 20_000);
    const aloneGeneration = await currentGeneration(a);
    await a.stop();
    expect((await admin.describeGroups([groupId])).groups[0]).toMatchObject({
      state: 'Empty',
      members: [],
    });
    const beforeDelete = await readOffsetsTopic();

    const deleted = await admin.deleteGroups([groupId]);
    expect(deleted).toEqual([expect.objectContaining({ groupId, errorCode: 0 })]);
    const all = await readOffsetsTopic();
    // The second read repeats the first, then has the tombstones and the reader's own group.
    const position = (r: StoredRecord) => `${r.partition}:${r.offset}`;
    const earlier = new Map(beforeDelete.map((r) => [position(r), r]));
    expect(all.filter((r) => earlier.has(position(r)))).toEqual(beforeDelete);
    const added = all.filter((r) => !earlier.has(position(r)));
    expect(added.filter((r) => r.key.group !== READER_GROUP).every((r) => r.value === null)).toBe(
      true,
    );

    // Every record of a group in the group's partition.
    const ofGroup = (g: string) => all.filter((r) => r.key.group === g);
    for (const g of [groupId, simpleGroup]) {
      expect(ofGroup(g).length).toBeGreaterThan(0);
      expect(new Set(ofGroup(g).map((r) => r.partition))).toEqual(
        new Set([offsetsPartitionFor(g)]),
      );
    }

    // Offset commits of the group's members: OffsetCommitKey v1, OffsetCommitValue v3.
    const offsetRecords = ofGroup(groupId).filter((r) => r.key.kind === 'offset');
    const live = offsetRecords.filter((r) => r.value !== null);
    expect(live.map((r) => r.key)).toEqual([
      { kind: 'offset', version: 1, group: groupId, topic, partition: aPartition },
      { kind: 'offset', version: 1, group: groupId, topic, partition: bPartition },
    ]);
    const [aValue, bValue] = live.map((r) => decodeOffsetValue(r.value!));
    expect(aValue).toEqual({
      version: 3,
      offset: 5n,
      leaderEpoch: -1,
      metadata: 'meta-a',
      commitTimestamp: aValue.commitTimestamp,
      expireTimestamp: null,
    });
    expect(bValue).toEqual({
      version: 3,
      offset: 8n,
      leaderEpoch: -1,
      metadata: 'meta-b',
      commitTimestamp: bValue.commitTimestamp,
      expireTimestamp: null,
    });
    for (const v of [aValue, bValue]) {
      expect(v.commitTimestamp).toBeGreaterThanOrEqual(commitsFrom);
      expect(v.commitTimestamp).toBeLessThanOrEqual(commitsTo);
    }

    // The hand-made commits: v1 with the expiry the retention sets, v3 with the leader epoch.
    const simple = ofGroup(simpleGroup);
    expect(simple.map((r) => r.key)).toEqual([
      { kind: 'offset', version: 1, group: simpleGroup, topic, partition: 1 },
      { kind: 'offset', version: 1, group: simpleGroup, topic, partition: 0 },
    ]);
    const [retained, withEpoch] = simple.map((r) => decodeOffsetValue(r.value!));
    expect(retained).toEqual({
      version: 1,
      offset: 7n,
      leaderEpoch: null,
      metadata: 'kept-an-hour',
      commitTimestamp: retained.commitTimestamp,
      expireTimestamp: retained.commitTimestamp + retentionMs,
    });
    expect(retained.commitTimestamp).toBeGreaterThanOrEqual(commitsFrom);
    expect(retained.commitTimestamp).toBeLessThanOrEqual(commitsTo);
    expect(withEpoch).toEqual({
      version: 3,
      offset: 4n,
      leaderEpoch: 0,
      metadata: '',
      commitTimestamp: withEpoch.commitTimestamp,
      expireTimestamp: null,
    });

    // Group metadata: GroupMetadataKey v2, GroupMetadataValue v3, one per generation.
    const groupRecords = ofGroup(groupId).filter((r) => r.key.kind === 'group');
    for (const r of groupRecords)
      expect(r.key).toEqual({ kind: 'group', version: 2, group: groupId });
    const values = groupRecords
      .filter((r) => r.value !== null)
      .map((r) => decodeGroupValue(r.value!));
    expect(values.map((v) => v.generation)).toEqual(values.map((_, i) => i + 1));
    for (const v of values) expect(v.protocolType).toBe('consumer');

    // Generation 1: A alone, leader, with everything.
    expect(values[0].leader).toBe(aJoin.memberId);
    expect(values[0].members.map((m) => m.memberId)).toEqual([aJoin.memberId]);

    // The generation both members heartbeat with: both, each with its subscription and
    // the assignment it was given, byte for byte what DescribeGroups reports.
    const stable = values.find((v) => v.generation === generation)!;
    expect(stable).toMatchObject({
      version: 3,
      protocolType: 'consumer',
      protocol: 'RoundRobinAssigner',
      leader: aJoin.memberId,
    });
    expect(stable.currentStateTimestamp).toBeGreaterThan(0n);
    expect(stable.members.map((m) => m.memberId).sort()).toEqual(
      [aJoin.memberId, bJoin.memberId].sort(),
    );
    const expectedMember = {
      [aJoin.memberId]: { clientId: 'format-a', rebalanceTimeout: 20_000, sessionTimeout: 10_000 },
      [bJoin.memberId]: { clientId: 'format-b', rebalanceTimeout: 21_000, sessionTimeout: 11_000 },
    };
    for (const m of stable.members) {
      expect(m).toMatchObject({
        groupInstanceId: null,
        clientHost: '/127.0.0.1',
        ...expectedMember[m.memberId],
      });
      expect(decodeSubscription(m.subscription).topics).toEqual([topic]);
      expect(decodeAssignment(m.assignment).assignment).toEqual(both.assignments.get(m.memberId));
      const d = described.members.find((x) => x.memberId === m.memberId)!;
      expect(m.subscription.equals(d.memberMetadata)).toBe(true);
      expect(m.assignment.equals(d.memberAssignment)).toBe(true);
    }

    // After B left: A alone with both partitions; after A left: the empty group, its
    // protocol and leader gone, the protocol type kept.
    const alone = values.find((v) => v.generation === aloneGeneration)!;
    expect(alone.members.map((m) => m.memberId)).toEqual([aJoin.memberId]);
    expect(decodeAssignment(alone.members[0].assignment).assignment).toEqual({
      [topic]: [0, 1],
    });
    const empty = values.at(-1)!;
    expect(empty).toMatchObject({
      generation: aloneGeneration + 1,
      protocolType: 'consumer',
      protocol: null,
      leader: null,
      members: [],
    });

    // DeleteGroups wrote tombstones for the group and for each of its offsets, last.
    const tombstones = ofGroup(groupId).filter((r) => r.value === null);
    expect(tombstones.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        { kind: 'group', version: 2, group: groupId },
        { kind: 'offset', version: 1, group: groupId, topic, partition: 0 },
        { kind: 'offset', version: 1, group: groupId, topic, partition: 1 },
      ]),
    );
    expect(tombstones).toHaveLength(3);
    const lastLive = Math.max(
      ...ofGroup(groupId)
        .filter((r) => r.value !== null)
        .map((r) => Number(r.offset)),
    );
    for (const t of tombstones) expect(Number(t.offset)).toBeGreaterThan(lastLive);
  }, 90_000);
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse, encodeRequest, type ApiKeyNumber } from '../../src/protocol/api.js';
import type { Encodable } from '../../src/protocol/codec/compile.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  ApiKey,
  type RequestsByApiKey,
  type ResponsesByApiKey,
} from '../../src/protocol/messages/generated/index.js';
import {
  buildRecordBatch,
  scanBatches,
  type RecordInput,
} from '../../src/protocol/records/index.js';
import {
  kill9,
  prepareBrokerNode,
  requireBuiltBroker,
  startBrokerProcess,
  type BrokerNode,
  type RunningBrokerProcess,
} from '../harness/broker-process.js';
import { WireClient } from '../harness/wire-client.js';
import { mulberry32 } from '../harness/seeded-random.js';

/**
 * `bin/broker` restarted under load: a clean SIGTERM keeps every record field by field, a
 * SIGKILL at a seeded random moment loses no acknowledged record and leaves a log of
 * CRC-valid batches with contiguous offsets, and an idempotent producer's retry of its last
 * batch across a restart (clean or not) is answered with the original offset, not appended.
 */

const PRODUCE_VERSION = 9;
const FETCH_VERSION = 11;

/** Raw requests with correlation ids; several may be in flight (the broker answers in order). */
class Wire {
  private correlationId = 0;
  private constructor(readonly client: WireClient) {}

  static async connect(port: number): Promise<Wire> {
    return new Wire(await WireClient.connect(port));
  }

  send<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    body: Encodable<RequestsByApiKey[K]>,
  ): number {
    this.correlationId += 1;
    this.client.send(encodeRequest(apiKey, version, this.correlationId, 'restart-test', body));
    return this.correlationId;
  }

  async receive<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    correlationId: number,
    timeoutMs = 10_000,
  ): Promise<ResponsesByApiKey[K]> {
    const response = decodeResponse(apiKey, version, await this.client.nextFrame(timeoutMs));
    expect(response.header.correlationId).toBe(correlationId);
    return response.body;
  }

  async call<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    body: Encodable<RequestsByApiKey[K]>,
  ): Promise<ResponsesByApiKey[K]> {
    return this.receive(apiKey, version, this.send(apiKey, version, body));
  }

  close(): void {
    this.client.destroy();
  }
}

function produceBody(
  topic: string,
  batch: Buffer,
  acks: number,
): Encodable<RequestsByApiKey[typeof ApiKey.Produce]> {
  return {
    transactionalId: null,
    acks,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  };
}

async function createTopic(wire: Wire, name: string, configs: Record<string, string> = {}) {
  const response = await wire.call(ApiKey.CreateTopics, 7, {
    topics: [
      {
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
      },
    ],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  expect(response.topics[0].errorCode, response.topics[0].errorMessage ?? '').toBe(ErrorCode.NONE);
  await waitForLeader(wire, name);
}

/**
 * CreateTopics answers before the partition is hosted (as Kafka; clients retry): wait until
 * ListOffsets, which needs the local leader replica, answers without error.
 */
async function waitForLeader(wire: Wire, topic: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await wire.call(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        {
          name: topic,
          partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }],
        },
      ],
    });
    const partition = response.topics[0].partitions[0];
    if (partition.errorCode === ErrorCode.NONE) return;
    if (Date.now() > deadline)
      throw new Error(`${topic} has no leader: error ${partition.errorCode}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface StoredRecord {
  offset: bigint;
  timestamp: bigint;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
  producerId: bigint;
  sequence: number;
}

/**
 * Every record of partition 0 from offset 0 to the high watermark, by raw Fetch. Asserts
 * every batch's CRC and that batch offsets follow each other without a gap or overlap.
 */
async function fetchAll(wire: Wire, topic: string): Promise<StoredRecord[]> {
  const records: StoredRecord[] = [];
  let next = 0n;
  for (;;) {
    const response = await wire.call(ApiKey.Fetch, FETCH_VERSION, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 8 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          partitions: [{ partition: 0, fetchOffset: next, partitionMaxBytes: 8 << 20 }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    expect(response.errorCode).toBe(ErrorCode.NONE);
    const partition = response.responses[0].partitions[0];
    expect(partition.errorCode).toBe(ErrorCode.NONE);
    if (next >= partition.highWatermark) return records;
    const { batches } = scanBatches(partition.records ?? Buffer.alloc(0));
    expect(batches.length, `no batch at offset ${next}`).toBeGreaterThan(0);
    for (const batch of batches) {
      expect(batch.isValid(), `CRC of the batch at ${batch.baseOffset}`).toBe(true);
      if (batch.nextOffset <= next) continue; // a batch Fetch repeated from before `next`
      expect(batch.baseOffset, 'batches follow each other').toBe(next);
      for (const record of await batch.decodeRecords({ requireContiguousOffsets: true })) {
        records.push({
          offset: record.offset,
          timestamp: record.timestamp,
          key: record.key?.toString() ?? null,
          value: record.value?.toString() ?? null,
          headers: record.headers.map((h) => [h.key, h.value?.toString() ?? null]),
          producerId: batch.producerId,
          sequence: batch.hasProducerId ? batch.baseSequence + record.offsetDelta : -1,
        });
      }
      next = batch.nextOffset;
    }
  }
}

async function latestOffset(wire: Wire, topic: string): Promise<bigint> {
  const response = await wire.call(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [
      { name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] },
    ],
  });
  expect(response.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
  return response.topics[0].partitions[0].offset;
}

describe('bin/broker restarts', () => {
  let dir: string;
  let broker: RunningBrokerProcess | undefined;
  const wires: Wire[] = [];

  async function connect(node: BrokerNode): Promise<Wire> {
    const wire = await Wire.connect(node.port);
    wires.push(wire);
    return wire;
  }

  async function freshNode(name: string, props: Record<string, string> = {}): Promise<BrokerNode> {
    const nodeDir = join(dir, name);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(nodeDir);
    return prepareBrokerNode(nodeDir, props);
  }

  beforeAll(async () => {
    requireBuiltBroker();
    dir = await mkdtemp(join(tmpdir(), 'broker-restart-'));
  });

  afterEach(async () => {
    for (const wire of wires.splice(0)) wire.close();
    await broker?.stop();
    broker = undefined;
  }, 30_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('SIGTERM and restart keep every record: key, value, headers, offset, timestamp', async () => {
    const node = await freshNode('sigterm');
    broker = await startBrokerProcess(node);
    const topic = 'restart-clean';
    const kafka = new Kafka({
      clientId: 'restart-test',
      brokers: [node.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const plainProducer = kafka.producer();
    await admin.connect();
    await producer.connect();
    const base = 1_700_000_000_000;
    const messages = Array.from({ length: 60 }, (_, i) => ({
      key: i % 7 === 0 ? null : `key-${i}`,
      value: i % 11 === 0 ? null : `value-${i}-${'x'.repeat(i)}`,
      headers: i % 5 === 0 ? {} : { n: String(i), kind: 'restart' },
      timestamp: String(base + i * 1000),
    }));
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      // Several requests, so the log holds several batches (one with gzip).
      await producer.send({ topic, acks: -1, messages: messages.slice(0, 20) });
      await producer.send({
        topic,
        acks: -1,
        compression: 1,
        messages: messages.slice(20, 40),
      });
      await plainProducer.connect();
      await plainProducer.send({ topic, acks: 1, messages: messages.slice(40) });
    } finally {
      await plainProducer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    }
    const expected = messages.map((m, i) => ({
      offset: BigInt(i),
      timestamp: BigInt(m.timestamp),
      key: m.key,
      value: m.value,
      headers: Object.entries(m.headers),
    }));
    const strip = (records: StoredRecord[]) =>
      records.map(({ offset, timestamp, key, value, headers }) => ({
        offset,
        timestamp,
        key,
        value,
        headers,
      }));
    const before = await fetchAll(await connect(node), topic);
    expect(strip(before)).toEqual(expected);

    expect(await broker.stop()).toBe(0);
    broker = await startBrokerProcess(node);
    const wire = await connect(node);
    expect(await latestOffset(wire, topic)).toBe(60n);
    const after = await fetchAll(wire, topic);
    expect(after).toEqual(before);
  }, 90_000);

  /**
   * Pipelined acks=1 produce requests (one batch of 1-5 records each) until a seeded random
   * moment, then SIGKILL. Written batches are in the page cache, so a process kill must lose
   * nothing acknowledged (whether or not it was fsynced); records written but not yet
   * acknowledged may or may not be there, but never twice and never torn.
   */
  async function produceUntilKilled(
    name: string,
    seed: number,
    brokerProps: Record<string, string>,
    topicConfigs: Record<string, string>,
  ): Promise<void> {
    const random = mulberry32(seed);
    const node = await freshNode(name, brokerProps);
    broker = await startBrokerProcess(node);
    const topic = `killed-${name}`;
    const admin = await connect(node);
    await createTopic(admin, topic, topicConfigs);

    const wire = await connect(node);
    const killAfterMs = 150 + Math.floor(random() * 1200);
    const maxRequests = 3000;
    const acked = new Map<string, { offset: bigint; key: string; timestamp: bigint }>();
    let sent = 0;
    let killed = false;
    const inFlight: { correlationId: number; records: RecordInput[] }[] = [];
    const killer = setTimeout(() => {
      killed = true;
      void kill9(broker!);
    }, killAfterMs);
    try {
      while (!killed && sent < maxRequests) {
        while (inFlight.length < 8 && sent < maxRequests && !killed) {
          const count = 1 + Math.floor(random() * 5);
          const records: RecordInput[] = Array.from({ length: count }, (_, i) => ({
            key: Buffer.from(`k-${sent}-${i}`),
            value: Buffer.from(`v-${sent}-${i}-${'p'.repeat(Math.floor(random() * 200))}`),
            headers: [{ key: 'req', value: Buffer.from(String(sent)) }],
            timestamp: BigInt(1_700_000_000_000 + sent),
          }));
          const batch = await buildRecordBatch({
            records,
            compression: random() < 0.3 ? 1 : 0,
          });
          const correlationId = wire.send(
            ApiKey.Produce,
            PRODUCE_VERSION,
            produceBody(topic, batch, 1),
          );
          inFlight.push({ correlationId, records });
          sent++;
        }
        const head = inFlight.shift()!;
        let response;
        try {
          response = await wire.receive(ApiKey.Produce, PRODUCE_VERSION, head.correlationId);
        } catch (err) {
          if (killed || wire.client.isConnectionClosed) break;
          throw err;
        }
        const partition = response.responses[0].partitionResponses[0];
        expect(partition.errorCode, partition.errorMessage ?? '').toBe(ErrorCode.NONE);
        head.records.forEach((r, i) =>
          acked.set(r.value!.toString(), {
            offset: partition.baseOffset + BigInt(i),
            key: r.key!.toString(),
            timestamp: r.timestamp!,
          }),
        );
      }
    } finally {
      clearTimeout(killer);
    }
    await kill9(broker);
    expect(broker.child.signalCode).toBe('SIGKILL');
    expect(acked.size, `seed ${seed}: some requests acknowledged`).toBeGreaterThan(0);

    broker = await startBrokerProcess(node);
    const reader = await connect(node);
    const stored = await fetchAll(reader, topic);
    // Offsets contiguous from 0, nothing duplicated.
    expect(stored.map((r) => r.offset)).toEqual(stored.map((_, i) => BigInt(i)));
    const values = stored.map((r) => r.value!);
    expect(new Set(values).size, `seed ${seed}: duplicated records`).toBe(values.length);
    const byValue = new Map(stored.map((r) => [r.value!, r]));
    const lost: string[] = [];
    for (const [value, ack] of acked) {
      const record = byValue.get(value);
      if (record === undefined) {
        lost.push(value.slice(0, 20));
        continue;
      }
      expect(record.offset).toBe(ack.offset);
      expect(record.key).toBe(ack.key);
      expect(record.timestamp).toBe(ack.timestamp);
      const request = value.split('-')[1];
      expect(record.headers).toEqual([['req', request]]);
    }
    expect(lost, `seed ${seed}: acknowledged records lost (of ${acked.size})`).toEqual([]);
    // Every stored record is one this test sent, intact.
    for (const record of stored) expect(record.value).toMatch(/^v-\d+-\d+-p*$/);
    // The log accepts appends after recovery, at the recovered end.
    const end = await latestOffset(reader, topic);
    expect(end).toBe(BigInt(stored.length));
    const batch = await buildRecordBatch({ records: [{ value: Buffer.from('after') }] });
    const response = await reader.call(
      ApiKey.Produce,
      PRODUCE_VERSION,
      produceBody(topic, batch, -1),
    );
    expect(response.responses[0].partitionResponses[0]).toMatchObject({
      errorCode: ErrorCode.NONE,
      baseOffset: end,
    });
  }

  const SEED = Number(process.env.BROKER_RESTART_SEED ?? 20261121);

  it('SIGKILL under acks=1 load loses no acknowledged record (default flush policy)', async () => {
    await produceUntilKilled('kill-default', SEED, {}, {});
  }, 90_000);

  it('SIGKILL with log.flush.interval.messages=1 (every ack fsynced) loses nothing acked', async () => {
    await produceUntilKilled(
      'kill-flush-broker',
      SEED + 1,
      { 'log.flush.interval.messages': '1' },
      {},
    );
  }, 90_000);

  it('SIGKILL with topic flush.messages=1 loses nothing acked', async () => {
    await produceUntilKilled('kill-flush-topic', SEED + 2, {}, { 'flush.messages': '1' });
  }, 90_000);

  /**
   * Idempotent producer: batches seq 0..k with a fixed producer id and epoch, a restart,
   * then the last batch again (same sequence) must be answered with its original offset and
   * not appended; the next sequence is appended right after.
   */
  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`idempotent retry of the last batch across a ${how} restart is not duplicated`, async () => {
      const node = await freshNode(`idempotent-${how}`);
      broker = await startBrokerProcess(node);
      const topic = `idempotent-${how.toLowerCase()}`;
      let wire = await connect(node);
      await createTopic(wire, topic);
      const init = await wire.call(ApiKey.InitProducerId, 4, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId: -1n,
        producerEpoch: -1,
      });
      expect(init.errorCode).toBe(ErrorCode.NONE);
      const { producerId, producerEpoch } = init;
      const perBatch = 4;
      const now = Date.now();
      const batchFor = (index: number) =>
        buildRecordBatch({
          producerId,
          producerEpoch,
          baseSequence: index * perBatch,
          records: Array.from({ length: perBatch }, (_, i) => ({
            key: Buffer.from(`k${index}`),
            value: Buffer.from(`batch-${index}-record-${i}`),
            // Current time: a producer whose last batch is older than
            // producer.id.expiration.ms (1 day) is dropped when a snapshot loads (as Kafka).
            timestamp: BigInt(now + index),
          })),
        });
      const produce = async (w: Wire, index: number) => {
        const response = await w.call(
          ApiKey.Produce,
          PRODUCE_VERSION,
          produceBody(topic, await batchFor(index), -1),
        );
        return response.responses[0].partitionResponses[0];
      };
      const batches = 4;
      for (let index = 0; index < batches; index++) {
        expect(await produce(wire, index)).toMatchObject({
          errorCode: ErrorCode.NONE,
          baseOffset: BigInt(index * perBatch),
        });
      }
      // A retry before any restart is deduplicated too.
      expect(await produce(wire, batches - 1)).toMatchObject({
        errorCode: ErrorCode.NONE,
        baseOffset: BigInt((batches - 1) * perBatch),
      });

      if (how === 'SIGTERM') expect(await broker.stop()).toBe(0);
      else await kill9(broker);
      broker = await startBrokerProcess(node);
      wire = await connect(node);

      const retried = await produce(wire, batches - 1);
      expect(retried).toMatchObject({
        errorCode: ErrorCode.NONE,
        baseOffset: BigInt((batches - 1) * perBatch),
      });
      expect(await latestOffset(wire, topic)).toBe(BigInt(batches * perBatch));

      const nextBatch = await produce(wire, batches);
      expect(nextBatch).toMatchObject({
        errorCode: ErrorCode.NONE,
        baseOffset: BigInt(batches * perBatch),
      });
      const stored = await fetchAll(wire, topic);
      expect(stored.map((r) => r.value)).toEqual(
        Array.from(
          { length: (batches + 1) * perBatch },
          (_, n) => `batch-${Math.floor(n / perBatch)}-record-${n % perBatch}`,
        ),
      );
      expect(stored.map((r) => r.sequence)).toEqual(stored.map((_, n) => n));
      expect(new Set(stored.map((r) => r.producerId))).toEqual(new Set([producerId]));
      // A gap after the restart is still refused (the sequence state survived).
      const skipped = await produce(wire, batches + 2);
      expect(skipped.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    }, 90_000);
  }
});

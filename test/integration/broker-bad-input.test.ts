import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse, encodeRequest, type ApiKeyNumber } from '../../src/protocol/api.js';
import type { Encodable } from '../../src/protocol/codec/compile.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  ApiKey,
  type RequestsByApiKey,
  type ResponsesByApiKey,
} from '../../src/protocol/messages/generated/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import {
  prepareBrokerNode,
  requireBuiltBroker,
  run,
  startBrokerProcess,
  type BrokerNode,
  type RunningBrokerProcess,
} from '../harness/broker-process.js';
import { rawFrame, WireClient } from '../harness/wire-client.js';
import { mulberry32 } from '../harness/seeded-random.js';

/**
 * `bin/broker` fed bad input over real sockets: malformed frames close only their own
 * connection, bad records and names get Kafka's error codes and append nothing, and a second
 * connection opened at the start keeps getting answers throughout.
 */

const KCAT = '/usr/bin/kcat';
const REQUEST_MAX_BYTES = 1 << 20;
const TOPIC = 'bad-input';
const SMALL_TOPIC = 'bad-input-small';
const SMALL_MAX_MESSAGE_BYTES = 2048;

class Wire {
  private correlationId = 0;
  private constructor(readonly client: WireClient) {}

  static async connect(port: number): Promise<Wire> {
    return new Wire(await WireClient.connect(port));
  }

  async call<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    body: Encodable<RequestsByApiKey[K]>,
  ): Promise<ResponsesByApiKey[K]> {
    this.correlationId += 1;
    const id = this.correlationId;
    this.client.send(encodeRequest(apiKey, version, id, 'bad-input-test', body));
    const response = decodeResponse(apiKey, version, await this.client.nextFrame(10_000));
    expect(response.header.correlationId).toBe(id);
    return response.body;
  }
}

function produceBody(topic: string, records: Buffer): Encodable<RequestsByApiKey[0]> {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
}

/** A legacy (magic 0 or 1) message set of one message, with a valid CRC32. */
function legacyMessageSet(magic: 0 | 1, key: string, value: string): Buffer {
  const keyBytes = Buffer.from(key);
  const valueBytes = Buffer.from(value);
  const body = Buffer.alloc(
    1 + 1 + (magic === 1 ? 8 : 0) + 4 + keyBytes.length + 4 + valueBytes.length,
  );
  let p = 0;
  p = body.writeInt8(magic, p);
  p = body.writeInt8(0, p); // attributes: no compression, CreateTime
  if (magic === 1) p = body.writeBigInt64BE(BigInt(Date.now()), p);
  p = body.writeInt32BE(keyBytes.length, p);
  p += keyBytes.copy(body, p);
  p = body.writeInt32BE(valueBytes.length, p);
  valueBytes.copy(body, p);
  const message = Buffer.alloc(4 + body.length);
  message.writeUInt32BE(crc32(body), 0);
  body.copy(message, 4);
  const entry = Buffer.alloc(12);
  entry.writeBigInt64BE(0n, 0);
  entry.writeInt32BE(message.length, 8);
  return Buffer.concat([entry, message]);
}

describe('bin/broker under bad input', () => {
  let dir: string;
  let node: BrokerNode;
  let broker: RunningBrokerProcess | undefined;
  /** Opened first, used after every bad input: it must keep getting answers. */
  let witness: Wire;
  let wire: Wire;
  const clients: WireClient[] = [];

  async function rawClient(): Promise<WireClient> {
    const client = await WireClient.connect(node.port);
    clients.push(client);
    return client;
  }

  async function expectWitnessAnswers(): Promise<void> {
    const versions = await witness.call(ApiKey.ApiVersions, 3, {
      clientSoftwareName: 'witness',
      clientSoftwareVersion: '1.0',
    });
    expect(versions.errorCode).toBe(ErrorCode.NONE);
    const metadata = await witness.call(ApiKey.Metadata, 12, {
      topics: [{ name: TOPIC }],
      allowAutoTopicCreation: false,
    });
    expect(metadata.topics[0].errorCode).toBe(ErrorCode.NONE);
    expect(broker!.child.exitCode).toBeNull();
  }

  async function latestOffset(topic: string): Promise<bigint> {
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
    expect(partition.errorCode).toBe(ErrorCode.NONE);
    return partition.offset;
  }

  async function produce(topic: string, records: Buffer, version = 9) {
    const response = await wire.call(ApiKey.Produce, version, produceBody(topic, records));
    return response.responses[0].partitionResponses[0];
  }

  beforeAll(async () => {
    requireBuiltBroker();
    dir = await mkdtemp(join(tmpdir(), 'broker-bad-input-'));
    node = await prepareBrokerNode(dir, {
      'auto.create.topics.enable': 'false',
      'socket.request.max.bytes': String(REQUEST_MAX_BYTES),
    });
    broker = await startBrokerProcess(node);
    witness = await Wire.connect(node.port);
    clients.push(witness.client);
    wire = await Wire.connect(node.port);
    clients.push(wire.client);
    const created = await wire.call(ApiKey.CreateTopics, 7, {
      topics: [
        { name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        {
          name: SMALL_TOPIC,
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'max.message.bytes', value: String(SMALL_MAX_MESSAGE_BYTES) }],
        },
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(created.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    // CreateTopics answers before the replicas are hosted: wait for ListOffsets to work.
    for (const topic of [TOPIC, SMALL_TOPIC]) {
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
        if (response.topics[0].partitions[0].errorCode === ErrorCode.NONE) break;
        if (Date.now() > deadline) throw new Error(`${topic} never got a leader`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const first = await buildRecordBatch({
      records: [{ key: Buffer.from('k'), value: Buffer.from('v') }],
    });
    expect((await produce(TOPIC, first)).errorCode).toBe(ErrorCode.NONE);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('random bytes behind a valid size prefix close that connection only', async () => {
    const random = mulberry32(4242);
    for (let i = 0; i < 20; i++) {
      const payload = Buffer.from(
        Array.from({ length: 8 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)),
      );
      // Not ApiVersions: an unknown ApiVersions version is answered (KIP-511), not closed.
      if (payload.readInt16BE(0) === ApiKey.ApiVersions) payload.writeInt16BE(-7, 0);
      const client = await rawClient();
      client.send(rawFrame(payload));
      expect(await client.closedWithin(5_000), `payload ${payload.toString('hex')}`).toBe(true);
    }
    // A valid header for Metadata v12 followed by a body that does not decode.
    const client = await rawClient();
    const header = encodeRequest(ApiKey.Metadata, 12, 9, 'x', { topics: null });
    const valid = Buffer.concat(header).subarray(4);
    const garbled = Buffer.concat([valid.subarray(0, 12), Buffer.alloc(40, 0xff)]);
    client.send(rawFrame(garbled));
    expect(await client.closedWithin(5_000)).toBe(true);
    await expectWitnessAnswers();
  }, 60_000);

  it('a size prefix over socket.request.max.bytes closes the connection without the body', async () => {
    for (const size of [REQUEST_MAX_BYTES + 1, 0x7fffffff]) {
      const client = await rawClient();
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(size, 0);
      client.send(prefix); // no body follows: the broker must not wait for (or allocate) it
      expect(await client.closedWithin(5_000), `size ${size}`).toBe(true);
      expect(client.receivedFrameCount).toBe(0);
    }
    await expectWitnessAnswers();
  }, 30_000);

  it('a negative size prefix closes the connection', async () => {
    for (const size of [-1, -0x80000000]) {
      const client = await rawClient();
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(size, 0);
      client.send(prefix);
      expect(await client.closedWithin(5_000), `size ${size}`).toBe(true);
    }
    await expectWitnessAnswers();
  }, 30_000);

  it('a truncated request followed by a close leaves the broker serving', async () => {
    const frame = Buffer.concat(
      encodeRequest(ApiKey.Metadata, 12, 1, 'truncated', { topics: [{ name: TOPIC }] }),
    );
    for (const cut of [2, 4, 10, frame.length - 1]) {
      const client = await rawClient();
      client.send(frame.subarray(0, cut));
      await new Promise((resolve) => setTimeout(resolve, 20));
      client.socket.end();
      await client.closedWithin(5_000);
      expect(client.receivedFrameCount).toBe(0);
    }
    await expectWitnessAnswers();
  }, 30_000);

  it('a batch with a wrong CRC is CORRUPT_MESSAGE and appends nothing', async () => {
    const before = await latestOffset(TOPIC);
    const batch = await buildRecordBatch({
      records: [{ key: Buffer.from('k'), value: Buffer.from('corrupted value') }],
    });
    batch[batch.length - 1] ^= 0x01; // a record byte, covered by the CRC
    const result = await produce(TOPIC, batch);
    expect(result.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(await latestOffset(TOPIC)).toBe(before);
    await expectWitnessAnswers();
  }, 30_000);

  it('a batch larger than max.message.bytes is MESSAGE_TOO_LARGE and appends nothing', async () => {
    const before = await latestOffset(SMALL_TOPIC);
    const batch = await buildRecordBatch({
      records: [{ value: Buffer.alloc(SMALL_MAX_MESSAGE_BYTES * 2, 0x61) }],
    });
    const result = await produce(SMALL_TOPIC, batch);
    expect(result.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(await latestOffset(SMALL_TOPIC)).toBe(before);
    // One under the limit goes in.
    const fits = await buildRecordBatch({ records: [{ value: Buffer.alloc(1000, 0x61) }] });
    expect((await produce(SMALL_TOPIC, fits)).errorCode).toBe(ErrorCode.NONE);
    await expectWitnessAnswers();
  }, 30_000);

  const INVALID_NAMES = ['bad name!', '..', '.', 'x'.repeat(250), ''];

  it('invalid topic names are INVALID_TOPIC_EXCEPTION in CreateTopics and Metadata', async () => {
    const created = await wire.call(ApiKey.CreateTopics, 7, {
      topics: INVALID_NAMES.map((name) => ({
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [],
      })),
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(created.topics.map((t) => [t.name, t.errorCode])).toEqual(
      INVALID_NAMES.map((name) => [name, ErrorCode.INVALID_TOPIC_EXCEPTION]),
    );
    for (const allowAutoTopicCreation of [false, true]) {
      const metadata = await wire.call(ApiKey.Metadata, 12, {
        topics: INVALID_NAMES.filter((n) => n !== '').map((name) => ({ name })),
        allowAutoTopicCreation,
      });
      expect(metadata.topics.map((t) => [t.name, t.errorCode])).toEqual(
        INVALID_NAMES.filter((n) => n !== '').map((name) => [
          name,
          ErrorCode.INVALID_TOPIC_EXCEPTION,
        ]),
      );
    }
    const all = await wire.call(ApiKey.Metadata, 12, { topics: null });
    expect(all.topics.map((t) => t.name).sort()).toEqual([TOPIC, SMALL_TOPIC].sort());
    await expectWitnessAnswers();
  }, 30_000);

  it('an unknown topic is UNKNOWN_TOPIC_OR_PARTITION in Metadata and Produce (no auto-creation)', async () => {
    for (const version of [1, 4, 12]) {
      const metadata = await wire.call(ApiKey.Metadata, version, {
        topics: [{ name: 'no-such-topic' }],
        allowAutoTopicCreation: true,
      });
      expect(metadata.topics[0]).toMatchObject({
        name: 'no-such-topic',
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      });
    }
    const batch = await buildRecordBatch({ records: [{ value: Buffer.from('lost') }] });
    expect((await produce('no-such-topic', batch)).errorCode).toBe(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
    const all = await wire.call(ApiKey.Metadata, 12, { topics: null });
    expect(all.topics.map((t) => t.name)).not.toContain('no-such-topic');
    await expectWitnessAnswers();
  }, 30_000);

  it('an unsupported version closes the connection, except ApiVersions (v0 UNSUPPORTED_VERSION)', async () => {
    for (const [apiKey, version] of [
      [ApiKey.Metadata, 99],
      [ApiKey.Produce, 200],
      [ApiKey.Fetch, -1],
    ] as const) {
      const client = await rawClient();
      const frame = Buffer.concat(encodeRequest(apiKey, 0, 5, 'bad-version', {} as never));
      frame.writeInt16BE(version, 6); // the request header's apiVersion
      client.send(frame);
      expect(await client.closedWithin(5_000), `api ${apiKey} v${version}`).toBe(true);
      expect(client.receivedFrameCount).toBe(0);
    }
    const client = await rawClient();
    const frame = Buffer.concat(
      encodeRequest(ApiKey.ApiVersions, 3, 77, 'bad-version', {
        clientSoftwareName: 'x',
        clientSoftwareVersion: '1',
      }),
    );
    frame.writeInt16BE(999, 6);
    client.send(frame);
    const response = decodeResponse(ApiKey.ApiVersions, 0, await client.nextFrame());
    expect(response.header.correlationId).toBe(77);
    expect(response.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(response.body.apiKeys).toEqual([
      expect.objectContaining({ apiKey: ApiKey.ApiVersions, minVersion: 0 }),
    ]);
    expect(client.isConnectionClosed).toBe(false);
    await expectWitnessAnswers();
  }, 30_000);

  it('a legacy magic 0/1 message set is INVALID_RECORD (Kafka, Produce v3+) and appends nothing', async () => {
    const before = await latestOffset(TOPIC);
    for (const magic of [0, 1] as const) {
      for (const version of [3, 9, 11]) {
        const result = await produce(TOPIC, legacyMessageSet(magic, 'k', 'legacy'), version);
        // Kafka's ProduceRequest.validateRecords: v3+ only carries magic 2 -> INVALID_RECORD.
        expect([ErrorCode.INVALID_RECORD, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT]).toContain(
          result.errorCode,
        );
        expect(result.errorCode, `magic ${magic} produce v${version}`).toBe(
          ErrorCode.INVALID_RECORD,
        );
      }
    }
    expect(await latestOffset(TOPIC)).toBe(before);
    await expectWitnessAnswers();
  }, 30_000);

  it('the broker process is still alive and serves kcat -L', async () => {
    expect(broker!.child.exitCode).toBeNull();
    expect(broker!.child.signalCode).toBeNull();
    const result = await run(KCAT, ['-b', node.bootstrap, '-L'], { timeoutMs: 15_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`broker 1 at 127.0.0.1:${node.port}`);
    expect(result.stdout).toContain(`topic "${TOPIC}" with 1 partitions`);
    await expectWitnessAnswers();
    expect(broker!.output()).not.toMatch(/"level":60/); // nothing fatal logged
  }, 30_000);
});

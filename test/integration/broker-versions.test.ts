import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse, encodeRequest, type ApiKeyNumber } from '../../src/protocol/api.js';
import type { Encodable } from '../../src/protocol/codec/compile.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  ApiKey,
  type RequestsByApiKey,
  type ResponsesByApiKey,
} from '../../src/protocol/messages/generated/index.js';
import { ZERO_UUID } from '../../src/protocol/primitives/uuid.js';
import { CompressionType } from '../../src/protocol/compression/index.js';
import {
  buildLegacyMessageSet,
  scanBatches,
  scanLegacyMessages,
  TimestampType,
} from '../../src/protocol/records/index.js';
import {
  run,
  startTempBroker,
  type BrokerNode,
  type TempBroker,
} from '../harness/broker-process.js';
import { WireClient } from '../harness/wire-client.js';

/**
 * Every version of every API the broker advertises gets an answer it can encode: raw
 * requests against `bin/broker`, where real clients only exercise the versions they prefer.
 */

describe('bin/broker answers every advertised version', () => {
  let broker: TempBroker | undefined;
  let node: BrokerNode;
  let client: WireClient;
  let correlationId = 0;
  let topicId = ZERO_UUID;

  async function call<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    body: Encodable<RequestsByApiKey[K]>,
  ): Promise<ResponsesByApiKey[K]> {
    correlationId += 1;
    client.send(encodeRequest(apiKey, version, correlationId, 'versions-test', body));
    const response = decodeResponse(apiKey, version, await client.nextFrame(10_000));
    expect(response.header.correlationId).toBe(correlationId);
    return response.body;
  }

  async function createTopic(name: string, configs: { name: string; value: string }[] = []) {
    const created = await call(ApiKey.CreateTopics, 7, {
      topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
  }

  /** A sessionless Fetch of partition 0 from offset 0, by topic name (v0-12). */
  function fetchFromStart(version: number, topic: string) {
    return call(ApiKey.Fetch, version, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        { topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
      ],
    });
  }

  beforeAll(async () => {
    broker = await startTempBroker('broker-versions-');
    node = broker.node;
    const produced = await run(
      '/usr/bin/kcat',
      ['-b', node.bootstrap, '-P', '-t', 'versions', '-K', ':'],
      { input: 'a:1\nb:2\nc:3\n', timeoutMs: 20_000 },
    );
    expect(produced.code, produced.stderr).toBe(0);
    client = await WireClient.connect(node.port);
    const metadata = await call(ApiKey.Metadata, 12, { topics: [{ name: 'versions' }] });
    topicId = metadata.topics[0].topicId;
  }, 60_000);

  afterAll(async () => {
    client?.socket.destroy();
    await broker?.close();
  }, 30_000);

  it('Metadata v0-12', async () => {
    for (let v = 0; v <= 12; v++) {
      // Before v4 a request cannot refuse auto-creation (the field does not exist).
      const noAutoCreate = v >= 4 ? { allowAutoTopicCreation: false } : {};
      const byName = await call(ApiKey.Metadata, v, {
        topics: [{ name: 'versions', topicId: ZERO_UUID }],
        ...noAutoCreate,
      });
      expect(byName.brokers).toEqual([expect.objectContaining({ nodeId: 1, port: node.port })]);
      expect(byName.topics[0]).toMatchObject({ errorCode: ErrorCode.NONE, name: 'versions' });
      expect(byName.topics[0].partitions[0]).toMatchObject({ leaderId: 1, replicaNodes: [1] });
      if (v >= 10) expect(byName.topics[0].topicId).toBe(topicId);
      const all = await call(ApiKey.Metadata, v, { topics: v === 0 ? [] : null });
      expect(all.topics.map((t) => t.name)).toContain('versions');
      const unknown = await call(ApiKey.Metadata, v, {
        topics: [{ name: `not-there-v${v}` }, { name: 'bad name!' }],
        ...noAutoCreate,
      });
      const codes = unknown.topics.map((t) => [t.name, t.errorCode]);
      expect(codes).toContainEqual(['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION]);
      // Created (and answered LEADER_NOT_AVAILABLE) unless the request refuses it.
      expect(codes).toContainEqual([
        `not-there-v${v}`,
        v < 4 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ]);
    }
  });

  it('ListOffsets v0-10', async () => {
    for (let v = 0; v <= 10; v++) {
      const response = await call(ApiKey.ListOffsets, v, {
        replicaId: -1,
        topics: [
          {
            name: 'versions',
            partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }],
          },
        ],
      });
      const partition = response.topics[0].partitions[0];
      expect(partition.errorCode).toBe(ErrorCode.NONE);
      if (v === 0) expect(partition.oldStyleOffsets).toEqual([3n]);
      else expect(partition.offset).toBe(3n);
    }
  });

  it('Fetch v0-17, sessionless and (v7+) with a session', async () => {
    for (let v = 0; v <= 17; v++) {
      const response = await call(ApiKey.Fetch, v, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        sessionId: 0,
        sessionEpoch: v >= 7 ? 0 : -1,
        topics: [
          {
            topic: 'versions',
            topicId,
            partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }],
          },
        ],
      });
      expect(response.errorCode).toBe(ErrorCode.NONE);
      const partition = response.responses[0].partitions[0];
      expect(partition.errorCode).toBe(ErrorCode.NONE);
      expect(partition.highWatermark).toBe(3n);
      const records = partition.records ?? Buffer.alloc(0);
      if (v <= 3) {
        // Down-converted: message format v0 for Fetch v0-1, v1 for v2-3.
        const { messages } = scanLegacyMessages(records);
        expect(messages.map((m) => [m.magic, m.offset, m.key?.toString()])).toEqual(
          ['a', 'b', 'c'].map((key, i) => [v <= 1 ? 0 : 1, BigInt(i), key]),
        );
      } else {
        // kcat may have sent the three records as one batch or as several.
        const magics = scanBatches(records).batches.map((b) => b.magic);
        expect(magics.length).toBeGreaterThan(0);
        expect(magics.every((magic) => magic === 2)).toBe(true);
      }
      if (v >= 7) {
        expect(response.sessionId).not.toBe(0);
        // An incremental fetch with nothing new leaves the partition out.
        const incremental = await call(ApiKey.Fetch, v, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          sessionId: response.sessionId,
          sessionEpoch: 1,
          topics: [],
        });
        expect(incremental.errorCode).toBe(ErrorCode.NONE);
      }
    }
  });

  it('OffsetForLeaderEpoch v0-4, DescribeCluster v0-1, InitProducerId v0-5', async () => {
    for (let v = 0; v <= 4; v++) {
      const response = await call(ApiKey.OffsetForLeaderEpoch, v, {
        replicaId: -1,
        topics: [
          {
            topic: 'versions',
            partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }],
          },
        ],
      });
      expect(response.topics[0].partitions[0]).toMatchObject({
        errorCode: ErrorCode.NONE,
        endOffset: 3n,
      });
    }
    for (let v = 0; v <= 1; v++) {
      const response = await call(ApiKey.DescribeCluster, v, { endpointType: 1 });
      expect(response.errorCode).toBe(ErrorCode.NONE);
      expect(response.brokers).toEqual([expect.objectContaining({ brokerId: 1, port: node.port })]);
    }
    const ids = new Set<bigint>();
    for (let v = 0; v <= 5; v++) {
      const response = await call(ApiKey.InitProducerId, v, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId: -1n,
        producerEpoch: -1,
      });
      expect(response).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
      ids.add(response.producerId);
      const transactional = await call(ApiKey.InitProducerId, v, {
        transactionalId: 'txn',
        transactionTimeoutMs: 60_000,
        producerId: -1n,
        producerEpoch: -1,
      });
      expect(transactional.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    expect(ids.size).toBe(6);
  });

  it('CreateTopics v0-7 and DeleteTopics v0-6', async () => {
    for (let v = 0; v <= 7; v++) {
      const created = await call(ApiKey.CreateTopics, v, {
        topics: [{ name: `created-v${v}`, numPartitions: 2, replicationFactor: -1 }],
        timeoutMs: 10_000,
      });
      expect(created.topics[0]).toMatchObject({ name: `created-v${v}`, errorCode: ErrorCode.NONE });
      const duplicate = await call(ApiKey.CreateTopics, v, {
        topics: [{ name: `created-v${v}`, numPartitions: 1, replicationFactor: 1 }],
        timeoutMs: 10_000,
      });
      expect(duplicate.topics[0].errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    }
    for (let v = 0; v <= 6; v++) {
      const deleted = await call(
        ApiKey.DeleteTopics,
        v,
        v >= 6
          ? { topics: [{ name: `created-v${v}`, topicId: ZERO_UUID }], timeoutMs: 10_000 }
          : { topicNames: [`created-v${v}`], timeoutMs: 10_000 },
      );
      expect(deleted.responses[0]).toMatchObject({ errorCode: ErrorCode.NONE });
    }
    const left = await call(ApiKey.Metadata, 12, { topics: null });
    const names = left.topics.map((t) => t.name);
    expect(names).toContain('created-v7');
    expect(names.filter((n) => n?.startsWith('created-v'))).toEqual(['created-v7']);
  });

  it('Produce v0-2 appends legacy message sets, which every Fetch version reads back', async () => {
    await createTopic('versions-legacy');
    for (let v = 0; v <= 2; v++) {
      const magic = v === 2 ? 1 : 0;
      const records = await buildLegacyMessageSet(
        [{ offset: 0n, timestamp: 1_700_000_000_000n, key: Buffer.from(`p${v}`), value: null }],
        { magic, compression: CompressionType.Gzip, timestampType: TimestampType.CreateTime },
      );
      const response = await call(ApiKey.Produce, v, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5_000,
        topicData: [{ name: 'versions-legacy', partitionData: [{ index: 0, records }] }],
      });
      expect(response.responses[0].partitionResponses[0]).toMatchObject({
        errorCode: ErrorCode.NONE,
        baseOffset: BigInt(v),
      });
    }
    const fetched = await fetchFromStart(12, 'versions-legacy');
    const batches = scanBatches(fetched.responses[0].partitions[0].records!).batches;
    const keys = [];
    for (const batch of batches) {
      expect(batch.compression).toBe(CompressionType.Gzip);
      for (const record of await batch.decodeRecords()) keys.push(record.key?.toString());
    }
    expect(keys).toEqual(['p0', 'p1', 'p2']);
  });

  it('a zstd topic answers Fetch below v10 with UNSUPPORTED_COMPRESSION_TYPE', async () => {
    await createTopic('versions-zstd', [{ name: 'compression.type', value: 'zstd' }]);
    for (const v of [3, 9, 10]) {
      const response = await fetchFromStart(v, 'versions-zstd');
      expect(response.responses[0].partitions[0].errorCode).toBe(
        v < 10 ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE : ErrorCode.NONE,
      );
    }
  });

  it('Produce v3-11 answers each partition', async () => {
    for (let v = 3; v <= 11; v++) {
      const response = await call(ApiKey.Produce, v, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5_000,
        topicData: [{ name: 'no-such-topic', partitionData: [{ index: 0, records: null }] }],
      });
      expect(response.responses[0].partitionResponses[0].errorCode).toBe(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      );
    }
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  decodeRequest,
  requestHeaderVersion,
  type DecodedRequest,
} from '../../../src/protocol/api.js';
import { codecFor } from '../../../src/protocol/codec/compile.js';
import { CompressionType, type CompressionName } from '../../../src/protocol/compression/index.js';
import {
  ConsumerProtocolAssignmentSpec,
  type ConsumerProtocolAssignment,
} from '../../../src/protocol/messages/generated/consumer-protocol-assignment.js';
import {
  ConsumerProtocolSubscriptionSpec,
  type ConsumerProtocolSubscription,
} from '../../../src/protocol/messages/generated/consumer-protocol-subscription.js';
import {
  ApiKey,
  apiSpecs,
  type RequestsByApiKey,
} from '../../../src/protocol/messages/generated/index.js';
import { RequestHeaderSpec } from '../../../src/protocol/messages/generated/request-header.js';
import type { MessageSpec } from '../../../src/protocol/messages/spec.js';
import { Reader, Writer } from '../../../src/protocol/primitives/index.js';
import { readBatches } from '../../../src/protocol/records/index.js';

/**
 * Golden vectors: request frames captured from real clients by
 * scripts/capture-golden-vectors.ts (see its header for how to re-capture). Each must decode
 * to exactly what the client meant and re-encode to the very same bytes.
 *
 * The expectations below describe the captured client versions (kafkajs 2.2, librdkafka
 * 2.0.2 in kcat 1.7.1 and confluent-kafka 1.7.0, kafka-python 2.0.2) and the scenario the
 * script drives; re-capturing with other versions may need them updated.
 */

type ClientName = 'kafkajs' | 'kcat' | 'confluent-kafka' | 'kafka-python';

interface GoldenIndexEntry {
  client: ClientName;
  file: string;
  apiKey: number;
  apiVersion: number;
  variant: string | null;
}

interface ClientScenario {
  /** The client id in every request header. */
  clientId: string;
  /** ApiVersions v3+ client software name and version. */
  software?: [string, string];
  topic: string;
  group: string;
  acks: number;
  /** producerEpoch and baseSequence of a batch from a producer without a producer id. */
  plainBatch: { producerEpoch: number; baseSequence: number };
  fetch: { maxWaitMs: number; maxBytes: number; isolationLevel: number };
  join: { sessionTimeoutMs: number; rebalanceTimeoutMs: number; protocols: string[] };
  subscriptionVersion: number;
  /** Records the group consumer had read when it committed. */
  committedOffset: bigint;
  commitMetadata: string | null;
  transactionTimeoutMs?: number;
}

const READ_COMMITTED = 1;
const READ_UNCOMMITTED = 0;
const NO_PRODUCER_STATE = { producerEpoch: -1, baseSequence: -1 };
const LIBRDKAFKA_JOIN = {
  sessionTimeoutMs: 45_000,
  rebalanceTimeoutMs: 300_000,
  protocols: ['range', 'roundrobin'],
};
const LIBRDKAFKA_FETCH = { maxBytes: 52_428_800, isolationLevel: READ_COMMITTED };

const SCENARIOS: Record<ClientName, ClientScenario> = {
  kafkajs: {
    clientId: 'golden-kafkajs',
    topic: 'golden-kafkajs',
    group: 'golden-kafkajs-group',
    acks: -1,
    // kafkajs writes 0 where Kafka's own clients write -1 (NO_PRODUCER_EPOCH, NO_SEQUENCE).
    plainBatch: { producerEpoch: 0, baseSequence: 0 },
    fetch: { maxWaitMs: 100, maxBytes: 10_485_760, isolationLevel: READ_COMMITTED },
    join: {
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 60_000,
      protocols: ['RoundRobinAssigner'],
    },
    subscriptionVersion: 0,
    committedOffset: 15n,
    commitMetadata: null,
    transactionTimeoutMs: 60_000,
  },
  kcat: {
    clientId: 'rdkafka',
    software: ['librdkafka', '2.0.2'],
    topic: 'golden-kcat',
    group: 'golden-kcat-group',
    acks: -1,
    plainBatch: NO_PRODUCER_STATE,
    // The first Fetch comes from the plain consumer, which keeps librdkafka's default wait.
    fetch: { maxWaitMs: 500, ...LIBRDKAFKA_FETCH },
    join: LIBRDKAFKA_JOIN,
    subscriptionVersion: 1,
    committedOffset: 25n,
    commitMetadata: '',
  },
  'confluent-kafka': {
    clientId: 'golden-confluent-kafka',
    software: ['confluent-kafka-python', '1.7.0-rdkafka-2.0.2'],
    topic: 'golden-confluent-kafka',
    group: 'golden-confluent-kafka-group',
    acks: -1,
    plainBatch: NO_PRODUCER_STATE,
    fetch: { maxWaitMs: 100, ...LIBRDKAFKA_FETCH },
    join: LIBRDKAFKA_JOIN,
    subscriptionVersion: 1,
    committedOffset: 25n,
    commitMetadata: '',
    // librdkafka leaves the transaction timeout unset for an idempotent-only producer.
    transactionTimeoutMs: -1,
  },
  'kafka-python': {
    clientId: 'golden-kafka-python',
    topic: 'golden-kafka-python',
    group: 'golden-kafka-python-group',
    acks: 1,
    plainBatch: NO_PRODUCER_STATE,
    fetch: { maxWaitMs: 100, maxBytes: 52_428_800, isolationLevel: READ_UNCOMMITTED },
    join: {
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 300_000,
      protocols: ['range', 'roundrobin'],
    },
    subscriptionVersion: 0,
    committedOffset: 10n,
    commitMetadata: '',
  },
};

/** What the capture script makes every producer send, in one batch. */
const EXPECTED_RECORDS = Array.from({ length: 5 }, (_, i) => ({
  key: `k${i + 1}`,
  value: `golden-value-${i + 1}`,
  headers: [{ key: 'h1', value: 'v1' }],
}));
/** The capture broker's answer to InitProducerId. */
const CAPTURE_PRODUCER_ID = 1000n;

const goldenDir = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url));
const index = JSON.parse(readFileSync(`${goldenDir}index.json`, 'utf8')) as GoldenIndexEntry[];

function load(entry: GoldenIndexEntry): Buffer {
  return readFileSync(`${goldenDir}${entry.file}`);
}

/** Decodes consumer-protocol bytes: an int16 version, then the struct at that version. */
function decodeVersioned<T>(spec: MessageSpec, bytes: Buffer): { version: number; value: T } {
  const version = bytes.readInt16BE(0);
  const reader = new Reader(bytes.subarray(2));
  const value = codecFor<T>(spec, version).decode(reader);
  expect(reader.remaining, `${spec.name} v${version} trailing bytes`).toBe(0);
  return { version, value };
}

function reencode(decoded: DecodedRequest): Buffer {
  const writer = new Writer();
  const { apiKey, apiVersion } = decoded;
  codecFor(RequestHeaderSpec, requestHeaderVersion(apiKey, apiVersion)).encode(
    writer,
    decoded.header,
  );
  codecFor(apiSpecs.get(apiKey)!.request, apiVersion).encode(writer, decoded.body as never);
  return writer.toBuffer();
}

/** Member ids are handed out by the capture broker as `<clientId>-<n>-<uuid>`. */
function expectCaptureMemberId(memberId: string, scenario: ClientScenario): void {
  expect(memberId).toMatch(new RegExp(`^${scenario.clientId}-\\d+-[A-Za-z0-9_-]{22}$`));
}

type BodyCheck = (
  body: never,
  scenario: ClientScenario,
  entry: GoldenIndexEntry,
) => void | Promise<void>;

function check<K extends keyof RequestsByApiKey>(
  _apiKey: K,
  fn: (
    body: RequestsByApiKey[K],
    scenario: ClientScenario,
    entry: GoldenIndexEntry,
  ) => void | Promise<void>,
): BodyCheck {
  return fn as BodyCheck;
}

const BODY_CHECKS: Partial<Record<number, BodyCheck>> = {
  [ApiKey.ApiVersions]: check(ApiKey.ApiVersions, (body, scenario, entry) => {
    const [name, version] = entry.apiVersion >= 3 ? scenario.software! : ['', ''];
    expect(body).toEqual({ clientSoftwareName: name, clientSoftwareVersion: version });
  }),

  [ApiKey.Metadata]: check(ApiKey.Metadata, (body, scenario, entry) => {
    if (entry.variant === 'all-topics') {
      // v0 asks for every topic with an empty list, later versions with null.
      expect(body.topics).toEqual(entry.apiVersion === 0 ? [] : null);
    } else if (entry.variant === 'no-topics') {
      expect(body.topics).toEqual([]);
    } else {
      expect(body.topics).toEqual([{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: scenario.topic }]);
    }
    expect(body.includeClusterAuthorizedOperations).toBe(false);
    expect(body.includeTopicAuthorizedOperations).toBe(false);
  }),

  [ApiKey.Produce]: check(ApiKey.Produce, async (body, scenario, entry) => {
    const [codec, idempotent] = entry.variant!.split('-') as [CompressionName, string?];
    expect(body.transactionalId).toBeNull();
    expect(body.acks).toBe(idempotent ? -1 : scenario.acks);
    expect(body.timeoutMs).toBe(30_000);
    expect(body.topicData).toHaveLength(1);
    expect(body.topicData[0].name).toBe(scenario.topic);
    expect(body.topicData[0].partitionData.map((p) => p.index)).toEqual([0]);

    const batches = readBatches(body.topicData[0].partitionData[0].records!);
    expect(batches).toHaveLength(1);
    const batch = batches[0];
    expect(batch.isValid()).toBe(true);
    expect(batch.magic).toBe(2);
    expect(batch.baseOffset).toBe(0n);
    expect(batch.compression).toBe(CompressionType[capitalized(codec)]);
    expect(batch.isTransactional).toBe(false);
    expect(batch.isControl).toBe(false);
    expect(batch.timestampType).toBe(0);
    expect(batch.recordCount).toBe(EXPECTED_RECORDS.length);
    expect(batch.lastOffsetDelta).toBe(EXPECTED_RECORDS.length - 1);
    if (idempotent) {
      expect(entry.variant).toBe(`${codec}-idempotent`);
      expect(batch.producerId).toBe(CAPTURE_PRODUCER_ID);
      expect(batch.producerEpoch).toBe(0);
      expect(batch.baseSequence).toBe(0);
    } else {
      expect(batch.producerId).toBe(-1n);
      expect(batch.producerEpoch).toBe(scenario.plainBatch.producerEpoch);
      expect(batch.baseSequence).toBe(scenario.plainBatch.baseSequence);
    }
    const records = await batch.decodeRecords({ requireContiguousOffsets: true });
    expect(
      records.map((r) => ({
        key: r.key?.toString(),
        value: r.value?.toString(),
        headers: r.headers.map((h) => ({ key: h.key, value: h.value?.toString() })),
      })),
    ).toEqual(EXPECTED_RECORDS);
    expect(records.map((r) => r.offsetDelta)).toEqual([0, 1, 2, 3, 4]);
    for (const r of records) expect(r.timestamp).toBeGreaterThanOrEqual(batch.baseTimestamp);
  }),

  [ApiKey.Fetch]: check(ApiKey.Fetch, (body, scenario) => {
    expect(body.replicaId).toBe(-1);
    expect(body.maxWaitMs).toBe(scenario.fetch.maxWaitMs);
    expect(body.minBytes).toBe(1);
    expect(body.maxBytes).toBe(scenario.fetch.maxBytes);
    expect(body.isolationLevel).toBe(scenario.fetch.isolationLevel);
    expect(body.sessionId).toBe(0);
    expect(body.sessionEpoch).toBe(-1);
    expect(body.forgottenTopicsData).toEqual([]);
    expect(body.topics).toHaveLength(1);
    expect(body.topics[0].topic).toBe(scenario.topic);
    expect(body.topics[0].partitions).toEqual([
      expect.objectContaining({ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1_048_576 }),
    ]);
  }),

  [ApiKey.ListOffsets]: check(ApiKey.ListOffsets, (body, scenario, entry) => {
    expect(entry.variant).toBe('earliest');
    expect(body.replicaId).toBe(-1);
    expect(body.topics).toEqual([
      {
        name: scenario.topic,
        partitions: [expect.objectContaining({ partitionIndex: 0, timestamp: -2n })],
      },
    ]);
  }),

  [ApiKey.FindCoordinator]: check(ApiKey.FindCoordinator, (body, scenario, entry) => {
    if (entry.apiVersion < 4) {
      expect(body.key).toBe(scenario.group);
      expect(body.coordinatorKeys).toEqual([]);
    } else {
      expect(body.coordinatorKeys).toEqual([scenario.group]);
    }
    expect(body.keyType).toBe(0); // group
  }),

  [ApiKey.JoinGroup]: check(ApiKey.JoinGroup, (body, scenario, entry) => {
    expect(body.groupId).toBe(scenario.group);
    expect(body.protocolType).toBe('consumer');
    expect(body.groupInstanceId).toBeNull();
    expect(body.sessionTimeoutMs).toBe(scenario.join.sessionTimeoutMs);
    expect(body.rebalanceTimeoutMs).toBe(scenario.join.rebalanceTimeoutMs);
    if (entry.variant === 'new-member') expect(body.memberId).toBe('');
    else expectCaptureMemberId(body.memberId, scenario);
    expect(body.protocols.map((p) => p.name)).toEqual(scenario.join.protocols);
    for (const protocol of body.protocols) {
      const { version, value } = decodeVersioned<ConsumerProtocolSubscription>(
        ConsumerProtocolSubscriptionSpec,
        protocol.metadata,
      );
      expect(version).toBe(scenario.subscriptionVersion);
      expect(value.topics).toEqual([scenario.topic]);
      expect(value.userData).toEqual(Buffer.alloc(0));
      expect(value.ownedPartitions).toEqual([]);
    }
  }),

  [ApiKey.SyncGroup]: check(ApiKey.SyncGroup, (body, scenario) => {
    expect(body.groupId).toBe(scenario.group);
    expect(body.generationId).toBe(1);
    expectCaptureMemberId(body.memberId, scenario);
    expect(body.groupInstanceId).toBeNull();
    // The only member leads, so it sends the assignment for itself.
    expect(body.assignments.map((a) => a.memberId)).toEqual([body.memberId]);
    const { version, value } = decodeVersioned<ConsumerProtocolAssignment>(
      ConsumerProtocolAssignmentSpec,
      body.assignments[0].assignment,
    );
    expect(version).toBe(0);
    expect(value).toEqual({
      assignedPartitions: [{ topic: scenario.topic, partitions: [0] }],
      userData: Buffer.alloc(0),
    });
  }),

  [ApiKey.Heartbeat]: check(ApiKey.Heartbeat, (body, scenario) => {
    expect(body.groupId).toBe(scenario.group);
    expect(body.generationId).toBe(1);
    expectCaptureMemberId(body.memberId, scenario);
  }),

  [ApiKey.OffsetFetch]: check(ApiKey.OffsetFetch, (body, scenario, entry) => {
    expect(body.groupId).toBe(scenario.group);
    expect(body.topics).toEqual([{ name: scenario.topic, partitionIndexes: [0] }]);
    // librdkafka asks for stable offsets (KIP-447) where the version allows.
    expect(body.requireStable).toBe(entry.apiVersion >= 7 && scenario.software !== undefined);
  }),

  [ApiKey.OffsetCommit]: check(ApiKey.OffsetCommit, (body, scenario) => {
    expect(body.groupId).toBe(scenario.group);
    expect(body.generationIdOrMemberEpoch).toBe(1);
    expectCaptureMemberId(body.memberId, scenario);
    expect(body.groupInstanceId).toBeNull();
    expect(body.retentionTimeMs).toBe(-1n);
    expect(body.topics).toEqual([
      {
        name: scenario.topic,
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: scenario.committedOffset,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: scenario.commitMetadata,
          },
        ],
      },
    ]);
  }),

  [ApiKey.LeaveGroup]: check(ApiKey.LeaveGroup, (body, scenario, entry) => {
    expect(body.groupId).toBe(scenario.group);
    if (entry.apiVersion < 3) {
      expectCaptureMemberId(body.memberId, scenario);
      expect(body.members).toEqual([]);
    } else {
      expect(body.memberId).toBe('');
      expect(body.members).toHaveLength(1);
      expectCaptureMemberId(body.members[0].memberId, scenario);
    }
  }),

  [ApiKey.InitProducerId]: check(ApiKey.InitProducerId, (body, scenario) => {
    expect(body).toEqual({
      transactionalId: null,
      transactionTimeoutMs: scenario.transactionTimeoutMs,
      producerId: -1n,
      producerEpoch: -1,
    });
  }),
};

function capitalized(codec: CompressionName): keyof typeof CompressionType {
  return (codec[0].toUpperCase() + codec.slice(1)) as keyof typeof CompressionType;
}

describe('golden vectors from real clients', () => {
  test.each(index.map((entry) => [entry.file, entry] as const))('%s', async (_file, entry) => {
    const frame = load(entry);
    const scenario = SCENARIOS[entry.client];
    const decoded = decodeRequest(frame);

    expect(decoded.header.requestApiKey).toBe(entry.apiKey);
    expect(decoded.header.requestApiVersion).toBe(entry.apiVersion);
    expect(decoded.apiKey).toBe(entry.apiKey);
    expect(decoded.apiVersion).toBe(entry.apiVersion);
    expect(decoded.header.clientId).toBe(scenario.clientId);
    expect(decoded.trailingBytes).toBe(0);

    // Byte-exact round trip: header and body re-encoded at the same versions.
    expect(reencode(decoded).toString('hex')).toBe(frame.toString('hex'));

    await BODY_CHECKS[entry.apiKey]?.(decoded.body as never, scenario, entry);
  });

  test('every fixture listed in the index exists and none is listed twice', () => {
    const files = index.map((e) => e.file);
    expect(new Set(files).size).toBe(files.length);
    for (const entry of index) {
      expect(entry.file.startsWith(`${entry.client}/`)).toBe(true);
      const variant = entry.variant ? `-${entry.variant}` : '';
      expect(entry.file).toMatch(
        new RegExp(`/\\d{2}-[a-z-]+-v${entry.apiVersion}${variant}\\.bin$`),
      );
      expect(load(entry).length).toBeGreaterThan(8);
    }
  });

  test('the index covers the APIs, codecs and clients the protocol must handle', () => {
    const clientsWith = (apiKey: number, variant?: (v: string | null) => boolean) =>
      new Set(
        index
          .filter((e) => e.apiKey === apiKey && (variant === undefined || variant(e.variant)))
          .map((e) => e.client),
      );
    const allClients: ClientName[] = ['kafkajs', 'kcat', 'confluent-kafka', 'kafka-python'];
    for (const apiKey of [ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.Produce]) {
      expect([...clientsWith(apiKey)].sort(), `api ${apiKey}`).toEqual([...allClients].sort());
    }
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const producers = clientsWith(ApiKey.Produce, (v) => v?.split('-')[0] === codec);
      expect(producers.size, `produce with ${codec}`).toBeGreaterThanOrEqual(1);
    }
    // kcat exercises every codec librdkafka supports.
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      expect(clientsWith(ApiKey.Produce, (v) => v === codec).has('kcat'), codec).toBe(true);
    }
    for (const apiKey of [
      ApiKey.Fetch,
      ApiKey.FindCoordinator,
      ApiKey.JoinGroup,
      ApiKey.SyncGroup,
      ApiKey.OffsetCommit,
      ApiKey.InitProducerId,
    ]) {
      expect(clientsWith(apiKey).size, `api ${apiKey}`).toBeGreaterThanOrEqual(2);
    }
  });
});

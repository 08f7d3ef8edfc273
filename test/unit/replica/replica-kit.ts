import { randomFillSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { LogManager } from '../../../src/log/log-manager.js';
import { formatLogDir } from '../../../src/log/meta-properties.js';
import type { CompressionTypeId } from '../../../src/protocol/compression/index.js';
import { randomUuid } from '../../../src/protocol/primitives/uuid.js';
import {
  buildRecordBatch,
  readBatches,
  type RecordBatch,
  type RecordInput,
} from '../../../src/protocol/records/index.js';
import {
  ReplicaManager,
  type ReplicaManagerOptions,
} from '../../../src/replica/replica-manager.js';
import type {
  AppendRecordsRequest,
  FetchPartitionRequest,
  FetchRequestParams,
  PartitionStateUpdate,
  ProducePartitionResult,
  ReplicaTopicConfig,
} from '../../../src/replica/types.js';
import { testLogConfig } from '../../harness/log-config.js';
import { ManualTime, START_MS } from '../../harness/manual-time.js';
export { ManualTime, START_MS };

export const BROKER_ID = 1;

export const newTopicId = () => randomUuid((b) => randomFillSync(b));

export interface TestBroker {
  root: string;
  logDir: string;
  time: ManualTime;
  logManager: LogManager;
  replicaManager: ReplicaManager;
  configs: Map<string, Partial<ReplicaTopicConfig>>;
  topicIds: Map<string, string>;
}

export interface BrokerOptions {
  root?: string;
  time?: ManualTime;
  configs?: Map<string, Partial<ReplicaTopicConfig>>;
  topicIds?: Map<string, string>;
  replica?: Partial<ReplicaManagerOptions>;
}

const CLUSTER_ID = 'MkU3OEVBNTcwNTJENDM2Qg';

/** A broker's storage and replica layers over a temp dir (formatted on first start). */
export async function startBroker(options: BrokerOptions = {}): Promise<TestBroker> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'replica-')));
  const logDir = join(root, 'data');
  await formatLogDir(logDir, { clusterId: CLUSTER_ID, nodeId: BROKER_ID, ignoreFormatted: true });
  const time = options.time ?? new ManualTime();
  const configs = options.configs ?? new Map<string, Partial<ReplicaTopicConfig>>();
  const configFor = (topic: string): ReplicaTopicConfig => ({
    ...testLogConfig({ segmentBytes: 1024 * 1024 }),
    ...configs.get(topic),
  });
  const logManager = await LogManager.open({
    logDirs: [logDir],
    configFor,
    clock: time,
    scheduler: time,
    cleanerEnabled: false,
  });
  const replicaManager = new ReplicaManager({
    brokerId: BROKER_ID,
    logManager,
    configFor,
    clock: time,
    scheduler: time,
    ...options.replica,
  });
  return {
    root,
    logDir,
    time,
    logManager,
    replicaManager,
    configs,
    topicIds: options.topicIds ?? new Map(),
  };
}

/** Clean shutdown of both layers. */
export async function stopBroker(broker: TestBroker): Promise<void> {
  await broker.replicaManager.shutdown();
  await broker.logManager.shutdown();
}

/** Leaves without the replica layer's shutdown (no final producer snapshot), as a crash would. */
export async function crashBroker(broker: TestBroker): Promise<void> {
  for (const p of broker.replicaManager.hostedPartitions()) await p.drainAppends();
  await broker.logManager.shutdown();
}

export async function removeBroker(broker: TestBroker): Promise<void> {
  await rm(broker.root, { recursive: true, force: true });
}

/**
 * The test brokers of one test file: those still running after a test are stopped, then
 * every data dir of that test is removed (a restarted broker reuses its predecessor's).
 */
export function brokersPerTest(): {
  start(options?: BrokerOptions): Promise<TestBroker>;
  /** The test stopped or crashed this broker itself. */
  stopped(broker: TestBroker): void;
} {
  const running: TestBroker[] = [];
  const roots = new Set<string>();
  afterEach(async () => {
    for (const b of running.splice(0)) await stopBroker(b).catch(() => undefined);
    for (const root of roots) await rm(root, { recursive: true, force: true });
    roots.clear();
  });
  return {
    async start(options = {}) {
      const b = await startBroker(options);
      running.push(b);
      roots.add(b.root);
      return b;
    },
    stopped(broker) {
      running.splice(running.indexOf(broker), 1);
    },
  };
}

/** Makes this broker leader of the partition (epoch 0, only replica) unless told otherwise. */
export async function lead(
  broker: TestBroker,
  topic: string,
  partition = 0,
  overrides: Partial<PartitionStateUpdate> = {},
): Promise<void> {
  let topicId = broker.topicIds.get(topic);
  if (!topicId) {
    topicId = newTopicId();
    broker.topicIds.set(topic, topicId);
  }
  await broker.replicaManager.applyPartitionState({
    topic,
    topicId,
    partition,
    leaderId: BROKER_ID,
    leaderEpoch: 0,
    replicas: [BROKER_ID],
    isr: [BROKER_ID],
    isLeader: true,
    ...overrides,
  });
}

export interface BatchOptions {
  count?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  compression?: CompressionTypeId;
  timestamp?: bigint;
  valueBytes?: number;
  isTransactional?: boolean;
  keys?: (Buffer | null)[];
  records?: RecordInput[];
}

/** A client's batch: `count` records with keys k0.., values of `valueBytes` bytes. */
export function clientBatch(options: BatchOptions = {}): Promise<Buffer> {
  const count = options.count ?? 1;
  const timestamp = options.timestamp ?? BigInt(START_MS);
  const records =
    options.records ??
    Array.from({ length: count }, (_, i) => ({
      key: options.keys ? options.keys[i] : Buffer.from(`k${i}`),
      value: Buffer.alloc(options.valueBytes ?? 10, i),
      timestamp,
    }));
  return buildRecordBatch({
    records,
    compression: options.compression,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: options.baseSequence,
    isTransactional: options.isTransactional,
  });
}

export async function produce(
  broker: TestBroker,
  topic: string,
  records: Buffer | null,
  request: Partial<AppendRecordsRequest> & { partition?: number } = {},
): Promise<ProducePartitionResult> {
  const [result] = await broker.replicaManager.appendRecords({
    acks: 1,
    timeoutMs: 30_000,
    transactionalId: null,
    entries: [{ topic, partition: request.partition ?? 0, records }],
    ...request,
  });
  return result;
}

export function fetchPartition(
  topic: string,
  fetchOffset: bigint,
  overrides: Partial<FetchPartitionRequest> = {},
): FetchPartitionRequest {
  return {
    topic,
    partition: 0,
    fetchOffset,
    currentLeaderEpoch: -1,
    logStartOffset: -1n,
    partitionMaxBytes: 1024 * 1024,
    ...overrides,
  };
}

export function fetchParams(
  partitions: FetchPartitionRequest[],
  overrides: Partial<FetchRequestParams> = {},
): FetchRequestParams {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 50 * 1024 * 1024,
    isolationLevel: 0,
    partitions,
    ...overrides,
  };
}

export function batchesOf(records: Buffer): RecordBatch[] {
  return readBatches(records);
}

/** Base offsets of the complete batches in a fetch response. */
export function baseOffsets(records: Buffer): bigint[] {
  return readBatches(records).map((b) => b.baseOffset);
}

/** Lets pending I/O callbacks and microtasks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

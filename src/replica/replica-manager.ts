import { join } from 'node:path';
import { readOffsetCheckpoint } from '../log/checkpoint-file.js';
import { REPLICATION_OFFSET_CHECKPOINT_FILE } from '../log/log-dir.js';
import type { LogManager } from '../log/log-manager.js';
import { KafkaStorageError, systemClock, type Clock } from '../log/log.js';
import { ReadBufferPool } from '../log/read-buffer-pool.js';
import { PeriodicTask, timerScheduler, type Scheduler } from '../log/scheduler.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ZERO_UUID } from '../protocol/primitives/uuid.js';
import { TRANSACTIONAL_BIT } from '../protocol/records/index.js';
import {
  DEFAULT_PRODUCER_ID_EXPIRATION_MS,
  ProducerStateManager,
} from '../producer/producer-state-manager.js';
import {
  DelayedFetch,
  DelayedProduce,
  type FetchWaitStatus,
  type ProduceAckStatus,
} from './delayed-operations.js';
import { errorCodeOf, errorMessageOf, RecordValidationError } from './errors.js';
import { Partition, partitionKey, type FetchIsolation, type ReplicaLogger } from './partition.js';
import { DelayedOperationPurgatory } from './purgatory.js';
import {
  IsolationLevel,
  type AppendRecordsRequest,
  type DeleteRecordsPartitionRequest,
  type DeleteRecordsPartitionResult,
  type DescribeProducersPartitionResult,
  type FetchPartitionRequest,
  type FetchPartitionResult,
  type FetchRequestParams,
  type ListOffsetsParams,
  type ListOffsetsPartitionResult,
  type OffsetForLeaderEpochPartitionRequest,
  type OffsetForLeaderEpochResult,
  type PartitionStateUpdate,
  type ProduceEntry,
  type ProducePartitionResult,
  type ReplicaTopicConfig,
  type TopicPartitionRef,
} from './types.js';

/** Topics only the broker's own coordinators may write (Kafka's Topic.INTERNAL_TOPICS). */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set([
  '__consumer_offsets',
  '__transaction_state',
  '__share_group_state',
]);

/** Idle fetch read buffers kept for reuse, across all partitions. */
const FETCH_BUFFER_POOL_BYTES = 64 * 1024 * 1024;
/** ListOffsets / OffsetForLeaderEpoch replica ids. */
const CONSUMER_REPLICA_ID = -1;
const DEBUGGING_REPLICA_ID = -2;
/** The newest Produce version this layer's rules follow. */
const LATEST_PRODUCE_VERSION = 12;

/** Kafka answers these produce errors without a log start offset (UnknownLogAppendInfo). */
const ERRORS_WITHOUT_LOG_START: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.RECORD_LIST_TOO_LARGE,
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

const silentLogger: ReplicaLogger = { info() {}, warn() {}, error() {} };

export interface ReplicaManagerOptions {
  /** node.id of this broker. */
  brokerId: number;
  logManager: LogManager;
  /** The topic's config; called at partition creation and at each append. */
  configFor: (topic: string) => ReplicaTopicConfig;
  clock?: Clock;
  /** Timers of the purgatories and periodic tasks; tests inject a manual one. */
  scheduler?: Scheduler;
  logger?: ReplicaLogger;
  /**
   * Whether the metadata knows the partition: a partition known but not hosted here answers
   * NOT_LEADER_OR_FOLLOWER, an unknown one UNKNOWN_TOPIC_OR_PARTITION.
   */
  partitionExists?: (topic: string, partition: number) => boolean;
  /** producer.id.expiration.ms */
  producerIdExpirationMs?: number;
  /** producer.id.expiration.check.interval.ms */
  producerIdExpirationCheckIntervalMs?: number;
  /** How often producer state is snapshotted besides log rolls and shutdown; 0 disables. */
  producerSnapshotIntervalMs?: number;
}

/**
 * Kafka's ReplicaManager for this broker: hosts the partitions the metadata layer assigns
 * to it and serves Produce (append with acks), Fetch (with long polling), ListOffsets,
 * OffsetForLeaderEpoch, DeleteRecords and DescribeProducers against them. Waiting requests
 * sit in purgatories woken by appends and high-watermark moves, never by polling.
 */
export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly stateChanges = new Map<string, Promise<void>>();
  private readonly fetchPurgatory: DelayedOperationPurgatory<DelayedFetch>;
  private readonly producePurgatory: DelayedOperationPurgatory<DelayedProduce>;
  private readonly hwCheckpoints = new Map<string, Promise<Map<string, bigint>>>();
  private readonly brokerId: number;
  private readonly logManager: LogManager;
  private readonly configFor: (topic: string) => ReplicaTopicConfig;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: ReplicaLogger;
  private readonly partitionExists: (topic: string, partition: number) => boolean;
  /**
   * Memory for fetch reads from the log files. Fetch results' records may live in it: the
   * fetch handler releases them once the response has left (see ReadBufferPool).
   */
  readonly fetchBuffers = new ReadBufferPool(FETCH_BUFFER_POOL_BYTES);
  private tasks: PeriodicTask[] = [];
  private state: 'running' | 'shutting-down' | 'closed' = 'running';
  private shutdownDone: Promise<void> | null = null;

  constructor(private readonly options: ReplicaManagerOptions) {
    this.brokerId = options.brokerId;
    this.logManager = options.logManager;
    this.configFor = options.configFor;
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? timerScheduler;
    this.logger = options.logger ?? silentLogger;
    this.partitionExists = options.partitionExists ?? (() => false);
    this.fetchPurgatory = new DelayedOperationPurgatory('Fetch', this.scheduler);
    this.producePurgatory = new DelayedOperationPurgatory('Produce', this.scheduler);
  }

  /** Starts producer-id expiration and periodic producer snapshots. */
  startup(): void {
    if (this.tasks.length > 0 || this.state !== 'running') return;
    const onError = (name: string, err: unknown) =>
      this.logger.error({ task: name, error: errorMessageOf(err) }, 'replica task failed');
    const task = (name: string, periodMs: number, body: () => Promise<void>) => {
      const periodic = new PeriodicTask(name, this.scheduler, periodMs, body, onError);
      periodic.start(periodMs);
      this.tasks.push(periodic);
    };
    task(
      'producer-id-expiration',
      this.options.producerIdExpirationCheckIntervalMs ?? 600_000,
      async () => {
        const now = this.clock.now();
        for (const p of this.partitions.values()) p.producerState.removeExpiredProducers(now);
      },
    );
    const snapshotInterval = this.options.producerSnapshotIntervalMs ?? 60_000;
    if (snapshotInterval > 0) {
      task('producer-snapshot', snapshotInterval, () => this.takeProducerSnapshots());
    }
  }

  // ---- hosting partitions ----

  /** The hosted partition, if any (coordinators and handlers use it). */
  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(partitionKey(topic, partition));
  }

  /** Every hosted partition. */
  hostedPartitions(): Partition[] {
    return [...this.partitions.values()];
  }

  /**
   * Creates or updates a partition from the metadata layer: its log is created (or found)
   * with the topic's config and id, its producer state loaded, then leadership applied.
   * Calls for one partition run one after the other.
   */
  applyPartitionState(state: PartitionStateUpdate): Promise<void> {
    const key = partitionKey(state.topic, state.partition);
    const previous = this.stateChanges.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.applyStateNow(state));
    const settled = run.catch(() => undefined);
    this.stateChanges.set(key, settled);
    void settled.then(() => {
      if (this.stateChanges.get(key) === settled) this.stateChanges.delete(key);
    });
    return run;
  }

  private async applyStateNow(state: PartitionStateUpdate): Promise<void> {
    if (this.state !== 'running') throw new Error('the replica manager is shut down');
    const key = partitionKey(state.topic, state.partition);
    let hosted = this.partitions.get(key);
    if (hosted && state.topicId && hosted.topicId && hosted.topicId !== state.topicId) {
      throw new KafkaError(
        ErrorCode.INCONSISTENT_TOPIC_ID,
        `partition ${key} is hosted with topic id ${hosted.topicId}, not ${state.topicId}`,
      );
    }
    if (!hosted) {
      hosted = await this.createPartition(state);
      this.partitions.set(key, hosted);
      this.logger.info({ partition: key, topicId: state.topicId }, 'hosting partition');
    }
    await hosted.applyState(state);
  }

  private async createPartition(state: PartitionStateUpdate): Promise<Partition> {
    const { topic, partition } = state;
    const log = await this.logManager.getOrCreateLog(topic, partition, this.configFor(topic), {
      topicId: state.topicId || undefined,
      isNew: state.isNew,
    });
    const managed = this.logManager.getManaged(topic, partition);
    const producerState = await ProducerStateManager.load(
      {
        dir: log.dir,
        clock: this.clock,
        producerIdExpirationMs:
          this.options.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS,
        logger: this.logger,
      },
      log,
    );
    const checkpointed = managed
      ? await this.checkpointedHighWatermark(managed.logDir, topic, partition)
      : undefined;
    return new Partition({
      topic,
      partition,
      topicId: state.topicId || managed?.topicId,
      brokerId: this.brokerId,
      log,
      producerState,
      topicConfig: () => this.configFor(topic),
      initialHighWatermark: checkpointed ?? log.logStartOffset,
      clock: this.clock,
      logger: this.logger,
      onChange: (p) => this.onPartitionChange(p),
    });
  }

  /** The high watermark the log dir's replication-offset-checkpoint holds for the partition. */
  private async checkpointedHighWatermark(
    logDir: string,
    topic: string,
    partition: number,
  ): Promise<bigint | undefined> {
    let checkpoint = this.hwCheckpoints.get(logDir);
    if (!checkpoint) {
      checkpoint = readOffsetCheckpoint(join(logDir, REPLICATION_OFFSET_CHECKPOINT_FILE)).catch(
        (err: Error) => {
          this.logger.warn(
            { dir: logDir, error: err.message },
            'unreadable high watermark checkpoint',
          );
          return new Map<string, bigint>();
        },
      );
      this.hwCheckpoints.set(logDir, checkpoint);
    }
    return (await checkpoint).get(partitionKey(topic, partition));
  }

  /**
   * Stops hosting partitions (reassigned away or deleted). Waiting requests on them complete;
   * with `deleteLogs` (topic deletion) their logs are deleted through the log manager,
   * otherwise a final producer snapshot is written.
   */
  async removePartitions(
    partitions: readonly TopicPartitionRef[],
    options: { deleteLogs: boolean },
  ): Promise<void> {
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition);
      await this.stateChanges.get(key);
      const hosted = this.partitions.get(key);
      if (hosted) {
        this.partitions.delete(key);
        hosted.markRemoved();
        await hosted.drainAppends();
        if (!options.deleteLogs) await hosted.close();
        this.logger.info(
          { partition: key, deleteLogs: options.deleteLogs },
          'stopped hosting partition',
        );
      }
      if (options.deleteLogs) await this.logManager.deleteLog(topic, partition);
    }
  }

  /** The topic's config changed: the logs of its partitions take the new one. */
  updateTopicConfig(topic: string): void {
    const config = this.configFor(topic);
    for (const p of this.partitions.values()) {
      if (p.topic === topic) p.log.config = config;
    }
  }

  /** For the log manager's replication-offset-checkpoint. */
  highWatermarkFor(topic: string, partition: number): bigint {
    const hosted = this.partitions.get(partitionKey(topic, partition));
    if (hosted) return hosted.highWatermark;
    return this.logManager.getLog(topic, partition)?.logEndOffset ?? 0n;
  }

  private onPartitionChange(partition: Partition): void {
    this.producePurgatory.checkAndComplete(partition.key);
    this.fetchPurgatory.checkAndComplete(partition.key);
  }

  private lookup = (topic: string, partition: number): Partition | undefined =>
    this.partitions.get(partitionKey(topic, partition));

  /** Kafka's getPartitionOrException. */
  private partitionOrThrow(topic: string, partition: number): Partition {
    try {
      this.logManager.getManaged(topic, partition);
    } catch (err) {
      if (err instanceof KafkaStorageError)
        throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, err.message);
      throw err;
    }
    const hosted = this.lookup(topic, partition);
    if (hosted) {
      if (hosted.log.isOffline) {
        throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `the log of ${hosted.key} is offline`);
      }
      return hosted;
    }
    if (this.partitionExists(topic, partition)) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.brokerId} does not host ${partitionKey(topic, partition)}`,
      );
    }
    throw new KafkaError(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `this server does not host ${partitionKey(topic, partition)}`,
    );
  }

  private leaderOf(topic: string, partition: number, errorCode: number) {
    if (
      errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER &&
      errorCode !== ErrorCode.FENCED_LEADER_EPOCH
    )
      return null;
    return this.lookup(topic, partition)?.currentLeader ?? null;
  }

  private logUnexpected(what: string, key: string, err: unknown): void {
    if (errorCodeOf(err) === ErrorCode.UNKNOWN_SERVER_ERROR) {
      this.logger.error(
        { partition: key, error: errorMessageOf(err) },
        `unexpected error in ${what}`,
      );
    }
  }

  // ---- produce ----

  /**
   * Produce (Kafka's appendRecords): validates and appends each partition's batch on its
   * own (a failing partition leaves the others unaffected), then for acks=-1 waits until
   * the in-sync replicas have the batches or `timeoutMs` passes. acks=0 appends the same
   * way; the handler simply sends no response.
   */
  async appendRecords(request: AppendRecordsRequest): Promise<ProducePartitionResult[]> {
    const { acks, entries } = request;
    if (acks !== -1 && acks !== 0 && acks !== 1) {
      return entries.map((e) =>
        this.produceError(
          e,
          ErrorCode.INVALID_REQUIRED_ACKS,
          `acks must be -1, 0 or 1, not ${acks}`,
        ),
      );
    }
    if (
      request.transactionalId === null &&
      entries.some((e) => carriesTransactionalBatch(e.records))
    ) {
      // Kafka refuses the whole request: transactional records need a transactional id.
      return entries.map((e) =>
        this.produceError(
          e,
          ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
          'transactional records need a transactional id',
        ),
      );
    }
    const apiVersion = request.apiVersion ?? LATEST_PRODUCE_VERSION;
    const statuses = await Promise.all(
      entries.map((entry) => this.appendEntry(entry, request, apiVersion)),
    );
    if (acks === -1 && statuses.some((s) => s.acksPending)) {
      await new Promise<void>((resolve) => {
        const op = new DelayedProduce(
          statuses,
          this.lookup,
          (topic) => this.configFor(topic).minInsyncReplicas ?? 1,
          resolve,
        );
        const keys = statuses
          .filter((s) => s.acksPending)
          .map((s) => partitionKey(s.result.topic, s.result.partition));
        this.producePurgatory.tryCompleteElseWatch(op, keys, request.timeoutMs);
      });
    }
    return statuses.map((s) => s.result);
  }

  private async appendEntry(
    entry: ProduceEntry,
    request: AppendRecordsRequest,
    apiVersion: number,
  ): Promise<ProduceAckStatus> {
    const key = partitionKey(entry.topic, entry.partition);
    if (INTERNAL_TOPICS.has(entry.topic) && !request.allowInternalTopics) {
      return {
        result: this.produceError(
          entry,
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `cannot append to internal topic ${entry.topic}`,
        ),
        requiredOffset: -1n,
        acksPending: false,
      };
    }
    try {
      const hosted = this.partitionOrThrow(entry.topic, entry.partition);
      const info = await hosted.appendRecordsToLeader(entry.records, {
        acks: request.acks,
        apiVersion,
      });
      return {
        result: {
          topic: entry.topic,
          partition: entry.partition,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          baseOffset: info.firstOffset,
          logAppendTimeMs: info.logAppendTime,
          logStartOffset: info.logStartOffset,
          recordErrors: [],
          currentLeader: null,
        },
        requiredOffset: info.lastOffset + 1n,
        acksPending: request.acks === -1,
      };
    } catch (err) {
      this.logUnexpected('produce', key, err);
      if (err instanceof KafkaStorageError)
        this.logManager.reportStorageError(entry.topic, entry.partition, err);
      const code = errorCodeOf(err);
      const result = this.produceError(entry, code, errorMessageOf(err));
      if (err instanceof RecordValidationError) result.recordErrors = err.recordErrors;
      return { result, requiredOffset: -1n, acksPending: false };
    }
  }

  private produceError(entry: ProduceEntry, code: number, message: string): ProducePartitionResult {
    const hosted = this.lookup(entry.topic, entry.partition);
    return {
      topic: entry.topic,
      partition: entry.partition,
      errorCode: code,
      errorMessage: message,
      baseOffset: -1n,
      logAppendTimeMs: -1n,
      logStartOffset:
        hosted && !ERRORS_WITHOUT_LOG_START.has(code) ? hosted.log.logStartOffset : -1n,
      recordErrors: [],
      currentLeader: this.leaderOf(entry.topic, entry.partition, code),
    };
  }

  // ---- fetch ----

  /**
   * Fetch (Kafka's fetchMessages): reads every partition in request order within the
   * response's max bytes, the first non-empty partition getting at least one whole batch
   * whatever the limits; consumers read up to the high watermark (read_committed: the last
   * stable offset), followers up to the log end, which moves their high watermark. Answers at
   * once when nothing is wanted, enough is there (min bytes), on an error or a diverging
   * epoch; otherwise parks until appends bring enough bytes or max wait passes, then reads
   * again.
   */
  async fetchMessages(params: FetchRequestParams): Promise<FetchPartitionResult[]> {
    const isFollower = params.replicaId >= 0;
    const isolation: FetchIsolation = isFollower
      ? 'log-end'
      : params.isolationLevel === IsolationLevel.ReadCommitted
        ? 'txn-committed'
        : 'high-watermark';
    // Consumers without KIP-392 client metadata may only read from the leader.
    const fetchOnlyLeader = isFollower || params.clientRackId === undefined;
    const startMarks = params.partitions.map(
      (p) => this.lookup(p.topic, p.partition)?.readableBytesMark(isolation) ?? 0,
    );
    const first = await this.readFromLocalLog(params, isolation, fetchOnlyLeader);
    let bytes = 0;
    let answerNow =
      params.maxWaitMs <= 0 || params.partitions.length === 0 || this.state !== 'running';
    for (const result of first) {
      bytes += result.records.length;
      if (result.errorCode !== ErrorCode.NONE || result.divergingEpoch) answerNow = true;
    }
    if (answerNow || bytes >= params.minBytes) return first;

    const statuses: FetchWaitStatus[] = params.partitions.map((request, i) => ({
      request,
      bytesRead: first[i].records.length,
      startMark: startMarks[i],
    }));
    // Read again when the wait ends; these records are not answered.
    for (const result of first) this.fetchBuffers.release(result.records);
    return new Promise<FetchPartitionResult[]>((resolve, reject) => {
      const op = new DelayedFetch(
        statuses,
        params.minBytes,
        isolation,
        fetchOnlyLeader,
        this.lookup,
        () => {
          this.readFromLocalLog(params, isolation, fetchOnlyLeader).then(resolve, reject);
        },
      );
      const keys = [...new Set(params.partitions.map((p) => partitionKey(p.topic, p.partition)))];
      this.fetchPurgatory.tryCompleteElseWatch(op, keys, params.maxWaitMs);
    });
  }

  private async readFromLocalLog(
    params: FetchRequestParams,
    isolation: FetchIsolation,
    fetchOnlyLeader: boolean,
  ): Promise<FetchPartitionResult[]> {
    const results: FetchPartitionResult[] = [];
    let limit = Math.max(0, params.maxBytes);
    let minOneMessage = true;
    for (const request of params.partitions) {
      const maxBytes = Math.min(request.partitionMaxBytes, limit);
      const result = await this.readPartition(
        params.replicaId,
        request,
        maxBytes,
        minOneMessage,
        isolation,
        fetchOnlyLeader,
      );
      // Once a partition returned data, the limits apply to the others in full.
      if (result.records.length > 0) minOneMessage = false;
      limit = Math.max(0, limit - result.records.length);
      results.push(result);
    }
    return results;
  }

  private async readPartition(
    replicaId: number,
    request: FetchPartitionRequest,
    maxBytes: number,
    minOneMessage: boolean,
    isolation: FetchIsolation,
    fetchOnlyLeader: boolean,
  ): Promise<FetchPartitionResult> {
    const { topic, partition } = request;
    try {
      const hosted = this.partitionOrThrow(topic, partition);
      const requestTopicId =
        request.topicId && request.topicId !== ZERO_UUID ? request.topicId : undefined;
      if (requestTopicId && hosted.topicId && hosted.topicId !== requestTopicId) {
        throw new KafkaError(
          ErrorCode.INCONSISTENT_TOPIC_ID,
          `topic id ${requestTopicId} does not match ${hosted.topicId} of ${hosted.key}`,
        );
      }
      const read = await hosted.readRecords(request, {
        maxBytes,
        minOneMessage,
        isolation,
        fetchOnlyLeader,
        pool: this.fetchBuffers,
      });
      if (replicaId >= 0)
        hosted.updateFollowerFetchState(replicaId, request.fetchOffset, request.logStartOffset);
      return {
        topic,
        topicId: request.topicId,
        partition,
        errorCode: ErrorCode.NONE,
        highWatermark: read.highWatermark,
        lastStableOffset: read.lastStableOffset,
        logStartOffset: read.logStartOffset,
        records: read.records,
        abortedTransactions: isolation === 'txn-committed' ? [] : null,
        preferredReadReplica: -1,
        divergingEpoch: read.divergingEpoch,
        currentLeader: null,
      };
    } catch (err) {
      this.logUnexpected('fetch', partitionKey(topic, partition), err);
      if (err instanceof KafkaStorageError)
        this.logManager.reportStorageError(topic, partition, err);
      const code = errorCodeOf(err);
      return {
        topic,
        topicId: request.topicId,
        partition,
        errorCode: code,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        records: Buffer.alloc(0),
        abortedTransactions: null,
        preferredReadReplica: -1,
        divergingEpoch: null,
        currentLeader: this.leaderOf(topic, partition, code),
      };
    }
  }

  // ---- ListOffsets, OffsetForLeaderEpoch, DeleteRecords, DescribeProducers ----

  /**
   * ListOffsets: consumers (replica id -1) see offsets up to the high watermark (or the last
   * stable offset for read_committed), brokers up to the log end; only the leader answers,
   * except to debugging tools (replica id -2).
   */
  async listOffsets(params: ListOffsetsParams): Promise<ListOffsetsPartitionResult[]> {
    const isolation = params.replicaId === CONSUMER_REPLICA_ID ? params.isolationLevel : null;
    const fetchOnlyLeader = params.replicaId !== DEBUGGING_REPLICA_ID;
    return Promise.all(
      params.partitions.map(async (request): Promise<ListOffsetsPartitionResult> => {
        const { topic, partition } = request;
        try {
          const hosted = this.partitionOrThrow(topic, partition);
          const found = await hosted.fetchOffsetForTimestamp(
            request.timestamp,
            isolation,
            request.currentLeaderEpoch,
            fetchOnlyLeader,
          );
          return {
            topic,
            partition,
            errorCode: ErrorCode.NONE,
            timestamp: found?.timestamp ?? -1n,
            offset: found?.offset ?? -1n,
            leaderEpoch: found?.leaderEpoch ?? -1,
          };
        } catch (err) {
          this.logUnexpected('list offsets', partitionKey(topic, partition), err);
          return {
            topic,
            partition,
            errorCode: errorCodeOf(err),
            timestamp: -1n,
            offset: -1n,
            leaderEpoch: -1,
          };
        }
      }),
    );
  }

  /** OffsetForLeaderEpoch (KIP-101/320): the end offset of an epoch in the leader's log. */
  offsetForLeaderEpoch(
    replicaId: number,
    partitions: readonly OffsetForLeaderEpochPartitionRequest[],
  ): OffsetForLeaderEpochResult[] {
    const fetchOnlyLeader = replicaId !== DEBUGGING_REPLICA_ID;
    return partitions.map((request) => {
      const { topic, partition } = request;
      try {
        const hosted = this.partitionOrThrow(topic, partition);
        const end = hosted.lastOffsetForLeaderEpoch(
          request.currentLeaderEpoch,
          request.leaderEpoch,
          fetchOnlyLeader,
        );
        return {
          topic,
          partition,
          errorCode: ErrorCode.NONE,
          leaderEpoch: end.epoch,
          endOffset: end.endOffset,
        };
      } catch (err) {
        this.logUnexpected('offset for leader epoch', partitionKey(topic, partition), err);
        return { topic, partition, errorCode: errorCodeOf(err), leaderEpoch: -1, endOffset: -1n };
      }
    });
  }

  /**
   * DeleteRecords: moves each partition's log start offset (offset -1 = the high watermark).
   * With a single replica the low watermark is known at once; waiting for followers to
   * follow (Kafka's DelayedDeleteRecords) comes with replication.
   */
  async deleteRecords(
    partitions: readonly DeleteRecordsPartitionRequest[],
  ): Promise<DeleteRecordsPartitionResult[]> {
    return Promise.all(
      partitions.map(async (request): Promise<DeleteRecordsPartitionResult> => {
        const { topic, partition } = request;
        try {
          const hosted = this.partitionOrThrow(topic, partition);
          const lowWatermark = await hosted.deleteRecordsOnLeader(request.offset);
          return { topic, partition, errorCode: ErrorCode.NONE, lowWatermark };
        } catch (err) {
          this.logUnexpected('delete records', partitionKey(topic, partition), err);
          if (err instanceof KafkaStorageError)
            this.logManager.reportStorageError(topic, partition, err);
          return { topic, partition, errorCode: errorCodeOf(err), lowWatermark: -1n };
        }
      }),
    );
  }

  /** DescribeProducers: the idempotent producers each partition's state knows. */
  describeProducers(partitions: readonly TopicPartitionRef[]): DescribeProducersPartitionResult[] {
    return partitions.map(({ topic, partition }) => {
      try {
        const hosted = this.partitionOrThrow(topic, partition);
        return {
          topic,
          partition,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          activeProducers: hosted.activeProducers(),
        };
      } catch (err) {
        return {
          topic,
          partition,
          errorCode: errorCodeOf(err),
          errorMessage: errorMessageOf(err),
          activeProducers: [],
        };
      }
    });
  }

  // ---- snapshots and shutdown ----

  /** Writes a producer snapshot for every partition whose state moved since the last one. */
  async takeProducerSnapshots(): Promise<void> {
    for (const p of [...this.partitions.values()]) await p.snapshotProducerState();
  }

  /**
   * Clean shutdown: parked fetches are answered (read once more), pending acks=-1 produces
   * answered, appends settle and every partition writes a final producer snapshot. Run it
   * before the log manager shuts down.
   */
  shutdown(): Promise<void> {
    this.shutdownDone ??= this.shutdownOnce();
    return this.shutdownDone;
  }

  private async shutdownOnce(): Promise<void> {
    this.state = 'shutting-down';
    await Promise.all(this.tasks.map((t) => t.stop()));
    this.fetchPurgatory.completeAll();
    this.producePurgatory.completeAll();
    await Promise.allSettled([...this.stateChanges.values()]);
    for (const p of [...this.partitions.values()]) {
      try {
        await p.close();
      } catch (err) {
        this.logger.error(
          { partition: p.key, error: errorMessageOf(err) },
          'closing a partition failed',
        );
      }
    }
    this.state = 'closed';
  }

  /** Requests waiting in the purgatories (for metrics and tests). */
  get waitingRequests(): { fetch: number; produce: number } {
    return { fetch: this.fetchPurgatory.size, produce: this.producePurgatory.size };
  }
}

/** Peeks at the first batch's attributes: are these transactional records? */
function carriesTransactionalBatch(records: Buffer | null): boolean {
  const ATTRIBUTES = 21;
  const MAGIC = 16;
  if (records === null || records.length < ATTRIBUTES + 2) return false;
  if (records.readInt8(MAGIC) !== 2) return false;
  return (records.readInt16BE(ATTRIBUTES) & TRANSACTIONAL_BIT) !== 0;
}

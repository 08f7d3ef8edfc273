import type { AppendResult, Clock, Log } from '../log/log.js';
import { OffsetOutOfRangeError } from '../log/log.js';
import type { ReadBufferPool } from '../log/read-buffer-pool.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { TopicCompression } from '../protocol/compression/index.js';
import type { BatchMetadata } from '../producer/producer-state-entry.js';
import type { RecordBatch } from '../protocol/records/index.js';
import type { ActiveProducer, ProducerStateManager } from '../producer/producer-state-manager.js';
import { validateProducedRecords } from './record-validator.js';
import {
  IsolationLevel,
  ListOffsetsTimestamp,
  type EpochEndOffsetInfo,
  type FetchPartitionRequest,
  type IsolationLevelId,
  type PartitionStateUpdate,
  type ReplicaTopicConfig,
} from './types.js';

export interface ReplicaLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** How far a fetch may read (Kafka's FetchIsolation). */
export type FetchIsolation = 'log-end' | 'high-watermark' | 'txn-committed';

export interface LeaderAppendInfo {
  firstOffset: bigint;
  lastOffset: bigint;
  /** The append time under LogAppendTime (a duplicate answers its batch's timestamp), else -1. */
  logAppendTime: bigint;
  logStartOffset: bigint;
  /** A retried batch answered from the producer state; nothing was appended. */
  duplicate: boolean;
}

export interface AppendOptions {
  acks: number;
  apiVersion: number;
}

export interface PartitionReadInfo {
  records: Buffer;
  divergingEpoch: EpochEndOffsetInfo | null;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  logEndOffset: bigint;
}

export interface TimestampAndOffset {
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

interface FollowerState {
  /** -1 until the follower fetched from this leader. */
  logEndOffset: bigint;
  logStartOffset: bigint;
}

export interface PartitionOptions {
  topic: string;
  partition: number;
  topicId: string | undefined;
  brokerId: number;
  log: Log;
  producerState: ProducerStateManager;
  /** The topic's current config (read at each append, so config changes apply). */
  topicConfig: () => ReplicaTopicConfig;
  initialHighWatermark: bigint;
  clock: Clock;
  logger: ReplicaLogger;
  /** Called when the high watermark, the log end or the partition's state changed. */
  onChange: (partition: Partition) => void;
}

const noop = () => {};

function fail(code: number, message: string): never {
  throw new KafkaError(code, message);
}

/**
 * A partition hosted by this broker (Kafka's Partition): its log, leadership (leader id
 * and epoch, replicas, ISR), high watermark, the followers' log end offsets that move it,
 * and idempotent producer state.
 *
 * Appends are handed to the log without waiting for earlier ones, so concurrent produce
 * requests share the log's group commit. The offsets the log will assign are known ahead
 * (it assigns them in hand-over order from its end), which lets the producer state record
 * a batch before it is written: the next batch of the same producer is checked against it
 * at once. A retry of a batch still in flight waits for that batch before answering.
 */
export class Partition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  topicId: string | undefined;
  readonly log: Log;
  readonly producerState: ProducerStateManager;
  private readonly brokerId: number;
  private readonly topicConfig: () => ReplicaTopicConfig;
  private readonly clock: Clock;
  private readonly logger: ReplicaLogger;
  private readonly onChange: (partition: Partition) => void;

  leaderId = -1;
  leaderEpoch = -1;
  replicas: readonly number[] = [];
  isr: readonly number[] = [];
  isLeader = false;
  /** Offsets below it are on every in-sync replica: what consumers may read. */
  highWatermark: bigint;
  /** The log end when this broker became leader in the current epoch, -1 otherwise. */
  leaderEpochStartOffset = -1n;
  private readonly followers = new Map<number, FollowerState>();
  private removed = false;

  /** Where the log will put the next batch handed to it (appends may be in flight). */
  private nextAppendOffset = 0n;
  private appendsInFlight = 0;
  /** Settles after every append handed to the log so far. */
  private appendTail: Promise<void> = Promise.resolve();
  /** Settles once the latest produce to arrive has been handed to the log (or refused). */
  private handOverTail: Promise<void> = Promise.resolve();
  private snapshotWrites: Promise<void> = Promise.resolve();
  private lastSegmentBase: bigint;

  /**
   * Bytes appended (by completion order) for the delayed-fetch estimate: the running total,
   * the total at the high watermark, and the appends above it.
   */
  private appendedBytes = 0;
  private bytesAtHighWatermark = 0;
  private readonly appendsAboveHighWatermark: { endOffset: bigint; bytes: number }[] = [];

  constructor(options: PartitionOptions) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.key = partitionKey(options.topic, options.partition);
    this.topicId = options.topicId;
    this.brokerId = options.brokerId;
    this.log = options.log;
    this.producerState = options.producerState;
    this.topicConfig = options.topicConfig;
    this.clock = options.clock;
    this.logger = options.logger;
    this.onChange = options.onChange;
    const { logStartOffset, logEndOffset } = options.log;
    let hw = options.initialHighWatermark;
    if (hw < logStartOffset) hw = logStartOffset;
    if (hw > logEndOffset) hw = logEndOffset;
    this.highWatermark = hw;
    this.lastSegmentBase = options.log.activeSegment.baseOffset;
  }

  get name(): string {
    return this.key;
  }

  /** No transactions yet: every offset below the high watermark is stable. */
  get lastStableOffset(): bigint {
    return this.highWatermark;
  }

  get isRemoved(): boolean {
    return this.removed;
  }

  /** The topic's compression.type ('producer' keeps what clients send). */
  get compressionType(): TopicCompression {
    return this.topicConfig().compressionType ?? 'producer';
  }

  get currentLeader(): { leaderId: number; leaderEpoch: number } {
    return { leaderId: this.leaderId, leaderEpoch: this.leaderEpoch };
  }

  // ---- leadership ----

  /**
   * Applies leadership from the metadata layer. An older leader epoch than the current one
   * is stale and ignored. Becoming leader (or a new epoch as leader) records the epoch's
   * start offset in the leader epoch cache at the log end, as Kafka's makeLeader does, and
   * forgets the followers' positions; the high watermark then moves with the ISR.
   */
  async applyState(state: PartitionStateUpdate): Promise<boolean> {
    if (state.leaderEpoch < this.leaderEpoch) {
      this.logger.warn(
        { partition: this.key, epoch: state.leaderEpoch, current: this.leaderEpoch },
        'ignoring partition state with an older leader epoch',
      );
      return false;
    }
    const newLeadership =
      state.isLeader && (!this.isLeader || state.leaderEpoch > this.leaderEpoch);
    if (state.topicId) this.topicId = state.topicId;
    this.leaderId = state.leaderId;
    this.leaderEpoch = state.leaderEpoch;
    this.replicas = [...state.replicas];
    this.isr = [...state.isr];
    this.isLeader = state.isLeader;
    if (newLeadership) {
      // Appends of the previous epoch must be in the log before the new epoch starts.
      await this.appendTail;
      this.leaderEpochStartOffset = this.log.logEndOffset;
      this.log.leaderEpochCache.assign(state.leaderEpoch, this.log.logEndOffset);
      await this.log.leaderEpochCache.flush();
      this.followers.clear();
      for (const id of this.replicas) {
        if (id !== this.brokerId)
          this.followers.set(id, { logEndOffset: -1n, logStartOffset: -1n });
      }
    } else if (!state.isLeader) {
      this.leaderEpochStartOffset = -1n;
      this.followers.clear();
    }
    this.maybeIncrementHighWatermark();
    this.onChange(this);
    return true;
  }

  /** The partition no longer lives here (deleted or reassigned); waiting requests complete. */
  markRemoved(): void {
    this.removed = true;
    this.isLeader = false;
    this.onChange(this);
  }

  /**
   * Kafka's getLocalLog: the fetcher's view of the leader epoch must match ours
   * (FENCED_LEADER_EPOCH if older, UNKNOWN_LEADER_EPOCH if newer; -1 skips the check), and
   * leader-only requests need this broker to lead.
   */
  checkLocalLog(currentLeaderEpoch: number, requireLeader: boolean): void {
    if (this.removed) fail(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.key} is not hosted here`);
    if (currentLeaderEpoch >= 0) {
      if (currentLeaderEpoch < this.leaderEpoch) {
        fail(
          ErrorCode.FENCED_LEADER_EPOCH,
          `leader epoch ${currentLeaderEpoch} of the request is older than ${this.leaderEpoch} for ${this.key}`,
        );
      }
      if (currentLeaderEpoch > this.leaderEpoch) {
        fail(
          ErrorCode.UNKNOWN_LEADER_EPOCH,
          `leader epoch ${currentLeaderEpoch} of the request is newer than ${this.leaderEpoch} for ${this.key}`,
        );
      }
    }
    if (requireLeader && !this.isLeader) {
      fail(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.brokerId} is not the leader of ${this.key}`,
      );
    }
  }

  // ---- high watermark ----

  /** HW = the smallest log end offset over the ISR; it never moves back. */
  maybeIncrementHighWatermark(): boolean {
    let changed = false;
    if (this.isLeader && !this.removed) {
      let candidate = this.log.logEndOffset;
      for (const id of this.isr) {
        if (id === this.brokerId) continue;
        const leo = this.followers.get(id)?.logEndOffset ?? -1n;
        if (leo < candidate) candidate = leo;
      }
      if (candidate > this.highWatermark) {
        this.highWatermark = candidate;
        changed = true;
      }
    }
    while (
      this.appendsAboveHighWatermark.length > 0 &&
      this.appendsAboveHighWatermark[0].endOffset <= this.highWatermark
    ) {
      this.bytesAtHighWatermark = this.appendsAboveHighWatermark.shift()!.bytes;
    }
    return changed;
  }

  /**
   * A follower fetched from `fetchOffset`: its log ends there. Returns true when that moved
   * the high watermark. (ISR changes need the controller and are not done yet.)
   */
  updateFollowerFetchState(
    replicaId: number,
    fetchOffset: bigint,
    logStartOffset: bigint,
  ): boolean {
    const follower = this.followers.get(replicaId);
    if (!follower) {
      fail(ErrorCode.NOT_LEADER_OR_FOLLOWER, `broker ${replicaId} is not a replica of ${this.key}`);
    }
    follower.logEndOffset = fetchOffset;
    follower.logStartOffset = logStartOffset;
    const changed = this.maybeIncrementHighWatermark();
    if (changed) this.onChange(this);
    return changed;
  }

  /** Offset a fetch with this isolation may read up to (exclusive). */
  endOffsetFor(isolation: FetchIsolation): bigint {
    if (isolation === 'log-end') return this.log.logEndOffset;
    return isolation === 'txn-committed' ? this.lastStableOffset : this.highWatermark;
  }

  /** A counter of bytes readable under `isolation`; only differences between two reads matter. */
  readableBytesMark(isolation: FetchIsolation): number {
    return isolation === 'log-end' ? this.appendedBytes : this.bytesAtHighWatermark;
  }

  // ---- produce ----

  /**
   * Appends what a client produced (Kafka's appendRecordsToLeader): checks leadership and
   * min.insync.replicas (acks=-1), validates the batch, checks the producer's epoch and
   * sequence, then hands the batch to the log.
   */
  async appendRecordsToLeader(
    records: Buffer | null,
    options: AppendOptions,
  ): Promise<LeaderAppendInfo> {
    this.checkLocalLog(-1, true);
    const config = this.topicConfig();
    const minIsr = config.minInsyncReplicas ?? 1;
    if (options.acks === -1 && this.isr.length < minIsr) {
      fail(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `${this.key} has ${this.isr.length} in-sync replicas, below min.insync.replicas ${minIsr}`,
      );
    }
    const logConfig = this.log.config;
    const epoch = this.leaderEpoch;
    // Batches are validated concurrently (a compressed one takes longer) but handed to the
    // log in the order they arrived, as a client pipelining its requests expects.
    const earlierHandedOver = this.handOverTail;
    let handedOver!: () => void;
    this.handOverTail = new Promise((resolve) => (handedOver = resolve));
    let batch: RecordBatch;
    let firstOffset: bigint;
    let producerBatch: BatchMetadata | null;
    let append: Promise<AppendResult>;
    try {
      batch = await validateProducedRecords(
        records,
        {
          maxMessageBytes: logConfig.maxMessageBytes,
          segmentBytes: logConfig.segmentBytes,
          compacted: logConfig.cleanupPolicy.includes('compact'),
          timestampType: logConfig.messageTimestampType,
          timestampBeforeMaxMs: logConfig.messageTimestampBeforeMaxMs,
          timestampAfterMaxMs: logConfig.messageTimestampAfterMaxMs,
          compression: config.compressionType ?? 'producer',
        },
        { apiVersion: options.apiVersion, nowMs: this.clock.now(), partitionName: this.key },
      );
      await earlierHandedOver;

      // From here to the hand-over nothing awaits: checks and offset prediction are atomic.
      if (this.removed || !this.isLeader || this.leaderEpoch !== epoch) {
        fail(
          ErrorCode.NOT_LEADER_OR_FOLLOWER,
          `leadership of ${this.key} changed during the append`,
        );
      }
      const check = batch.hasProducerId ? this.producerState.checkClientBatch(batch) : null;
      // Not awaited here: the answer waits for the original's append, later ones need not.
      if (check?.kind === 'duplicate') return this.answerDuplicate(check.batch);
      if (batch.isTransactional) {
        // No transaction coordinator yet, so no partition can be part of an ongoing transaction.
        fail(
          ErrorCode.INVALID_TXN_STATE,
          `records for ${this.key} are not part of an ongoing transaction`,
        );
      }
      if (check?.kind === 'reject') fail(check.errorCode, `${this.key}: ${check.message}`);

      if (this.appendsInFlight === 0) this.nextAppendOffset = this.log.logEndOffset;
      firstOffset = this.nextAppendOffset;
      const lastOffset = firstOffset + BigInt(batch.lastOffsetDelta);
      producerBatch = batch.hasProducerId
        ? this.producerState.recordAppend(batch, firstOffset)
        : null;
      this.nextAppendOffset = lastOffset + 1n;
      this.producerState.updateMapEndOffset(lastOffset + 1n);
      append = this.log.appendAsLeader(batch.bytes, epoch);
      this.appendsInFlight++;
      this.appendTail = append.then(noop, noop);
    } finally {
      handedOver();
    }
    let result: AppendResult;
    try {
      result = await append;
    } finally {
      this.appendsInFlight--;
    }
    if (result.firstOffset !== firstOffset) {
      // Only possible if something else appended to this log; keep the producer state right.
      this.logger.error(
        {
          partition: this.key,
          predicted: firstOffset.toString(),
          actual: result.firstOffset.toString(),
        },
        'log assigned other offsets than predicted',
      );
      if (producerBatch) producerBatch.lastOffset = result.lastOffset;
    }
    if (producerBatch && result.logAppendTime >= 0n)
      this.stampAppendTime(producerBatch, batch.producerId, result.logAppendTime);
    this.onLocalAppend(result.lastOffset, result.bytes);
    return {
      firstOffset: result.firstOffset,
      lastOffset: result.lastOffset,
      logAppendTime: result.logAppendTime,
      logStartOffset: this.log.logStartOffset,
      duplicate: false,
    };
  }

  /** Kafka answers a duplicate with its original offsets and its timestamp as the append time. */
  private async answerDuplicate(original: BatchMetadata): Promise<LeaderAppendInfo> {
    // The original may still be on its way to the log.
    await this.appendTail;
    if (this.log.isOffline)
      fail(ErrorCode.KAFKA_STORAGE_ERROR, `the log of ${this.key} is offline`);
    return {
      firstOffset: original.firstOffset,
      lastOffset: original.lastOffset,
      logAppendTime: original.timestamp,
      logStartOffset: this.log.logStartOffset,
      duplicate: true,
    };
  }

  private stampAppendTime(batch: BatchMetadata, producerId: bigint, appendTime: bigint): void {
    batch.timestamp = appendTime;
    const entry = this.producerState.lastEntry(producerId);
    if (entry && entry.batches.at(-1) === batch) entry.lastTimestamp = appendTime;
  }

  private onLocalAppend(lastOffset: bigint, bytes: number): void {
    this.appendedBytes += bytes;
    this.appendsAboveHighWatermark.push({ endOffset: lastOffset + 1n, bytes: this.appendedBytes });
    this.maybeIncrementHighWatermark();
    const activeBase = this.log.activeSegment.baseOffset;
    if (activeBase !== this.lastSegmentBase) {
      // The log rolled: snapshot the producer state, as Kafka does at every roll.
      this.lastSegmentBase = activeBase;
      void this.snapshotProducerState();
    }
    this.onChange(this);
  }

  /** Every append handed to the log so far is settled. */
  drainAppends(): Promise<void> {
    return this.appendTail;
  }

  /**
   * Writes a producer snapshot at the state's end offset, once the log holds every batch
   * below it. Returns when written (or skipped: nothing new, or the log is offline).
   */
  snapshotProducerState(): Promise<void> {
    const pending = this.producerState.prepareSnapshot();
    if (!pending) return this.snapshotWrites;
    const inLog = this.appendTail;
    const write = this.snapshotWrites.then(async () => {
      await inLog;
      if (this.log.isOffline) return;
      try {
        await this.producerState.writeSnapshot(pending);
      } catch (err) {
        this.logger.error(
          { partition: this.key, offset: pending.offset.toString(), error: (err as Error).message },
          'writing a producer snapshot failed',
        );
      }
    });
    this.snapshotWrites = write;
    return write;
  }

  // ---- fetch ----

  /**
   * Reads for a fetch (Kafka's Partition.readRecords): offsets are taken before the read so
   * appends after it never hide data from the fetcher; a follower's last fetched epoch is
   * checked for divergence first (KIP-320).
   */
  async readRecords(
    request: FetchPartitionRequest,
    options: {
      maxBytes: number;
      minOneMessage: boolean;
      isolation: FetchIsolation;
      fetchOnlyLeader: boolean;
      /** Where file reads go; the caller releases the records to it. */
      pool?: ReadBufferPool;
    },
  ): Promise<PartitionReadInfo> {
    this.checkLocalLog(request.currentLeaderEpoch, options.fetchOnlyLeader);
    const highWatermark = this.highWatermark;
    const lastStableOffset = this.lastStableOffset;
    const logStartOffset = this.log.logStartOffset;
    const logEndOffset = this.log.logEndOffset;
    const offsets = { highWatermark, lastStableOffset, logStartOffset, logEndOffset };
    const lastFetchedEpoch = request.lastFetchedEpoch ?? -1;
    if (lastFetchedEpoch >= 0) {
      const end = this.log.leaderEpochCache.endOffsetFor(lastFetchedEpoch, logEndOffset);
      if (end.epoch < 0 || end.endOffset < 0n) {
        throw new OffsetOutOfRangeError(
          `cannot find the end offset of the last fetched epoch ${lastFetchedEpoch} in ${this.key}`,
        );
      }
      if (request.fetchOffset < logStartOffset) {
        throw new OffsetOutOfRangeError(
          `fetch offset ${request.fetchOffset} is below the log start offset ${logStartOffset} of ${this.key}`,
        );
      }
      if (end.epoch < lastFetchedEpoch || end.endOffset < request.fetchOffset) {
        return {
          records: Buffer.alloc(0),
          divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset },
          ...offsets,
        };
      }
    }
    const maxOffset =
      options.isolation === 'log-end' ? logEndOffset : this.endOffsetFor(options.isolation);
    const { records } = await this.log.read(request.fetchOffset, Math.max(0, options.maxBytes), {
      maxOffset,
      minOneBatch: options.minOneMessage,
      pool: options.pool,
    });
    return { records, divergingEpoch: null, ...offsets };
  }

  // ---- ListOffsets, OffsetForLeaderEpoch, DeleteRecords, DescribeProducers ----

  /**
   * Kafka's fetchOffsetForTimestamp. `isolation` is null for requests from brokers (they may
   * see up to the log end). Null result: no offset matches (answered as -1/-1).
   */
  async fetchOffsetForTimestamp(
    timestamp: bigint,
    isolation: IsolationLevelId | null,
    currentLeaderEpoch: number,
    fetchOnlyLeader: boolean,
  ): Promise<TimestampAndOffset | null> {
    this.checkLocalLog(currentLeaderEpoch, fetchOnlyLeader);
    const lastFetchable =
      isolation === null
        ? this.log.logEndOffset
        : isolation === IsolationLevel.ReadCommitted
          ? this.lastStableOffset
          : this.highWatermark;
    // A new leader whose high watermark has not caught up with its epoch start cannot
    // promise monotonic offsets yet.
    const notAvailable =
      isolation !== null && this.leaderEpochStartOffset > this.highWatermark
        ? new KafkaError(
            ErrorCode.OFFSET_NOT_AVAILABLE,
            `the high watermark of ${this.key} is behind the start of leader epoch ${this.leaderEpoch}`,
          )
        : null;
    const logStart = this.log.logStartOffset;
    switch (timestamp) {
      case ListOffsetsTimestamp.Latest:
        if (notAvailable) throw notAvailable;
        return { timestamp: -1n, offset: lastFetchable, leaderEpoch: this.leaderEpoch };
      case ListOffsetsTimestamp.Earliest: {
        const earliest = this.log.leaderEpochCache.all[0];
        const epoch = earliest && earliest.startOffset <= logStart ? earliest.epoch : -1;
        return { timestamp: -1n, offset: logStart, leaderEpoch: epoch };
      }
      case ListOffsetsTimestamp.EarliestLocal:
        // No tiered storage: the local log starts where the log starts.
        return { timestamp: -1n, offset: logStart, leaderEpoch: this.epochForOffset(logStart) };
      case ListOffsetsTimestamp.LatestTiered:
        // Nothing is tiered.
        return null;
      default: {
        const found =
          timestamp === ListOffsetsTimestamp.MaxTimestamp
            ? await this.log.offsetOfMaxTimestamp()
            : await this.log.offsetForTimestamp(timestamp);
        if (!found) return null;
        if (found.offset >= lastFetchable) {
          if (notAvailable) throw notAvailable;
          return null;
        }
        return { ...found, leaderEpoch: this.epochForOffset(found.offset) };
      }
    }
  }

  /** The leader epoch that wrote `offset`, -1 when unknown. */
  private epochForOffset(offset: bigint): number {
    let epoch = -1;
    for (const entry of this.log.leaderEpochCache.all) {
      if (entry.startOffset <= offset) epoch = entry.epoch;
      else break;
    }
    return epoch;
  }

  /** OffsetForLeaderEpoch: where `leaderEpoch` ends in this log (-1/-1 when unknown). */
  lastOffsetForLeaderEpoch(
    currentLeaderEpoch: number,
    leaderEpoch: number,
    fetchOnlyLeader: boolean,
  ): EpochEndOffsetInfo {
    this.checkLocalLog(currentLeaderEpoch, fetchOnlyLeader);
    const end = this.log.leaderEpochCache.endOffsetFor(leaderEpoch, this.log.logEndOffset);
    return { epoch: end.epoch, endOffset: end.endOffset };
  }

  /**
   * DeleteRecords on the leader: -1 means the high watermark; nothing at or above the high
   * watermark may be deleted (OFFSET_OUT_OF_RANGE); compact-only topics refuse
   * (POLICY_VIOLATION). Returns the low watermark.
   */
  async deleteRecordsOnLeader(offset: bigint): Promise<bigint> {
    this.checkLocalLog(-1, true);
    const policy = this.log.config.cleanupPolicy;
    if (!policy.includes('delete') && policy.includes('compact')) {
      fail(
        ErrorCode.POLICY_VIOLATION,
        `records of ${this.key} can not be deleted due to its cleanup.policy`,
      );
    }
    const target = offset === -1n ? this.highWatermark : offset;
    if (target < 0n)
      fail(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${target} is not valid for ${this.key}`);
    if (target > this.highWatermark) {
      fail(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `cannot move the log start offset of ${this.key} to ${target}, above the high watermark ${this.highWatermark}`,
      );
    }
    if (target > this.log.logStartOffset) {
      await this.log.deleteRecordsBefore(target);
      this.producerState.onLogStartOffsetIncremented(this.log.logStartOffset);
    }
    return this.lowWatermark();
  }

  /** The smallest log start offset over this replica and the followers known to it. */
  private lowWatermark(): bigint {
    let low = this.log.logStartOffset;
    for (const follower of this.followers.values()) {
      if (follower.logStartOffset >= 0n && follower.logStartOffset < low)
        low = follower.logStartOffset;
    }
    return low;
  }

  activeProducers(): ActiveProducer[] {
    return this.producerState.activeProducers();
  }

  /** Clean shutdown: appends settle, then a final producer snapshot at the log end. */
  async close(): Promise<void> {
    await this.appendTail;
    await this.snapshotProducerState();
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

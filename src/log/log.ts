import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatch, readBatches, TimestampType } from '../protocol/records/index.js';
import { completeInterruptedSwaps } from './cleaner/segment-swap.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import type { LogConfig } from './log-config.js';
import { LogSegment, type BatchPosition } from './log-segment.js';
import type { ReadBufferPool } from './read-buffer-pool.js';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  LOG_SUFFIX,
  parseOffsetFileName,
  segmentPaths,
} from './segment-files.js';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface LogLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const silentLogger: LogLogger = { info() {}, warn() {} };

export interface LogOptions {
  dir: string;
  config: LogConfig;
  /** Offset up to which the log is known to be on disk (from the checkpoint). */
  recoveryPoint?: bigint;
  logStartOffset?: bigint;
  /** The log dir had a clean-shutdown marker: no segment needs a rescan. */
  hadCleanShutdown?: boolean;
  clock?: Clock;
  logger?: LogLogger;
  /** Per-partition bytes of recent appends served from memory (default 1 MiB). */
  tailCacheBytes?: number;
  /** Told once when a write fails and the log takes itself offline (the log manager's hook). */
  onStorageError?: (error: Error) => void;
}

export interface AppendResult {
  firstOffset: bigint;
  lastOffset: bigint;
  /** Max timestamp of the appended batches and the offset carrying it. */
  maxTimestamp: bigint;
  offsetOfMaxTimestamp: bigint;
  /** The broker's time stamped on the batches under LogAppendTime, else -1. */
  logAppendTime: bigint;
  logStartOffset: bigint;
  bytes: number;
}

export interface LogReadResult {
  /** Whole batches, possibly ending with a partial one (as Kafka's fetch does). */
  records: Buffer;
  /** Base offset of the first batch returned, or -1 when nothing was read. */
  firstBatchOffset: bigint;
}

/** Errors with Kafka's error names, so handlers can map them to codes. */
export class OffsetOutOfRangeError extends Error {
  override readonly name = 'OffsetOutOfRangeError';
}

export class KafkaStorageError extends Error {
  override readonly name = 'KafkaStorageError';
}

interface PendingAppend {
  records: Buffer;
  assignOffsets: boolean;
  leaderEpoch: number;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

/**
 * A partition's log: ordered segments, the offsets that bound it, the leader epoch
 * cache, and the operations Kafka's UnifiedLog offers (append, read, truncate, delete
 * records, retention, flush).
 *
 * Appends made within one event-loop turn are committed together: offsets are assigned
 * in order, every batch is written to the active segment with one vectored write, and
 * then all of them resolve (group commit). Structural changes (roll, truncate, retention)
 * run one at a time on the same queue, so they never interleave with a commit.
 */
export class Log {
  readonly dir: string;
  config: LogConfig;
  segments: LogSegment[] = [];
  logStartOffset = 0n;
  /** Offset after the last batch written to the file. */
  logEndOffset = 0n;
  /** Every offset below it is fsynced. */
  recoveryPoint = 0n;
  lastFlushMs: number;
  readonly leaderEpochCache: LeaderEpochCache;
  private readonly clock: Clock;
  private readonly logger: LogLogger;
  private readonly tailCacheBytes: number;
  private readonly onStorageError?: (error: Error) => void;
  private pending: PendingAppend[] = [];
  private commitScheduled = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Operations in `queue` not yet settled. */
  private queued = 0;
  private readonly commit = () => this.commitPending();
  private readonly startCommit = () => {
    this.commitScheduled = false;
    void this.exclusive(this.commit);
  };
  private readonly dequeue = () => {
    this.queued--;
  };
  /** fsyncs of segments rolled away from, running beside new appends. */
  private rollFlushes: Promise<void> = Promise.resolve();
  private unflushedMessages = 0;
  private failure: Error | null = null;
  private closed = false;
  /** Segment roll jitter, drawn once per log as Kafka does. */
  private readonly rollJitterMs: number;

  private constructor(options: LogOptions, epochCache: LeaderEpochCache) {
    this.dir = options.dir;
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.tailCacheBytes = options.tailCacheBytes ?? 1024 * 1024;
    this.onStorageError = options.onStorageError;
    this.leaderEpochCache = epochCache;
    this.lastFlushMs = this.clock.now();
    this.rollJitterMs =
      options.config.segmentJitterMs > 0
        ? Math.floor(Math.random() * options.config.segmentJitterMs)
        : 0;
  }

  /** Opens (or creates) the log in `dir`, recovering segments past the recovery point. */
  static async open(options: LogOptions): Promise<Log> {
    const log = new Log(options, await LeaderEpochCache.load(options.dir));
    await log.load(options);
    return log;
  }

  private get segmentOptions() {
    return {
      indexIntervalBytes: this.config.indexIntervalBytes,
      maxIndexBytes: this.config.segmentIndexBytes,
      tailCacheBytes: this.tailCacheBytes,
    };
  }

  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1];
  }

  /** Bytes of all segments. */
  get size(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  private async load(options: LogOptions): Promise<void> {
    const now = this.clock.now();
    // A compaction's segment swap cut short by a crash: finish it, or drop it if it never
    // committed (see cleaner/segment-swap.ts). No *.swap file remains afterwards.
    const swappedIn = await completeInterruptedSwaps(this.dir);
    const names = await readdir(this.dir);
    const baseOffsets: bigint[] = [];
    for (const name of names) {
      const parsed = parseOffsetFileName(name);
      if (name.endsWith('.tmp') || name.endsWith(CLEANED_SUFFIX) || name.endsWith(DELETED_SUFFIX)) {
        // Leftovers of an interrupted checkpoint, compaction or deletion.
        await rm(join(this.dir, name), { force: true });
      } else if (parsed && parsed.suffix === LOG_SUFFIX) {
        baseOffsets.push(parsed.baseOffset);
      }
    }
    const unique = [...new Set(baseOffsets)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const recoveryPoint = options.hadCleanShutdown ? null : (options.recoveryPoint ?? 0n);
    let truncatedAt: bigint | null = null;
    /** Offsets below it belong to a compacted segment swapped in above. */
    let swappedUntil = -1n;
    for (const [i, baseOffset] of unique.entries()) {
      if (truncatedAt !== null) {
        // Everything after a corrupt tail is unreachable; Kafka deletes it too.
        this.logger.warn({ dir: this.dir, baseOffset }, 'deleting segment after a truncated one');
        for (const path of Object.values(segmentPaths(this.dir, baseOffset)))
          await rm(path, { force: true });
        continue;
      }
      if (baseOffset < swappedUntil) {
        // An old segment the swapped-in one replaced; the crash cut its deletion short.
        this.logger.info({ dir: this.dir, baseOffset }, 'deleting segment replaced by compaction');
        for (const path of Object.values(segmentPaths(this.dir, baseOffset)))
          await rm(path, { force: true });
        continue;
      }
      const { segment, indexesValid } = await LogSegment.open(
        this.dir,
        baseOffset,
        this.segmentOptions,
        now,
      );
      // As Kafka, decide by base offsets, not by the segment's nextOffset: that comes from
      // an unverified scan of the tail, which stale bytes past the recovery point can fool.
      // A segment may hold offsets >= the recovery point unless the next one starts at or
      // below it; the last segment always may.
      const nextBase = unique[i + 1];
      const pastRecoveryPoint =
        recoveryPoint !== null && (nextBase === undefined || nextBase > recoveryPoint);
      const needsRecovery = !indexesValid || pastRecoveryPoint;
      if (needsRecovery) {
        const started = performance.now();
        const result = await segment.recover(this.config.maxMessageBytes + 1024 * 1024);
        // Persist the rebuilt indexes now: flushes skip segments below the recovery point.
        await segment.writeIndexes();
        // Epochs are re-derived from the batches only past the recovery point, where every
        // later segment is recovered too; a segment below it (rebuilt for a broken index)
        // must not drop the epochs that start in the trusted segments after it.
        if (pastRecoveryPoint) this.leaderEpochCache.truncateFromEnd(baseOffset);
        for (const [epoch, offset] of result.epochs) this.leaderEpochCache.assign(epoch, offset);
        this.logger.info(
          {
            dir: this.dir,
            baseOffset: baseOffset.toString(),
            batches: result.batches,
            validBytes: result.validBytes,
            ms: Math.round(performance.now() - started),
            indexRebuilt: true,
          },
          'recovered segment',
        );
        if (result.truncatedBytes > 0) {
          this.logger.warn(
            {
              dir: this.dir,
              baseOffset: baseOffset.toString(),
              firstDroppedOffset: result.firstInvalidOffset?.toString(),
              droppedBytes: result.truncatedBytes,
            },
            'truncated a corrupt or torn segment tail',
          );
          truncatedAt = result.firstInvalidOffset;
        }
      }
      this.segments.push(segment);
      if (swappedIn.has(baseOffset)) swappedUntil = segment.nextOffset;
    }
    if (this.segments.length === 0) {
      const start = options.logStartOffset ?? 0n;
      this.segments.push(await LogSegment.create(this.dir, start, this.segmentOptions, now));
    }
    this.logEndOffset = this.activeSegment.nextOffset;
    this.leaderEpochCache.truncateFromEnd(this.logEndOffset);
    const firstBase = this.segments[0].baseOffset;
    this.logStartOffset =
      options.logStartOffset !== undefined && options.logStartOffset > firstBase
        ? options.logStartOffset
        : firstBase;
    if (this.logStartOffset > this.logEndOffset) this.logStartOffset = this.logEndOffset;
    this.recoveryPoint =
      truncatedAt ?? (options.hadCleanShutdown ? this.logEndOffset : (options.recoveryPoint ?? 0n));
    if (this.recoveryPoint > this.logEndOffset) this.recoveryPoint = this.logEndOffset;
    await this.leaderEpochCache.flush();
  }

  /** Runs `op` after every queued commit and structural change. */
  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    // With nothing queued, `op` starts at once rather than a microtask later.
    const idle = this.queued === 0;
    this.queued++;
    const run = idle ? startNow(op) : this.queue.then(op);
    this.queue = run.then(this.dequeue, this.dequeue);
    return run;
  }

  /** Like `exclusive`, once the background fsyncs of rolled segments are done too. */
  private structural<T>(op: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.rollFlushes;
      return op();
    });
  }

  private checkUsable(): void {
    if (this.failure)
      throw new KafkaStorageError(`log ${this.dir} is offline: ${this.failure.message}`);
    if (this.closed) throw new KafkaStorageError(`log ${this.dir} is closed`);
  }

  /**
   * Appends batches as the leader: assigns offsets from the log end, stamps the leader
   * epoch and, under LogAppendTime, the broker's time. The batches must already be
   * validated (CRC, sizes); they are patched in place.
   */
  appendAsLeader(records: Buffer, leaderEpoch: number): Promise<AppendResult> {
    return this.enqueueAppend(records, true, leaderEpoch);
  }

  /** Appends batches that already carry their offsets (replication). */
  appendAsFollower(records: Buffer): Promise<AppendResult> {
    return this.enqueueAppend(records, false, -1);
  }

  private enqueueAppend(
    records: Buffer,
    assignOffsets: boolean,
    leaderEpoch: number,
  ): Promise<AppendResult> {
    try {
      this.checkUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ records, assignOffsets, leaderEpoch, resolve, reject });
      if (!this.commitScheduled) {
        this.commitScheduled = true;
        setImmediate(this.startCommit);
      }
    });
  }

  /** Group commit: assigns offsets to every pending append and writes them together. */
  private async commitPending(): Promise<void> {
    const appends = this.pending;
    this.pending = [];
    if (appends.length === 0) return;
    if (this.failure || this.closed) {
      const err = new KafkaStorageError(`log ${this.dir} is offline`);
      for (const a of appends) a.reject(err);
      return;
    }
    const results: (AppendResult | null)[] = [];
    let writeSegment = this.activeSegment;
    let writePosition = writeSegment.size;
    let buffers: Buffer[] = [];
    let messages = 0;
    const flushBuffers = () => {
      const writing = buffers.length > 0 ? writeSegment.write(writePosition, buffers) : undefined;
      buffers = [];
      return writing;
    };
    const now = this.clock.now();
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime' ? BigInt(now) : -1n;
    try {
      for (const append of appends) {
        let batches: RecordBatch[];
        try {
          batches = readBatches(append.records);
          if (batches.length === 0) throw new RangeError('no record batches to append');
          if (!append.assignOffsets) this.checkFollowerOffsets(batches);
        } catch (err) {
          append.reject(err);
          results.push(null);
          continue;
        }
        const result: AppendResult = {
          firstOffset: -1n,
          lastOffset: -1n,
          maxTimestamp: -1n,
          offsetOfMaxTimestamp: -1n,
          logAppendTime,
          logStartOffset: this.logStartOffset,
          bytes: 0,
        };
        for (const batch of batches) {
          // Header fields are read once: each int64 read allocates a BigInt.
          const baseOffset = append.assignOffsets
            ? this.activeSegment.nextOffset
            : batch.baseOffset;
          if (append.assignOffsets) {
            batch.setBaseOffset(baseOffset);
            batch.setPartitionLeaderEpoch(append.leaderEpoch);
            if (logAppendTime >= 0n)
              batch.setMaxTimestamp(logAppendTime, TimestampType.LogAppendTime);
          }
          const size = batch.sizeInBytes;
          const lastOffset = baseOffset + BigInt(batch.lastOffsetDelta);
          const maxTimestamp = batch.maxTimestamp;
          if (
            this.activeSegment.shouldRoll(
              size,
              lastOffset,
              maxTimestamp,
              this.config.segmentBytes,
              this.config.segmentMs - this.rollJitterMs,
              now,
            )
          ) {
            await flushBuffers();
            await this.rollSegment(baseOffset);
            writeSegment = this.activeSegment;
            writePosition = writeSegment.size;
          }
          this.activeSegment.registerAppend(size, lastOffset, maxTimestamp);
          buffers.push(batch.bytes);
          if (result.firstOffset < 0n) result.firstOffset = baseOffset;
          result.lastOffset = lastOffset;
          if (maxTimestamp > result.maxTimestamp) {
            result.maxTimestamp = maxTimestamp;
            result.offsetOfMaxTimestamp = lastOffset;
          }
          result.bytes += size;
          messages += batch.recordCount;
          this.leaderEpochCache.assign(batch.partitionLeaderEpoch, baseOffset);
        }
        results.push(result);
      }
      const writing = flushBuffers();
      if (writing) await writing;
      this.logEndOffset = this.activeSegment.nextOffset;
      this.unflushedMessages += messages;
      if (this.leaderEpochCache.hasUnwrittenChanges) await this.leaderEpochCache.flush();
      // flush.messages: the fsync happens before the appends are acknowledged.
      if (this.unflushedMessages >= this.config.flushMessages) await this.flushNow();
    } catch (err) {
      this.markFailed(err as Error);
      for (const a of appends)
        a.reject(new KafkaStorageError(`append to ${this.dir} failed: ${(err as Error).message}`));
      return;
    }
    appends.forEach((a, i) => {
      const r = results[i];
      if (r) a.resolve(r);
    });
  }

  private checkFollowerOffsets(batches: RecordBatch[]): void {
    let next = this.activeSegment.nextOffset;
    for (const batch of batches) {
      if (batch.baseOffset < next) {
        throw new RangeError(
          `batch offset ${batch.baseOffset} is below the log end offset ${next}`,
        );
      }
      next = batch.lastOffset + 1n;
    }
  }

  private markFailed(err: Error): void {
    if (!this.failure) {
      this.failure = err;
      this.logger.warn(
        { dir: this.dir, error: err.message },
        'log taken offline after a storage error',
      );
      this.onStorageError?.(err);
    }
  }

  get isOffline(): boolean {
    return this.failure !== null;
  }

  /** Starts a new active segment at `baseOffset` (called inside the queue). */
  private async rollSegment(baseOffset: bigint): Promise<void> {
    const previous = this.activeSegment;
    if (previous.isEmpty && previous.baseOffset === baseOffset) return;
    previous.seal();
    const next = await LogSegment.create(
      this.dir,
      baseOffset,
      this.segmentOptions,
      this.clock.now(),
    );
    this.segments.push(next);
    // As Kafka, the finished segment is fsynced in the background while appends go on;
    // once it is, its data is recoverable without a scan.
    const upTo = previous.nextOffset;
    this.rollFlushes = this.rollFlushes
      .then(async () => {
        await this.leaderEpochCache.flush();
        await previous.flush();
        if (upTo > this.recoveryPoint && upTo <= this.logEndOffset) this.recoveryPoint = upTo;
      })
      .catch((err: Error) => this.markFailed(err));
    this.logger.info({ dir: this.dir, baseOffset: baseOffset.toString() }, 'rolled segment');
  }

  /** Forces a new segment (e.g. for tests and admin operations). */
  roll(): Promise<void> {
    return this.exclusive(async () => {
      if (!this.activeSegment.isEmpty) await this.rollSegment(this.logEndOffset);
    }).then(() => this.rollFlushes);
  }

  /** fsyncs everything written, moving the recovery point to the log end. */
  flush(): Promise<void> {
    return this.exclusive(() => this.flushNow());
  }

  private async flushNow(): Promise<void> {
    await this.rollFlushes;
    for (const segment of this.segments) {
      if (segment.nextOffset > this.recoveryPoint || segment === this.activeSegment)
        await segment.flush();
    }
    this.recoveryPoint = this.logEndOffset;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.clock.now();
  }

  /** flush.ms: called periodically by the log manager. */
  async flushIfDue(): Promise<void> {
    if (
      this.recoveryPoint < this.logEndOffset &&
      this.clock.now() - this.lastFlushMs >= this.config.flushMs
    ) {
      await this.flush();
    }
  }

  private segmentFor(offset: bigint): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid].baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * Reads from `startOffset`: whole batches up to `maxBytes` (at least the first batch
   * when `minOneBatch`), never past `maxOffset` (exclusive; the log end by default). With a
   * `pool`, the records may be pool memory: release them to it once nothing uses them.
   */
  async read(
    startOffset: bigint,
    maxBytes: number,
    options: { maxOffset?: bigint; minOneBatch?: boolean; pool?: ReadBufferPool } = {},
  ): Promise<LogReadResult> {
    this.checkUsable();
    const maxOffset = options.maxOffset ?? this.logEndOffset;
    const minOneBatch = options.minOneBatch ?? true;
    if (startOffset < this.logStartOffset || startOffset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(
        `offset ${startOffset} is outside [${this.logStartOffset}, ${this.logEndOffset}] of ${this.dir}`,
      );
    }
    const empty: LogReadResult = { records: Buffer.alloc(0), firstBatchOffset: -1n };
    if (startOffset >= maxOffset) return empty;
    for (let i = Math.max(0, this.segmentFor(startOffset)); i < this.segments.length; i++) {
      const segment = this.segments[i];
      const limit =
        maxOffset >= segment.nextOffset
          ? segment.writtenSize
          : await this.positionLimit(segment, maxOffset);
      const result = await segment.readFrom(
        startOffset,
        maxBytes,
        limit,
        minOneBatch,
        options.pool,
      );
      if (result) return result;
    }
    return empty;
  }

  /** File position in `segment` where batches at or beyond `maxOffset` begin. */
  private async positionLimit(segment: LogSegment, maxOffset: bigint): Promise<number> {
    if (maxOffset >= segment.nextOffset) return segment.writtenSize;
    // Batches are not split: the one holding maxOffset is the first one not returned.
    const batch = await segment.translateOffset(maxOffset);
    return batch ? batch.position : segment.writtenSize;
  }

  /**
   * ListOffsets by time: the first offset whose batch max timestamp is >= `timestamp`,
   * with that timestamp; null when none.
   */
  async offsetForTimestamp(
    timestamp: bigint,
  ): Promise<{ offset: bigint; timestamp: bigint } | null> {
    for (const segment of this.segments) {
      if (segment.maxTimestampSoFar < timestamp && segment !== this.activeSegment) continue;
      let from = this.logStartOffset;
      for (;;) {
        const batch = await segment.findBatchByTimestamp(timestamp, from);
        if (!batch) break;
        const found = await this.recordOffsetAtTime(segment, batch, timestamp);
        if (found) return found;
        // Its late records lie below the log start offset: search on, as Kafka does.
        from = batch.lastOffset + 1n;
      }
    }
    return null;
  }

  /** Within a batch, the first record whose timestamp is >= `timestamp`. */
  private async recordOffsetAtTime(
    segment: LogSegment,
    position: BatchPosition,
    timestamp: bigint,
  ): Promise<{ offset: bigint; timestamp: bigint } | null> {
    const view = RecordBatch.at(await segment.read(position.position, position.size));
    if (view.timestampType === TimestampType.LogAppendTime) {
      return {
        offset: view.baseOffset > this.logStartOffset ? view.baseOffset : this.logStartOffset,
        timestamp: view.maxTimestamp,
      };
    }
    for await (const record of view.recordsAsync()) {
      if (record.timestamp >= timestamp && record.offset >= this.logStartOffset) {
        return { offset: record.offset, timestamp: record.timestamp };
      }
    }
    return null;
  }

  /** The batch with the largest timestamp (ListOffsets MAX_TIMESTAMP, -3). */
  async offsetOfMaxTimestamp(): Promise<{ offset: bigint; timestamp: bigint } | null> {
    let best: { offset: bigint; timestamp: bigint } | null = null;
    let bestSegment: LogSegment | null = null;
    for (const segment of this.segments) {
      if (segment.isEmpty) continue;
      if (!best || segment.maxTimestampSoFar > best.timestamp) {
        best = { offset: segment.offsetOfMaxTimestampSoFar, timestamp: segment.maxTimestampSoFar };
        bestSegment = segment;
      }
    }
    if (!best || !bestSegment) return best;
    // The time index knows the batch (by its last offset); Kafka answers with the first
    // record in it that carries the max timestamp.
    const position = await bestSegment.translateOffset(best.offset);
    if (!position) return best;
    const view = RecordBatch.at(await bestSegment.read(position.position, position.size));
    for await (const record of view.recordsAsync()) {
      if (record.timestamp === best.timestamp)
        return { offset: record.offset, timestamp: best.timestamp };
    }
    return best;
  }

  /** Removes every batch with offsets >= `offset` (replication divergence). */
  truncateTo(offset: bigint): Promise<void> {
    return this.structural(async () => {
      if (offset >= this.logEndOffset) return;
      if (offset <= this.segments[0].baseOffset) {
        await this.resetTo(offset);
        return;
      }
      while (this.segments.length > 1 && this.activeSegment.baseOffset >= offset) {
        const dropped = this.segments.pop()!;
        await dropped.deleteFiles();
      }
      await this.activeSegment.truncateTo(offset);
      this.logEndOffset = this.activeSegment.nextOffset;
      if (this.recoveryPoint > this.logEndOffset) this.recoveryPoint = this.logEndOffset;
      // As Kafka (logStartOffset = min(target, logStartOffset)): a truncation below it moves it.
      if (this.logStartOffset > this.logEndOffset) this.logStartOffset = this.logEndOffset;
      this.leaderEpochCache.truncateFromEnd(this.logEndOffset);
      await this.leaderEpochCache.flush();
      this.logger.info({ dir: this.dir, offset: offset.toString() }, 'truncated log');
    });
  }

  /** Drops the whole log and starts empty at `offset`. */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.structural(() => this.resetTo(offset));
  }

  private async resetTo(offset: bigint): Promise<void> {
    for (const s of this.segments) await s.deleteFiles();
    this.segments = [
      await LogSegment.create(this.dir, offset, this.segmentOptions, this.clock.now()),
    ];
    this.logStartOffset = offset;
    this.logEndOffset = offset;
    this.recoveryPoint = offset;
    this.leaderEpochCache.truncateFromEnd(-1n);
    await this.leaderEpochCache.flush();
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` and deletes the segments
   * that lie wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.structural(async () => {
      if (offset > this.logEndOffset) {
        throw new OffsetOutOfRangeError(
          `offset ${offset} is beyond the log end ${this.logEndOffset}`,
        );
      }
      if (offset > this.logStartOffset) {
        this.logStartOffset = offset;
        this.leaderEpochCache.truncateFromStart(offset);
        await this.leaderEpochCache.flush();
      }
      await this.deleteSegmentsWhile(
        (segment, next) => next !== undefined && next.baseOffset <= this.logStartOffset,
      );
      return this.logStartOffset;
    });
  }

  /**
   * Deletes old segments from the front while `shouldDelete` says so; never the active
   * one. Files are renamed *.deleted and removed after file.delete.delay.ms, so readers
   * that already hold the segment finish their read.
   */
  private async deleteSegmentsWhile(
    shouldDelete: (segment: LogSegment, next: LogSegment | undefined) => boolean,
  ): Promise<number> {
    let deleted = 0;
    while (this.segments.length > 1 && shouldDelete(this.segments[0], this.segments[1])) {
      const segment = this.segments.shift()!;
      deleted++;
      await this.scheduleSegmentDeletion(segment);
    }
    if (deleted > 0) {
      const newStart = this.segments[0].baseOffset;
      if (newStart > this.logStartOffset) {
        this.logStartOffset = newStart;
        this.leaderEpochCache.truncateFromStart(newStart);
        await this.leaderEpochCache.flush();
      }
    }
    return deleted;
  }

  private async scheduleSegmentDeletion(segment: LogSegment): Promise<void> {
    const renamed: string[] = [];
    for (const path of Object.values(segment.paths)) {
      try {
        await rename(path, `${path}${DELETED_SUFFIX}`);
        renamed.push(`${path}${DELETED_SUFFIX}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const remove = async () => {
      await segment.close();
      for (const path of renamed) await rm(path, { force: true });
    };
    if (this.config.fileDeleteDelayMs <= 0) await remove();
    else
      setTimeout(() => void remove().catch(() => undefined), this.config.fileDeleteDelayMs).unref();
    this.logger.info(
      { dir: this.dir, baseOffset: segment.baseOffset.toString() },
      'scheduled segment deletion',
    );
  }

  /**
   * Retention (cleanup.policy=delete): removes whole segments past retention.ms (by their
   * largest timestamp) or beyond retention.bytes, oldest first, never the active one.
   */
  deleteRetainedSegments(): Promise<number> {
    return this.structural(async () => {
      if (!this.config.cleanupPolicy.includes('delete')) return 0;
      const now = this.clock.now();
      let deleted = 0;
      if (this.config.retentionMs >= 0) {
        const retentionMs = BigInt(Math.min(this.config.retentionMs, Number.MAX_SAFE_INTEGER));
        deleted += await this.deleteSegmentsWhile(
          (segment) => !segment.isEmpty && BigInt(now) - segment.maxTimestampSoFar > retentionMs,
        );
      }
      if (this.config.retentionBytes >= 0) {
        let excess = this.size - this.config.retentionBytes;
        deleted += await this.deleteSegmentsWhile((segment) => {
          if (excess - segment.size < 0) return false;
          excess -= segment.size;
          return true;
        });
      }
      return deleted;
    });
  }

  /**
   * Swaps compacted segments in place of `replaced` (called by the cleaner inside the
   * queue via `withExclusive`).
   */
  replaceSegments(replaced: readonly LogSegment[], replacements: readonly LogSegment[]): void {
    const first = this.segments.indexOf(replaced[0]);
    if (first < 0) throw new Error('segments to replace are no longer part of the log');
    this.segments.splice(first, replaced.length, ...replacements);
  }

  /** Runs `op` exclusively with respect to appends and other structural changes. */
  withExclusive<T>(op: () => Promise<T>): Promise<T> {
    return this.structural(op);
  }

  /** Flushes, writes indexes and closes files (clean shutdown). */
  close(): Promise<void> {
    return this.structural(async () => {
      if (this.closed) return;
      if (!this.failure) {
        this.activeSegment.timeIndex.maybeAppend(
          this.activeSegment.maxTimestampSoFar,
          this.activeSegment.offsetOfMaxTimestampSoFar,
        );
        await this.flushNow();
        await this.leaderEpochCache.flush();
      }
      this.closed = true;
      for (const s of this.segments) await s.close();
    });
  }

  /** Closes files without flushing (the log dir is failing or the log is being deleted). */
  async closeHandles(): Promise<void> {
    this.closed = true;
    // A background fsync of a rolled segment still writes its index files: let it end.
    await this.rollFlushes;
    for (const s of this.segments) await s.close();
  }
}

/** `op()`, with a synchronous throw turned into a rejection. */
function startNow<T>(op: () => Promise<T>): Promise<T> {
  try {
    return op();
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

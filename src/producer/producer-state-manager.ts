import type { Clock, Log } from '../log/log.js';
import type { ProducerEntry } from '../protocol/messages/generated/producer-snapshot.js';
import {
  readEndTransactionMarker,
  scanBatches,
  type RecordBatch,
} from '../protocol/records/index.js';
import {
  checkClientBatch,
  type ProducerAppendCheck,
  type ProducerBatchInfo,
} from './producer-append-check.js';
import {
  CorruptSnapshotError,
  deleteSnapshotFile,
  listSnapshotOffsets,
  readSnapshotFile,
  writeSnapshotFile,
} from './producer-snapshot-file.js';
import { BatchMetadata, ProducerStateEntry } from './producer-state-entry.js';

/** producer.id.expiration.ms: Kafka's default, one day. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000;
/** Bytes read per step when rebuilding state from the log. */
const REBUILD_READ_BYTES = 1024 * 1024;

export interface ProducerStateLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const silentLogger: ProducerStateLogger = { info() {}, warn() {} };

export interface ProducerStateManagerOptions {
  /** The partition dir, where `<offset>.snapshot` files live. */
  dir: string;
  clock: Clock;
  producerIdExpirationMs?: number;
  /** Snapshot files kept on disk (the newest ones). */
  snapshotsToKeep?: number;
  logger?: ProducerStateLogger;
}

/** One producer as DescribeProducers reports it. */
export interface ActiveProducer {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  /** First offset of the open transaction, -1 when none. */
  currentTxnStartOffset: bigint;
}

/** The fields of an appended batch the state records. */
export interface AppendedBatchInfo extends ProducerBatchInfo {
  lastOffsetDelta: number;
  maxTimestamp: bigint;
  isTransactional: boolean;
}

/** A snapshot whose contents were taken; written once the log holds everything below `offset`. */
export interface PendingSnapshot {
  offset: bigint;
  entries: ProducerEntry[];
}

/**
 * Idempotent producer state of one partition (Kafka's ProducerStateManager): per producer id
 * the epoch and the last five batches, checked on every client append; snapshots of it in
 * Kafka's file format; and the rebuild at startup from the latest snapshot plus a scan of the
 * log after it, so a restart keeps recognising retried batches.
 *
 * The state may run ahead of the log: the partition records a batch when it hands it to the
 * log (offsets are predicted, see Partition), so the next request from the same producer is
 * checked against it without waiting for the write. `mapEndOffset` is the offset the state
 * covers up to, exclusive.
 */
export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerStateEntry>();
  private lastMapOffset = 0n;
  private lastSnapOffset = 0n;
  private snapshotOffsets: bigint[] = [];
  private snapshotWrites: Promise<void> = Promise.resolve();
  private readonly dir: string;
  private readonly clock: Clock;
  private readonly expirationMs: bigint;
  private readonly snapshotsToKeep: number;
  private readonly logger: ProducerStateLogger;

  constructor(options: ProducerStateManagerOptions) {
    this.dir = options.dir;
    this.clock = options.clock;
    this.expirationMs = BigInt(options.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS);
    this.snapshotsToKeep = Math.max(1, options.snapshotsToKeep ?? 2);
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Loads the state of `log`: the newest readable snapshot at or below its end (newer ones
   * and ones below the log start are stale and deleted, as Kafka's truncateAndReload does;
   * Kafka also drops one exactly at the log start, which still describes valid state), then
   * every batch after it; ends by writing a snapshot at the log end if anything was scanned.
   */
  static async load(options: ProducerStateManagerOptions, log: Log): Promise<ProducerStateManager> {
    const manager = new ProducerStateManager(options);
    await manager.loadFrom(log);
    return manager;
  }

  private async loadFrom(log: Log): Promise<void> {
    const logStart = log.logStartOffset;
    const logEnd = log.logEndOffset;
    const kept: bigint[] = [];
    for (const offset of await listSnapshotOffsets(this.dir)) {
      if (offset > logEnd || offset < logStart) {
        await deleteSnapshotFile(this.dir, offset);
      } else {
        kept.push(offset);
      }
    }
    this.snapshotOffsets = kept;
    this.lastMapOffset = logStart;
    this.lastSnapOffset = logStart;
    while (this.snapshotOffsets.length > 0) {
      const offset = this.snapshotOffsets[this.snapshotOffsets.length - 1];
      try {
        const entries = await readSnapshotFile(this.dir, offset);
        const now = BigInt(this.clock.now());
        for (const e of entries) this.loadSnapshotEntry(e, now);
        this.lastMapOffset = offset;
        this.lastSnapOffset = offset;
        this.logger.info(
          { dir: this.dir, offset: offset.toString(), producers: this.producers.size },
          'loaded producer state snapshot',
        );
        break;
      } catch (err) {
        if (!(err instanceof CorruptSnapshotError)) throw err;
        this.logger.warn(
          { dir: this.dir, offset: offset.toString(), error: err.message },
          'deleting unreadable producer snapshot',
        );
        this.snapshotOffsets.pop();
        await deleteSnapshotFile(this.dir, offset);
      }
    }
    if (logEnd > this.lastMapOffset) {
      const scanned = await this.rebuildFromLog(log, this.lastMapOffset, logEnd);
      this.logger.info(
        {
          dir: this.dir,
          from: this.lastMapOffset.toString(),
          to: logEnd.toString(),
          batches: scanned,
        },
        'rebuilt producer state from the log',
      );
    }
    this.lastMapOffset = logEnd;
    await this.takeSnapshot();
  }

  private loadSnapshotEntry(e: ProducerEntry, now: bigint): void {
    const entry = new ProducerStateEntry(
      e.producerId,
      e.epoch,
      e.coordinatorEpoch,
      e.timestamp,
      e.currentTxnFirstOffset,
    );
    if (this.isExpired(entry, now)) return;
    if (e.lastOffset >= 0n) {
      entry.batches.push(
        new BatchMetadata(e.lastSequence, e.lastOffset, e.offsetDelta, e.timestamp),
      );
    }
    this.producers.set(e.producerId, entry);
  }

  /** Replays the batches in [from, to) without checks, as Kafka does for replicated data. */
  private async rebuildFromLog(log: Log, from: bigint, to: bigint): Promise<number> {
    let offset = from < log.logStartOffset ? log.logStartOffset : from;
    let batches = 0;
    while (offset < to) {
      const { records } = await log.read(offset, REBUILD_READ_BYTES, {
        maxOffset: to,
        minOneBatch: true,
      });
      const scan = scanBatches(records);
      if (scan.batches.length === 0) break;
      for (const batch of scan.batches) {
        if (batch.lastOffset < offset) continue;
        if (batch.hasProducerId) {
          await this.replayBatch(batch);
          batches++;
        }
      }
      offset = scan.batches[scan.batches.length - 1].nextOffset;
    }
    return batches;
  }

  private async replayBatch(batch: RecordBatch): Promise<void> {
    const entry = this.entryFor(batch.producerId);
    if (batch.isControl) {
      // A transaction marker ends the producer's transaction (written by a coordinator).
      let coordinatorEpoch = entry.coordinatorEpoch;
      let timestamp = batch.maxTimestamp;
      try {
        for await (const record of batch.recordsAsync()) {
          coordinatorEpoch = readEndTransactionMarker(record).coordinatorEpoch;
          timestamp = record.timestamp;
          break;
        }
      } catch (err) {
        this.logger.warn(
          { dir: this.dir, offset: batch.baseOffset.toString(), error: (err as Error).message },
          'ignoring an unreadable transaction marker while rebuilding producer state',
        );
      }
      entry.updateEpoch(batch.producerEpoch);
      entry.coordinatorEpoch = coordinatorEpoch;
      entry.currentTxnFirstOffset = -1n;
      entry.lastTimestamp = timestamp;
      return;
    }
    this.addBatch(entry, batch, batch.baseOffset, batch.maxTimestamp);
  }

  private entryFor(producerId: bigint): ProducerStateEntry {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = new ProducerStateEntry(producerId);
      this.producers.set(producerId, entry);
    }
    return entry;
  }

  private addBatch(
    entry: ProducerStateEntry,
    batch: AppendedBatchInfo,
    firstOffset: bigint,
    timestamp: bigint,
  ): BatchMetadata {
    const metadata = new BatchMetadata(
      batch.lastSequence,
      firstOffset + BigInt(batch.lastOffsetDelta),
      batch.lastOffsetDelta,
      timestamp,
    );
    entry.addBatch(batch.producerEpoch, metadata);
    if (batch.isTransactional && entry.currentTxnFirstOffset < 0n) {
      entry.currentTxnFirstOffset = firstOffset;
    }
    return metadata;
  }

  // ---- the append path ----

  /** Checks a client's idempotent batch against the producer's state; changes nothing. */
  checkClientBatch(batch: ProducerBatchInfo): ProducerAppendCheck {
    return checkClientBatch(this.producers.get(batch.producerId), batch);
  }

  /** Records a batch handed to the log at `firstOffset`; returns its metadata for fix-ups. */
  recordAppend(batch: AppendedBatchInfo, firstOffset: bigint): BatchMetadata {
    return this.addBatch(this.entryFor(batch.producerId), batch, firstOffset, batch.maxTimestamp);
  }

  /** The state now covers the log up to `offset` (exclusive). */
  updateMapEndOffset(offset: bigint): void {
    this.lastMapOffset = offset;
  }

  get mapEndOffset(): bigint {
    return this.lastMapOffset;
  }

  get producerCount(): number {
    return this.producers.size;
  }

  lastEntry(producerId: bigint): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  activeProducers(): ActiveProducer[] {
    return [...this.producers.values()].map((e) => ({
      producerId: e.producerId,
      producerEpoch: e.producerEpoch,
      lastSequence: e.lastSeq,
      lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.currentTxnFirstOffset,
    }));
  }

  private isExpired(entry: ProducerStateEntry, now: bigint): boolean {
    return entry.currentTxnFirstOffset < 0n && now - entry.lastTimestamp >= this.expirationMs;
  }

  /** Forgets producers idle for producer.id.expiration.ms (by their last batch's timestamp, as Kafka). */
  removeExpiredProducers(nowMs: number = this.clock.now()): number {
    const now = BigInt(nowMs);
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (this.isExpired(entry, now)) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /** DeleteRecords or retention moved the log start: the state covers at least from there. */
  onLogStartOffsetIncremented(logStartOffset: bigint): void {
    if (this.lastMapOffset < logStartOffset) this.lastMapOffset = logStartOffset;
  }

  // ---- snapshots ----

  /**
   * Captures the state for a snapshot at `mapEndOffset`, or null when the last snapshot is
   * already there. The caller writes it once the log holds every offset below it.
   */
  prepareSnapshot(): PendingSnapshot | null {
    if (this.lastMapOffset <= this.lastSnapOffset) return null;
    this.lastSnapOffset = this.lastMapOffset;
    const entries: ProducerEntry[] = [...this.producers.values()].map((e) => ({
      producerId: e.producerId,
      epoch: e.producerEpoch,
      lastSequence: e.lastSeq,
      lastOffset: e.lastDataOffset,
      offsetDelta: e.lastOffsetDelta,
      timestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnFirstOffset: e.currentTxnFirstOffset,
    }));
    return { offset: this.lastMapOffset, entries };
  }

  /** Writes a prepared snapshot and drops all but the newest files; writes never overlap. */
  writeSnapshot(snapshot: PendingSnapshot): Promise<void> {
    const write = this.snapshotWrites.then(async () => {
      await writeSnapshotFile(this.dir, snapshot.offset, snapshot.entries);
      if (!this.snapshotOffsets.includes(snapshot.offset)) {
        this.snapshotOffsets.push(snapshot.offset);
        this.snapshotOffsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      }
      while (this.snapshotOffsets.length > this.snapshotsToKeep) {
        const oldest = this.snapshotOffsets.shift()!;
        await deleteSnapshotFile(this.dir, oldest);
      }
    });
    this.snapshotWrites = write.catch(() => undefined);
    return write;
  }

  /** Snapshot now; only valid when no append is ahead of the log. */
  async takeSnapshot(): Promise<void> {
    const snapshot = this.prepareSnapshot();
    if (snapshot) await this.writeSnapshot(snapshot);
  }

  /** Offsets of the snapshot files on disk, ascending. */
  get snapshots(): readonly bigint[] {
    return this.snapshotOffsets;
  }
}

import { RecordBatch, RECORD_BATCH_HEADER_SIZE } from '../../protocol/records/index.js';
import type { Log } from '../log.js';
import { LogSegment } from '../log-segment.js';
import { filterBatch, emptyCleanerStats, type CleanerStats } from './batch-filter.js';
import { CleanedSegmentWriter } from './cleaned-segment-writer.js';
import { CleanedTransactions } from './cleaned-transactions.js';
import { millis, uncleanableSegmentBase, type LogToClean } from './cleanable.js';
import type { CleanerConfig } from './cleaner-config.js';
import { OffsetMap } from './offset-map.js';
import { CleaningAbortedError, Pacer } from './pacer.js';
import { readSegmentBatches } from './segment-batches.js';
import {
  commitCleanedSegment,
  discardCleanedSegment,
  installSwappedSegment,
  retireSegments,
} from './segment-swap.js';
import {
  controlRecordTypeOf,
  scanTransactionState,
  type AbortedTransaction,
  type ProducerLastBatch,
} from './transaction-scan.js';

const INT32_MAX = 0x7fffffffn;

export interface CleanResult {
  /** First offset left dirty: the log's new cleaner checkpoint; null when nothing was cleaned. */
  endOffset: bigint | null;
  /** Offset where the oldest open transaction starts (cleaning stops before its segment). */
  firstUnstableOffset: bigint | null;
  /** The log end offset when the log was scanned, for caching `firstUnstableOffset`. */
  scannedLogEndOffset: bigint;
  segmentsCleaned: number;
  groups: number;
  stats: CleanerStats;
}

/** What a cleaned group's old segments looked like, to notice changes before the swap. */
interface SegmentFingerprint {
  segment: LogSegment;
  size: number;
  nextOffset: bigint;
  /** The segment's last batch: its header (which holds its CRC) and size. */
  lastHeader: Buffer | null;
  lastBatchSize: number;
}

/**
 * Cleans one log (Kafka's Cleaner): maps the latest offset of every key in the dirty
 * range, then rewrites the log from its start through what the map covers, a group of
 * segments at a time, each group swapped in for the segments it replaces.
 */
export class Cleaner {
  private offsetMap: OffsetMap | null = null;

  constructor(private readonly config: CleanerConfig) {
    const slots = Math.floor(config.dedupeBufferBytes / OffsetMap.bytesPerEntry);
    if (slots * config.dedupeBufferLoadFactor < 1) {
      throw new RangeError(
        'the dedupe buffer cannot hold a single key; raise log.cleaner.dedupe.buffer.size',
      );
    }
  }

  /** Allocated on first use, then reused: it is the cleaner's one big buffer. */
  private map(): OffsetMap {
    this.offsetMap ??= new OffsetMap(this.config.dedupeBufferBytes);
    this.offsetMap.clear();
    return this.offsetMap;
  }

  async clean(
    target: LogToClean,
    now: number,
    checkAborted: () => void = () => {},
  ): Promise<CleanResult> {
    const log = target.log;
    const pacer = new Pacer(this.config.yieldEveryBytes, checkAborted);
    const stats = emptyCleanerStats();
    const scannedLogEndOffset = log.logEndOffset;
    const transactions = await scanTransactionState(
      [...log.segments],
      this.config.ioBufferBytes,
      pacer,
    );
    let upperBound = target.firstUncleanableOffset;
    if (transactions.firstUnstableOffset !== null) {
      const unstableSegment = uncleanableSegmentBase(log, transactions.firstUnstableOffset);
      if (unstableSegment < upperBound) upperBound = unstableSegment;
    }
    const result: CleanResult = {
      endOffset: null,
      firstUnstableOffset: transactions.firstUnstableOffset,
      scannedLogEndOffset,
      segmentsCleaned: 0,
      groups: 0,
      stats,
    };
    if (upperBound <= target.firstDirtyOffset) return result;

    const map = this.map();
    await this.buildOffsetMap(
      log,
      target.firstDirtyOffset,
      upperBound,
      transactions.abortedTransactions,
      map,
      stats,
      pacer,
    );
    const endOffset = map.latestOffset + 1n;

    const context = {
      offsetMap: map,
      transactions: new CleanedTransactions(transactions.abortedTransactions),
      lastBatchOfProducers: activeProducers(
        transactions.lastBatchOfProducers,
        now,
        this.config.producerIdExpirationMs,
      ),
      upperBoundOffset: upperBound,
      now: BigInt(now),
      deleteRetentionMs: millis(Math.max(log.config.deleteRetentionMs, 0)),
      stats,
    };
    const toClean = log.segments.filter(
      (segment) => segment.baseOffset < endOffset && segment !== log.activeSegment,
    );
    const groups = groupSegmentsBySize(
      toClean,
      log.config.segmentBytes,
      log.config.segmentIndexBytes,
      upperBound,
    );
    for (const group of groups) {
      await this.cleanGroup(log, group, context, pacer, now);
      result.segmentsCleaned += group.length;
      result.groups++;
    }
    result.endOffset = endOffset;
    return result;
  }

  /**
   * Maps key → latest offset over the dirty segments in [start, end), skipping aborted
   * transactions, until the map reaches its load factor (Kafka's buildOffsetMap). The
   * map's latest offset then tells how far this pass can clean.
   */
  private async buildOffsetMap(
    log: Log,
    start: bigint,
    end: bigint,
    aborted: readonly AbortedTransaction[],
    map: OffsetMap,
    stats: CleanerStats,
    pacer: Pacer,
  ): Promise<void> {
    const dirty = log.segments.filter(
      (segment, i, all) =>
        segment.baseOffset < end && (all[i + 1] === undefined || all[i + 1].baseOffset > start),
    );
    // Only transactions still open at `start` matter: the walk sees no marker before it.
    const transactions = new CleanedTransactions(aborted.filter((txn) => txn.lastOffset >= start));
    const maxKeys = Math.floor(map.slots * this.config.dedupeBufferLoadFactor);
    for (let i = 0; i < dirty.length; i++) {
      const segment = dirty[i];
      const from = segment.offsetIndex.lookup(start).position;
      for await (const batch of readSegmentBatches(
        segment,
        from,
        segment.writtenSize,
        this.config.ioBufferBytes,
      )) {
        await pacer.advance(batch.sizeInBytes);
        stats.mapBytesRead += batch.sizeInBytes;
        if (batch.isControl) {
          transactions.onControlBatchRead(batch, await controlRecordTypeOf(batch));
        } else if (!transactions.onBatchRead(batch)) {
          for await (const record of batch.recordsAsync()) {
            stats.mapRecordsRead++;
            if (record.key === null || record.offset < start) continue;
            if (map.size >= maxKeys) return; // full: this pass cleans up to the last key mapped
            map.put(record.key, record.offset);
          }
        }
        if (batch.lastOffset >= start) map.updateLatestOffset(batch.lastOffset);
      }
      // Offsets may have gaps: the segment accounts for everything up to the next one.
      const nextStart = dirty[i + 1]?.baseOffset ?? end;
      map.updateLatestOffset(nextStart - 1n);
    }
  }

  /** Rewrites one group of segments into a single cleaned segment and swaps it in. */
  private async cleanGroup(
    log: Log,
    group: LogSegment[],
    context: Parameters<typeof filterBatch>[1],
    pacer: Pacer,
    now: number,
  ): Promise<void> {
    const baseOffset = group[0].baseOffset;
    const writer = await CleanedSegmentWriter.create(log.dir, baseOffset, {
      indexIntervalBytes: log.config.indexIntervalBytes,
      maxIndexBytes: log.config.segmentIndexBytes,
      writeBufferBytes: this.config.ioBufferBytes,
    });
    const fingerprints: SegmentFingerprint[] = [];
    try {
      for (const segment of group) {
        const size = segment.size;
        const nextOffset = segment.nextOffset;
        let lastHeader: Buffer | null = null;
        let lastBatchSize = 0;
        for await (const batch of readSegmentBatches(
          segment,
          0,
          segment.writtenSize,
          this.config.ioBufferBytes,
        )) {
          await pacer.advance(batch.sizeInBytes);
          lastHeader = Buffer.from(batch.bytes.subarray(0, RECORD_BATCH_HEADER_SIZE));
          lastBatchSize = batch.sizeInBytes;
          const retained = await filterBatch(batch, context);
          if (retained === null) continue;
          const written = RecordBatch.at(retained);
          await writer.append(retained, written.lastOffset, written.maxTimestamp);
          context.stats.bytesWritten += retained.length;
        }
        fingerprints.push({ segment, size, nextOffset, lastHeader, lastBatchSize });
      }
      await writer.finish();
    } catch (err) {
      await writer.abandon();
      await discardCleanedSegment(log.dir, baseOffset);
      throw err;
    }

    const swapped = await log.withExclusive(async () => {
      if (!(await stillIntact(log, fingerprints))) return false;
      await commitCleanedSegment(log.dir, baseOffset);
      await retireSegments(log.dir, group, log.config.fileDeleteDelayMs);
      await installSwappedSegment(log.dir, baseOffset);
      log.replaceSegments(group, [await openCleanedSegment(log, baseOffset, now)]);
      return true;
    });
    if (!swapped) {
      await discardCleanedSegment(log.dir, baseOffset);
      throw new CleaningAbortedError(`segments of ${log.dir} changed while they were cleaned`);
    }
  }
}

/**
 * Producers whose state still matters (Kafka's active producers): those heard from within
 * producer.id.expiration.ms.
 */
function activeProducers(
  lastBatches: ReadonlyMap<bigint, ProducerLastBatch>,
  now: number,
  expirationMs: number,
): Map<bigint, ProducerLastBatch> {
  const expiredBefore = BigInt(now) - millis(expirationMs);
  const active = new Map<bigint, ProducerLastBatch>();
  for (const [producerId, last] of lastBatches) {
    if (last.lastTimestamp > expiredBefore) active.set(producerId, last);
  }
  return active;
}

/** The group's segments are still in the log, in order, inactive and unchanged. */
async function stillIntact(log: Log, fingerprints: SegmentFingerprint[]): Promise<boolean> {
  const first = log.segments.indexOf(fingerprints[0].segment);
  if (first < 0) return false;
  for (let i = 0; i < fingerprints.length; i++) {
    const { segment, size, nextOffset, lastHeader, lastBatchSize } = fingerprints[i];
    if (log.segments[first + i] !== segment || segment === log.activeSegment) return false;
    if (segment.size !== size || segment.nextOffset !== nextOffset) return false;
    if (lastHeader) {
      const current = await segment.read(size - lastBatchSize, RECORD_BATCH_HEADER_SIZE);
      if (!current.equals(lastHeader)) return false;
    }
  }
  return true;
}

async function openCleanedSegment(log: Log, baseOffset: bigint, now: number): Promise<LogSegment> {
  const { segment, indexesValid } = await LogSegment.open(
    log.dir,
    baseOffset,
    {
      indexIntervalBytes: log.config.indexIntervalBytes,
      maxIndexBytes: log.config.segmentIndexBytes,
      tailCacheBytes: 0,
    },
    now,
  );
  if (!indexesValid) await segment.recover(log.config.maxMessageBytes + 1024 * 1024);
  return segment;
}

/**
 * Splits the segments to clean into groups that each become one cleaned segment (Kafka's
 * groupSegmentsBySize): a group's log bytes stay within segment.bytes, each of its
 * indexes within segment.index.bytes, and its offsets within an int32 of its base.
 */
export function groupSegmentsBySize(
  segments: readonly LogSegment[],
  maxSegmentBytes: number,
  maxIndexBytes: number,
  firstUncleanableOffset: bigint,
): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]];
    let logBytes = segments[i].size;
    let offsetIndexBytes = segments[i].offsetIndex.sizeInBytes;
    let timeIndexBytes = segments[i].timeIndex.sizeInBytes;
    i++;
    while (i < segments.length) {
      const next = segments[i];
      // Without reading it, the next segment's last offset is bounded by what follows it.
      const nextLastOffset =
        (i + 1 < segments.length ? segments[i + 1].baseOffset : firstUncleanableOffset) - 1n;
      const fits =
        logBytes + next.size <= maxSegmentBytes &&
        offsetIndexBytes + next.offsetIndex.sizeInBytes <= maxIndexBytes &&
        timeIndexBytes + next.timeIndex.sizeInBytes <= maxIndexBytes &&
        (next.size === 0 || nextLastOffset - group[0].baseOffset <= INT32_MAX);
      if (!fits) break;
      group.push(next);
      logBytes += next.size;
      offsetIndexBytes += next.offsetIndex.sizeInBytes;
      timeIndexBytes += next.timeIndex.sizeInBytes;
      i++;
    }
    groups.push(group);
  }
  return groups;
}

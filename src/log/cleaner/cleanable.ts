import type { Log } from '../log.js';
import type { LogSegment } from '../log-segment.js';

/** A compacted log the cleaner may pick, with its cleaner checkpoint. */
export interface CleanerCandidate {
  log: Log;
  /** First offset not yet cleaned (the cleaner checkpoint); the log start when unknown. */
  lastCleanOffset?: bigint;
  /**
   * An offset cleaning must not pass, when the broker knows one: Kafka cleans only below
   * the last stable offset, itself never above the high watermark.
   */
  upperBoundOffset?: bigint;
}

/** A log's cleanable range and how dirty it is (Kafka's LogToClean). */
export interface LogToClean {
  log: Log;
  firstDirtyOffset: bigint;
  /** Exclusive end of the range: the base offset of the first segment that is not cleanable. */
  firstUncleanableOffset: bigint;
  /** Bytes of the segments before the dirty section. */
  cleanBytes: number;
  /** Bytes of the segments of the dirty section. */
  cleanableBytes: number;
  totalBytes: number;
  cleanableRatio: number;
  /** max.compaction.lag.ms has passed for the oldest dirty record. */
  needCompactionNow: boolean;
  /** The checkpoint was outside the log and was reset to the log start. */
  checkpointReset: boolean;
}

/** A number of milliseconds as bigint; Kafka's Long.MAX_VALUE arrives here as 2^63. */
export function millis(value: number): bigint {
  return BigInt(Math.trunc(value));
}

export function isCompacted(log: Log): boolean {
  return log.config.cleanupPolicy.includes('compact');
}

/** Index of the segment holding `offset` (the last one whose base offset is <= it), or 0. */
function floorSegmentIndex(segments: readonly LogSegment[], offset: bigint): number {
  let found = 0;
  for (let i = 0; i < segments.length; i++) {
    if (segments[i].baseOffset <= offset) found = i;
    else break;
  }
  return found;
}

/**
 * The dirty range of a log (Kafka's LogCleanerManager.cleanableOffsets): from the
 * checkpoint (reset to the log start when it lies outside the log) to the first offset
 * that may not be cleaned: the active segment, the caller's upper bound, and, with
 * min.compaction.lag.ms, the first dirty segment holding a record younger than the lag.
 */
export function cleanableOffsets(
  candidate: CleanerCandidate,
  now: number,
): { firstDirtyOffset: bigint; firstUncleanableOffset: bigint; checkpointReset: boolean } {
  const { log } = candidate;
  const checkpoint = candidate.lastCleanOffset ?? log.logStartOffset;
  const checkpointReset = checkpoint < log.logStartOffset || checkpoint > log.logEndOffset;
  const firstDirtyOffset = checkpointReset ? log.logStartOffset : checkpoint;

  let firstUncleanable = log.activeSegment.baseOffset;
  if (candidate.upperBoundOffset !== undefined && candidate.upperBoundOffset < firstUncleanable)
    firstUncleanable = candidate.upperBoundOffset;
  const minLagMs = millis(Math.max(log.config.minCompactionLagMs, 0));
  if (minLagMs > 0n) {
    const youngerThan = BigInt(now) - minLagMs;
    const segments = log.segments;
    for (let i = floorSegmentIndex(segments, firstDirtyOffset); i < segments.length - 1; i++) {
      const segment = segments[i];
      if (segment.maxTimestampSoFar > youngerThan) {
        if (segment.baseOffset < firstUncleanable) firstUncleanable = segment.baseOffset;
        break;
      }
    }
  }
  return {
    firstDirtyOffset,
    firstUncleanableOffset:
      firstUncleanable > firstDirtyOffset ? firstUncleanable : firstDirtyOffset,
    checkpointReset,
  };
}

/**
 * Rounds an uncleanable offset down to the base of the segment holding it: cleaning
 * works on whole segments.
 */
export function uncleanableSegmentBase(log: Log, uncleanableOffset: bigint): bigint {
  const segments = log.segments;
  const index = floorSegmentIndex(segments, uncleanableOffset);
  return segments[Math.min(index, segments.length - 1)].baseOffset;
}

/** How long past max.compaction.lag.ms the oldest dirty record is (0 when not past it). */
function compactionDelayMs(log: Log, firstDirtyOffset: bigint, now: number): bigint {
  const segments = log.segments;
  let earliest: bigint | null = null;
  for (let i = floorSegmentIndex(segments, firstDirtyOffset); i < segments.length - 1; i++) {
    const firstBatchTimestamp = segments[i].rollingBasedTimestamp;
    if (firstBatchTimestamp !== null && firstBatchTimestamp > 0n) {
      if (earliest === null || firstBatchTimestamp < earliest) earliest = firstBatchTimestamp;
    }
  }
  if (earliest === null) return 0n;
  const cleanUntil = BigInt(now) - millis(Math.max(log.config.maxCompactionLagMs, 0));
  return earliest < cleanUntil ? cleanUntil - earliest : 0n;
}

/** Measures how dirty a log is. */
export function logToClean(candidate: CleanerCandidate, now: number): LogToClean {
  const { log } = candidate;
  const offsets = cleanableOffsets(candidate, now);
  const firstUncleanableOffset = uncleanableSegmentBase(log, offsets.firstUncleanableOffset);
  let cleanBytes = 0;
  let cleanableBytes = 0;
  const segments = log.segments;
  const firstDirtySegment = floorSegmentIndex(segments, offsets.firstDirtyOffset);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.baseOffset < offsets.firstDirtyOffset) cleanBytes += segment.size;
    if (i >= firstDirtySegment && segment.baseOffset < firstUncleanableOffset)
      cleanableBytes += segment.size;
  }
  const totalBytes = cleanBytes + cleanableBytes;
  return {
    log,
    firstDirtyOffset: offsets.firstDirtyOffset,
    firstUncleanableOffset,
    cleanBytes,
    cleanableBytes,
    totalBytes,
    cleanableRatio: totalBytes > 0 ? cleanableBytes / totalBytes : 0,
    needCompactionNow: compactionDelayMs(log, offsets.firstDirtyOffset, now) > 0n,
    checkpointReset: offsets.checkpointReset,
  };
}

/** Whether the log should be cleaned now (Kafka's rule, including its strict ratio test). */
export function isDirtyEnough(measure: LogToClean): boolean {
  if (measure.totalBytes <= 0) return false;
  if (measure.needCompactionNow && measure.cleanableBytes > 0) return true;
  return measure.cleanableRatio > measure.log.config.minCleanableDirtyRatio;
}

/** Compacted logs that should be cleaned now, dirtiest first. */
export function rankLogsToClean(candidates: Iterable<CleanerCandidate>, now: number): LogToClean[] {
  const eligible: LogToClean[] = [];
  for (const candidate of candidates) {
    if (!isCompacted(candidate.log)) continue;
    const measure = logToClean(candidate, now);
    if (isDirtyEnough(measure)) eligible.push(measure);
  }
  return eligible.sort((a, b) => b.cleanableRatio - a.cleanableRatio);
}

/**
 * The dirtiest compacted log that should be cleaned now, or null. A bare log counts as
 * never cleaned (its dirty section starts at the log start).
 */
export function selectLogToClean(
  logs: Iterable<Log | CleanerCandidate>,
  now: number,
): LogToClean | null {
  const candidates: CleanerCandidate[] = [];
  for (const item of logs) candidates.push('log' in item ? item : { log: item });
  return rankLogsToClean(candidates, now)[0] ?? null;
}

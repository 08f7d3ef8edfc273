import { systemClock, type Clock, type Log, type LogLogger } from '../log.js';
import {
  rankLogsToClean,
  isCompacted,
  type CleanerCandidate,
  type LogToClean,
} from './cleanable.js';
import { CleanerCheckpoints } from './cleaner-checkpoint.js';
import { DEFAULT_CLEANER_CONFIG, type CleanerConfig } from './cleaner-config.js';
import { Cleaner } from './cleaner.js';
import type { CleanerStats } from './batch-filter.js';
import { CleaningAbortedError } from './pacer.js';

export interface LogCleanerOptions {
  /** The logs to consider, asked at every pass so logs can come and go. */
  logs: () => Iterable<Log>;
  config?: Partial<CleanerConfig>;
  /** Shared with the log manager, which truncates or removes entries as logs change. */
  checkpoints?: CleanerCheckpoints;
  clock?: Clock;
  logger?: LogLogger;
  /**
   * An offset cleaning must not pass, when the broker knows one (Kafka cleans below the
   * last stable offset, never above the high watermark). Open transactions found in the
   * log bound cleaning in any case.
   */
  upperBoundOffset?: (log: Log) => bigint | undefined;
}

export interface CleaningOutcome {
  log: Log;
  firstDirtyOffset: bigint;
  /** The log's new cleaner checkpoint. */
  endOffset: bigint;
  cleanableRatio: number;
  segmentsCleaned: number;
  stats: CleanerStats;
  durationMs: number;
}

const silentLogger: LogLogger = { info() {}, warn() {} };

/**
 * Kafka's LogCleaner for this broker: picks the dirtiest compacted log, cleans it, and
 * records how far it got in the cleaner checkpoint. Passes run one at a time, either on
 * demand (`cleanOnce`) or in a loop (`start`/`stop`) that backs off when nothing is dirty.
 *
 * As with Kafka's log manager, the owner of the logs calls `abortAndPause` before it
 * truncates, closes or deletes a log (`resume` after; `truncateCheckpoint` after a
 * truncation, `removeLog` after a deletion), and `stop` before shutting the logs down,
 * so no pass swaps in segments cut from under it. A pass also re-checks, under the
 * log's lock, that the segments it rewrote are unchanged before swapping.
 */
export class LogCleaner {
  readonly checkpoints: CleanerCheckpoints;
  readonly config: CleanerConfig;
  private readonly cleaner: Cleaner;
  private readonly options: LogCleanerOptions;
  private readonly clock: Clock;
  private readonly logger: LogLogger;
  private pass: Promise<unknown> = Promise.resolve();
  private readonly paused = new Map<string, number>();
  /** Logs a pass failed on (Kafka's uncleanable partitions), with the failure. */
  private readonly uncleanable = new Map<string, Error>();
  /** Where open transactions stopped the last pass, valid while the log end stays put. */
  private readonly unstable = new Map<string, { logEndOffset: bigint; offset: bigint }>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** Set by `stop` until the pass in progress has ended. */
  private stopping = false;

  constructor(options: LogCleanerOptions) {
    this.options = options;
    this.config = { ...DEFAULT_CLEANER_CONFIG, ...options.config };
    this.checkpoints = options.checkpoints ?? new CleanerCheckpoints();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.cleaner = new Cleaner(this.config);
  }

  /** The dirtiest compacted log that should be cleaned now, with the checkpoints on disk. */
  async selectLogToClean(now = this.clock.now()): Promise<LogToClean | null> {
    return (await this.rank(now))[0] ?? null;
  }

  private async rank(now: number): Promise<LogToClean[]> {
    const candidates: CleanerCandidate[] = [];
    for (const log of this.options.logs()) {
      if (!isCompacted(log) || log.isOffline) continue;
      if (this.paused.has(log.dir) || this.uncleanable.has(log.dir)) continue;
      await this.checkpoints.load(CleanerCheckpoints.logDirOf(log));
      candidates.push({
        log,
        lastCleanOffset: this.checkpoints.get(log),
        upperBoundOffset: this.upperBoundOf(log),
      });
    }
    return rankLogsToClean(candidates, now);
  }

  private upperBoundOf(log: Log): bigint | undefined {
    let bound = this.options.upperBoundOffset?.(log);
    const unstable = this.unstable.get(log.dir);
    if (unstable && unstable.logEndOffset === log.logEndOffset) {
      if (bound === undefined || unstable.offset < bound) bound = unstable.offset;
    }
    return bound;
  }

  /**
   * One cleaning pass: cleans the dirtiest log that can make progress and returns what
   * was done, or null when no log needed cleaning.
   */
  cleanOnce(now?: number): Promise<CleaningOutcome | null> {
    const run = this.pass.then(() => this.runPass(now ?? this.clock.now()));
    this.pass = run.catch(() => undefined);
    return run;
  }

  private async runPass(now: number): Promise<CleaningOutcome | null> {
    for (const target of await this.rank(now)) {
      const outcome = await this.cleanLog(target, now);
      if (outcome) return outcome;
    }
    return null;
  }

  private async cleanLog(target: LogToClean, now: number): Promise<CleaningOutcome | null> {
    const { log } = target;
    const started = performance.now();
    if (target.checkpointReset) await this.checkpoints.set(log, target.firstDirtyOffset);
    try {
      const result = await this.cleaner.clean(target, now, () => {
        if (this.paused.has(log.dir) || this.stopping)
          throw new CleaningAbortedError(`cleaning of ${log.dir} was aborted`);
      });
      if (result.firstUnstableOffset === null) this.unstable.delete(log.dir);
      else
        this.unstable.set(log.dir, {
          logEndOffset: result.scannedLogEndOffset,
          offset: result.firstUnstableOffset,
        });
      if (result.endOffset === null) return null;
      await this.checkpoints.set(log, result.endOffset);
      const outcome: CleaningOutcome = {
        log,
        firstDirtyOffset: target.firstDirtyOffset,
        endOffset: result.endOffset,
        cleanableRatio: target.cleanableRatio,
        segmentsCleaned: result.segmentsCleaned,
        stats: result.stats,
        durationMs: performance.now() - started,
      };
      this.logger.info(
        {
          dir: log.dir,
          firstDirtyOffset: target.firstDirtyOffset.toString(),
          endOffset: result.endOffset.toString(),
          dirtyRatio: target.cleanableRatio,
          segments: result.segmentsCleaned,
          bytesRead: result.stats.bytesRead,
          bytesWritten: result.stats.bytesWritten,
          ms: Math.round(outcome.durationMs),
        },
        'cleaned log',
      );
      return outcome;
    } catch (err) {
      if (isTransient(err)) {
        this.logger.info({ dir: log.dir, reason: (err as Error).message }, 'cleaning stopped');
      } else {
        // As Kafka: a log the cleaner fails on is left alone (until clearUncleanable).
        this.uncleanable.set(log.dir, err as Error);
        this.logger.warn(
          { dir: log.dir, error: (err as Error).message },
          'marking log uncleanable after a cleaning failure',
        );
      }
      return null;
    }
  }

  /** Runs passes until `stop`: back to back while there is work, `intervalMs` apart otherwise. */
  start(intervalMs = this.config.backoffMs): void {
    if (this.running) return;
    this.running = true;
    const tick = async () => {
      let cleaned = false;
      try {
        cleaned = (await this.cleanOnce()) !== null;
      } catch (err) {
        this.logger.warn({ error: (err as Error).message }, 'cleaner pass failed');
      }
      if (!this.running) return;
      this.timer = setTimeout(() => void tick(), cleaned ? 0 : intervalMs);
      this.timer.unref();
    };
    this.timer = setTimeout(() => void tick(), 0);
    this.timer.unref();
  }

  /** Stops the loop, aborting the pass in progress, and waits for it to end. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopping = true;
    try {
      await this.pass;
    } finally {
      this.stopping = false;
    }
  }

  /**
   * Stops any pass on `log` (at its next step) and keeps the cleaner off it until
   * `resume`; pauses nest. Resolves once no pass touches the log.
   */
  async abortAndPause(log: Pick<Log, 'dir'>): Promise<void> {
    this.paused.set(log.dir, (this.paused.get(log.dir) ?? 0) + 1);
    await this.pass;
  }

  resume(log: Pick<Log, 'dir'>): void {
    const count = this.paused.get(log.dir) ?? 0;
    if (count <= 1) this.paused.delete(log.dir);
    else this.paused.set(log.dir, count - 1);
  }

  /** The failure that made the cleaner skip `log`, if any. */
  uncleanableReason(log: Pick<Log, 'dir'>): Error | undefined {
    return this.uncleanable.get(log.dir);
  }

  /** Lets the cleaner try a log it failed on again. */
  clearUncleanable(log: Pick<Log, 'dir'>): void {
    this.uncleanable.delete(log.dir);
  }

  /** After the log was truncated to `offset` (Kafka's maybeTruncateCheckpoint). */
  async truncateCheckpoint(log: Pick<Log, 'dir'>, offset: bigint): Promise<void> {
    this.unstable.delete(log.dir);
    await this.checkpoints.truncate(log, offset);
  }

  /** Forgets a deleted log. */
  async removeLog(log: Pick<Log, 'dir'>): Promise<void> {
    this.unstable.delete(log.dir);
    this.uncleanable.delete(log.dir);
    this.paused.delete(log.dir);
    await this.checkpoints.remove(log);
  }
}

/** Failures that say nothing about the log itself: the next pass may try again. */
function isTransient(err: unknown): boolean {
  if (err instanceof CleaningAbortedError) return true;
  // A segment deleted by retention while it was read.
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

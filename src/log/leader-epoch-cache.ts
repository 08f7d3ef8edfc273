import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint } from './checkpoint-file.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

/**
 * Leader epoch → first offset written in that epoch, as Kafka's LeaderEpochFileCache.
 * Followers use it (OffsetForLeaderEpoch) to find where their log diverges.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  private dirty = false;

  constructor(private readonly path: string) {}

  static async load(dir: string): Promise<LeaderEpochCache> {
    const cache = new LeaderEpochCache(join(dir, LEADER_EPOCH_CHECKPOINT));
    for (const [epoch, offset] of await readCheckpoint(cache.path, 2)) {
      cache.entries.push({ epoch: Number(epoch), startOffset: BigInt(offset) });
    }
    return cache;
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  get latest(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  /** Records that `epoch` starts at `startOffset`; stale or repeated epochs are ignored. */
  assign(epoch: number, startOffset: bigint): void {
    if (epoch < 0) return;
    const latest = this.latest;
    if (latest && (epoch <= latest.epoch || startOffset < latest.startOffset)) return;
    this.entries.push({ epoch, startOffset });
    this.dirty = true;
  }

  /**
   * The end offset of `epoch`: the start of the next larger epoch, or `logEndOffset` for
   * the latest; with the largest epoch <= the requested one (OffsetForLeaderEpoch).
   */
  endOffsetFor(epoch: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    const latest = this.latest;
    if (!latest || epoch < 0 || epoch > latest.epoch) return { epoch: -1, endOffset: -1n };
    if (epoch === latest.epoch) return { epoch, endOffset: logEndOffset };
    // Below every known epoch: the data was removed, answer where the log now starts.
    if (epoch < this.entries[0].epoch) return { epoch, endOffset: this.entries[0].startOffset };
    let found: EpochEntry | undefined;
    let next: EpochEntry | undefined;
    for (const entry of this.entries) {
      if (entry.epoch <= epoch) found = entry;
      else {
        next = entry;
        break;
      }
    }
    if (!found) return { epoch: -1, endOffset: -1n };
    return { epoch: found.epoch, endOffset: next ? next.startOffset : logEndOffset };
  }

  /** Drops entries starting at or after `offset` (the log was truncated to it). */
  truncateFromEnd(offset: bigint): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.startOffset < offset);
    if (this.entries.length !== before) this.dirty = true;
  }

  /** The log now starts at `offset`: earlier epochs go, the one covering it starts there. */
  truncateFromStart(offset: bigint): void {
    let keepFrom = 0;
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i].startOffset <= offset) keepFrom = i;
    }
    const kept = this.entries.slice(keepFrom);
    if (kept.length > 0 && kept[0].startOffset < offset)
      kept[0] = { ...kept[0], startOffset: offset };
    if (kept.length !== this.entries.length || kept[0] !== this.entries[0]) this.dirty = true;
    this.entries = kept;
  }

  /** Whether flush() has anything to write or wait for. */
  get hasUnwrittenChanges(): boolean {
    return this.dirty || this.flushesInFlight > 0;
  }

  private flushing: Promise<void> = Promise.resolve();
  private flushesInFlight = 0;

  /**
   * Writes the checkpoint if it changed, resolving once the entries as they are now are
   * on disk; writes never overlap (they share a temp file). Free when nothing is pending.
   */
  flush(): Promise<void> {
    if (!this.hasUnwrittenChanges) return Promise.resolve();
    this.flushesInFlight++;
    const run = this.flushing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await writeCheckpoint(
          this.path,
          this.entries.map((e) => [e.epoch, e.startOffset]),
        );
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    });
    this.flushing = run.catch(() => undefined).finally(() => this.flushesInFlight--);
    return run;
  }
}

import { basename, dirname, join } from 'node:path';
import { readOffsetCheckpoint, writeOffsetCheckpoint } from '../checkpoint-file.js';
import { CLEANER_OFFSET_CHECKPOINT_FILE } from '../log-dir.js';
import { parsePartitionDirName } from '../segment-files.js';

/** Anything with a partition directory, e.g. a Log. */
export interface PartitionDirOwner {
  readonly dir: string;
}

/**
 * The cleaner's progress per partition: the first offset not yet cleaned (the "first
 * dirty offset"). Held in memory and persisted, as Kafka does, in `cleaner-offset-checkpoint`
 * at the top of each log dir (the parent of the partition dirs), keyed "topic-partition".
 */
export class CleanerCheckpoints {
  /** log dir → "topic-partition" → first dirty offset. */
  private readonly byLogDir = new Map<string, Map<string, bigint>>();
  /** Saves per log dir run one at a time: the atomic write uses a fixed temp name. */
  private readonly saving = new Map<string, Promise<void>>();

  static logDirOf(log: PartitionDirOwner): string {
    return dirname(log.dir);
  }

  static keyOf(log: PartitionDirOwner): string {
    return basename(log.dir);
  }

  static pathIn(logDir: string): string {
    return join(logDir, CLEANER_OFFSET_CHECKPOINT_FILE);
  }

  /** Reads a log dir's checkpoint file once; later calls are no-ops unless `reload`. */
  async load(logDir: string, reload = false): Promise<void> {
    if (this.byLogDir.has(logDir) && !reload) return;
    this.byLogDir.set(logDir, await readOffsetCheckpoint(CleanerCheckpoints.pathIn(logDir)));
  }

  isLoaded(logDir: string): boolean {
    return this.byLogDir.has(logDir);
  }

  /** The first dirty offset recorded for the log, if any (its log dir must be loaded). */
  get(log: PartitionDirOwner): bigint | undefined {
    return this.byLogDir.get(CleanerCheckpoints.logDirOf(log))?.get(CleanerCheckpoints.keyOf(log));
  }

  /** Records the log's first dirty offset and persists its log dir's file. */
  async set(log: PartitionDirOwner, firstDirtyOffset: bigint): Promise<void> {
    const logDir = CleanerCheckpoints.logDirOf(log);
    await this.load(logDir);
    this.byLogDir.get(logDir)!.set(CleanerCheckpoints.keyOf(log), firstDirtyOffset);
    await this.save(logDir);
  }

  /**
   * Moves the checkpoint back to `offset` when it lies beyond it (Kafka's
   * maybeTruncateCheckpoint); the log manager calls it when it truncates a log.
   */
  async truncate(log: PartitionDirOwner, offset: bigint): Promise<void> {
    const current = this.get(log);
    if (current !== undefined && current > offset) await this.set(log, offset);
  }

  /** Forgets a log (deleted, or moved to another log dir). */
  async remove(log: PartitionDirOwner): Promise<void> {
    const logDir = CleanerCheckpoints.logDirOf(log);
    await this.load(logDir);
    if (this.byLogDir.get(logDir)!.delete(CleanerCheckpoints.keyOf(log))) await this.save(logDir);
  }

  /** Writes a log dir's checkpoints atomically. */
  save(logDir: string): Promise<void> {
    const previous = this.saving.get(logDir) ?? Promise.resolve();
    const next = previous.then(() => this.write(logDir));
    const settled = next.catch(() => undefined);
    this.saving.set(logDir, settled);
    void settled.then(() => {
      if (this.saving.get(logDir) === settled) this.saving.delete(logDir);
    });
    return next;
  }

  private async write(logDir: string): Promise<void> {
    const entries: { topic: string; partition: number; offset: bigint }[] = [];
    for (const [key, offset] of this.byLogDir.get(logDir) ?? []) {
      const parsed = parsePartitionDirName(key);
      if (parsed) entries.push({ ...parsed, offset });
    }
    await writeOffsetCheckpoint(CleanerCheckpoints.pathIn(logDir), entries);
  }
}

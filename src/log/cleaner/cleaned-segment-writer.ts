import { open, type FileHandle } from 'node:fs/promises';
import { writeFully } from '../file-writer.js';
import { OffsetIndex, TimeIndex } from '../indexes.js';
import { cleanedSegmentPaths, type SegmentFilePaths } from './segment-swap.js';

export interface CleanedSegmentOptions {
  indexIntervalBytes: number;
  maxIndexBytes: number;
  /** Bytes gathered in memory before a write. */
  writeBufferBytes: number;
}

/**
 * Writes the output of a cleaning group to `<base>.log.cleaned` with its offset and time
 * indexes, indexing the way a segment does on append (an entry every index.interval.bytes).
 */
export class CleanedSegmentWriter {
  readonly paths: SegmentFilePaths;
  private readonly offsetIndex: OffsetIndex;
  private readonly timeIndex: TimeIndex;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private bytesSinceIndexEntry = 0;
  private maxTimestamp = -1n;
  private offsetOfMaxTimestamp: bigint;

  private constructor(
    private readonly handle: FileHandle,
    readonly baseOffset: bigint,
    paths: SegmentFilePaths,
    private readonly options: CleanedSegmentOptions,
  ) {
    this.paths = paths;
    this.offsetIndex = new OffsetIndex(paths.index, baseOffset, options.maxIndexBytes);
    this.timeIndex = new TimeIndex(paths.timeIndex, baseOffset, options.maxIndexBytes);
    this.offsetOfMaxTimestamp = baseOffset;
  }

  static async create(
    dir: string,
    baseOffset: bigint,
    options: CleanedSegmentOptions,
  ): Promise<CleanedSegmentWriter> {
    const paths = cleanedSegmentPaths(dir, baseOffset);
    // Truncating creates: leftovers of an abandoned pass must not leak into this one.
    for (const path of [paths.index, paths.timeIndex]) await (await open(path, 'w')).close();
    return new CleanedSegmentWriter(await open(paths.log, 'w'), baseOffset, paths, options);
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.written + this.pendingBytes;
  }

  /** Appends one batch ending at `lastOffset`. */
  async append(batch: Buffer, lastOffset: bigint, maxTimestamp: bigint): Promise<void> {
    const position = this.size;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceIndexEntry > this.options.indexIntervalBytes) {
      // A sparse index only gets slower to search when entries are missing, never wrong.
      if (!this.offsetIndex.isFull) this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += batch.length;
    this.pending.push(batch);
    this.pendingBytes += batch.length;
    if (this.pendingBytes >= this.options.writeBufferBytes) await this.writePending();
  }

  private async writePending(): Promise<void> {
    const buffers = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    await writeFully(this.handle, this.written, buffers, bytes);
    this.written += bytes;
  }

  /** Writes everything, completes the indexes and fsyncs all three files. */
  async finish(): Promise<void> {
    await this.writePending();
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    await this.offsetIndex.flush(true);
    await this.timeIndex.flush(true);
    await this.handle.sync();
    await this.handle.close();
  }

  /** Closes without completing (the caller deletes the files). */
  async abandon(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.close().catch(() => undefined);
  }
}

import { open, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import type { ReadBufferPool } from './read-buffer-pool.js';
import {
  frameBatch,
  RecordBatch,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
} from '../protocol/records/index.js';
import { segmentFileWriter } from './file-writer.js';
import { OffsetIndex, TimeIndex, IndexCorruptError } from './indexes.js';
import { segmentPaths, type SegmentPaths } from './segment-files.js';

/** Byte offsets inside a v2 batch header. */
const BASE_OFFSET_AT = 0;
const BATCH_LENGTH_AT = 8;
const PARTITION_LEADER_EPOCH_AT = 12;
const LAST_OFFSET_DELTA_AT = 23;
const MAX_TIMESTAMP_AT = 35;
const SCAN_CHUNK_BYTES = 64 * 1024;
const RECOVERY_CHUNK_BYTES = 4 * 1024 * 1024;
/** Extra bytes read past an index entry so the wanted batch's start is usually inside. */
const READ_SLACK_BYTES = 16 * 1024;

export interface SegmentOptions {
  indexIntervalBytes: number;
  maxIndexBytes: number;
  /** Bytes of recently appended batches kept in memory for tailing readers. */
  tailCacheBytes: number;
}

/** What a header scan reports of one batch in the file. */
export interface BatchPosition {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  partitionLeaderEpoch: number;
}

export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  /** First offset of the dropped tail, when something was dropped. */
  firstInvalidOffset: bigint | null;
  batches: number;
  /** Leader epochs seen, in order: [epoch, first offset]. */
  epochs: [number, bigint][];
}

function readBatchPosition(buf: Buffer, at: number, position: number): BatchPosition {
  const baseOffset = buf.readBigInt64BE(at + BASE_OFFSET_AT);
  return {
    position,
    size: buf.readInt32BE(at + BATCH_LENGTH_AT) + LOG_OVERHEAD,
    baseOffset,
    lastOffset: baseOffset + BigInt(buf.readInt32BE(at + LAST_OFFSET_DELTA_AT)),
    maxTimestamp: buf.readBigInt64BE(at + MAX_TIMESTAMP_AT),
    partitionLeaderEpoch: buf.readInt32BE(at + PARTITION_LEADER_EPOCH_AT),
  };
}

/** A read made ahead of a sequential reader: it starts at the batch of `offset`. */
interface ReadAhead {
  offset: bigint;
  position: number;
  pool: ReadBufferPool;
  /** The read, once started; empty if it failed. */
  data: Promise<Buffer> | null;
}

const EMPTY_BUFFER = Buffer.alloc(0);

/**
 * One segment: a .log file of record batches with its offset and time indexes.
 *
 * Appends are registered synchronously (so offsets and index entries are decided at
 * once) and written later by the owning Log's group commit; `size` counts registered
 * bytes and `writtenSize` the bytes that reached the file.
 */
export class LogSegment {
  readonly paths: SegmentPaths;
  private handle: FileHandle | null = null;
  /** The open in progress, so concurrent first uses share one descriptor. */
  private opening: Promise<FileHandle> | null = null;
  /** The latest thread-pool write, which close() lets finish. */
  private writing: Promise<void> | null = null;
  size: number;
  writtenSize: number;
  /** Offset after the last batch of this segment. */
  nextOffset: bigint;
  maxTimestampSoFar = -1n;
  offsetOfMaxTimestampSoFar: bigint;
  /** Max timestamp of the first batch: segment.ms counts from it, as in Kafka. */
  rollingBasedTimestamp: bigint | null = null;
  readonly createdMs: number;
  private bytesSinceLastIndexEntry = 0;
  private tail: { position: number; buf: Buffer; charge: number }[] = [];
  private tailBytes = 0;
  private readAhead: ReadAhead | null = null;
  /** The highest offset the indexes can express relative to baseOffset. */
  private readonly lastIndexableOffset: bigint;

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    private readonly options: SegmentOptions,
    size: number,
    nowMs: number,
  ) {
    this.paths = segmentPaths(dir, baseOffset);
    this.size = size;
    this.writtenSize = size;
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestampSoFar = baseOffset;
    this.createdMs = nowMs;
    this.lastIndexableOffset = baseOffset + 0x7fffffffn;
  }

  /** Creates an empty segment and its files. */
  static async create(
    dir: string,
    baseOffset: bigint,
    options: SegmentOptions,
    nowMs: number,
  ): Promise<LogSegment> {
    const paths = segmentPaths(dir, baseOffset);
    for (const path of [paths.log, paths.index, paths.timeIndex]) {
      await (await open(path, 'w')).close();
    }
    return new LogSegment(
      dir,
      baseOffset,
      new OffsetIndex(paths.index, baseOffset, options.maxIndexBytes),
      new TimeIndex(paths.timeIndex, baseOffset, options.maxIndexBytes),
      options,
      0,
      nowMs,
    );
  }

  /**
   * Opens an existing segment. Indexes that are missing or fail their sanity check are
   * reported through `indexesValid` so the caller rebuilds them by recovery.
   */
  static async open(
    dir: string,
    baseOffset: bigint,
    options: SegmentOptions,
    nowMs: number,
  ): Promise<{ segment: LogSegment; indexesValid: boolean }> {
    const paths = segmentPaths(dir, baseOffset);
    const { size } = await stat(paths.log);
    let indexesValid = true;
    let offsetIndex: OffsetIndex;
    let timeIndex: TimeIndex;
    try {
      offsetIndex = await OffsetIndex.load(paths.index, baseOffset, options.maxIndexBytes);
      timeIndex = await TimeIndex.load(paths.timeIndex, baseOffset, options.maxIndexBytes);
      const last =
        offsetIndex.entryCount > 0 ? offsetIndex.entry(offsetIndex.entryCount - 1) : null;
      if (last && last.position >= size) indexesValid = false;
      if (size > 0 && (offsetIndex.missingFile || timeIndex.missingFile)) indexesValid = false;
    } catch (err) {
      if (!(err instanceof IndexCorruptError)) throw err;
      indexesValid = false;
      offsetIndex = new OffsetIndex(paths.index, baseOffset, options.maxIndexBytes);
      timeIndex = new TimeIndex(paths.timeIndex, baseOffset, options.maxIndexBytes);
    }
    const segment = new LogSegment(dir, baseOffset, offsetIndex, timeIndex, options, size, nowMs);
    if (indexesValid) {
      await segment.loadTailState();
      // The scan opened the file: close it, so an idle segment holds no descriptor.
      await segment.close();
    }
    return { segment, indexesValid };
  }

  /** Restores nextOffset and timestamps of a trusted segment from its last index entries. */
  private async loadTailState(): Promise<void> {
    const fromIndex = this.offsetIndex.lookup(this.baseOffset + 0x7fffffffn);
    const lastTime = this.timeIndex.lastEntry;
    if (lastTime) {
      this.maxTimestampSoFar = lastTime.timestamp;
      this.offsetOfMaxTimestampSoFar = lastTime.offset;
    }
    let first = true;
    for await (const batch of this.scan(fromIndex.position, this.size)) {
      if (first && fromIndex.position === 0) this.rollingBasedTimestamp = batch.maxTimestamp;
      first = false;
      this.nextOffset = batch.lastOffset + 1n;
      if (batch.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = batch.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = batch.lastOffset;
      }
    }
    this.bytesSinceLastIndexEntry = this.size - fromIndex.position;
    if (this.rollingBasedTimestamp === null && this.size > 0) {
      const firstBatch = await this.firstBatch();
      this.rollingBasedTimestamp = firstBatch?.maxTimestamp ?? null;
    }
  }

  private async firstBatch(): Promise<BatchPosition | null> {
    for await (const batch of this.scan(0, this.size)) return batch;
    return null;
  }

  private file(): Promise<FileHandle> {
    if (this.handle) return Promise.resolve(this.handle);
    this.opening ??= open(this.paths.log, 'r+').then(
      (handle) => {
        this.handle = handle;
        this.opening = null;
        return handle;
      },
      (err: unknown) => {
        this.opening = null;
        throw err;
      },
    );
    return this.opening;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** Whether appending `batchBytes` more bytes ending at `lastOffset` needs a new segment first. */
  shouldRoll(
    batchBytes: number,
    lastOffset: bigint,
    batchMaxTimestamp: bigint,
    segmentBytes: number,
    segmentMs: number,
    nowMs: number,
  ): boolean {
    // Even an empty segment cannot hold offsets its indexes cannot express (Kafka rolls too).
    if (lastOffset > this.lastIndexableOffset) return true;
    if (this.size === 0) return false;
    if (this.size > segmentBytes - batchBytes) return true;
    if (this.offsetIndex.isFull || this.timeIndex.isFull) return true;
    // As Kafka: time in the segment is measured in record time when batches carry
    // timestamps (new batch vs the first batch), else in wall-clock time since creation.
    const waited =
      this.rollingBasedTimestamp !== null && this.rollingBasedTimestamp >= 0n
        ? batchMaxTimestamp - this.rollingBasedTimestamp
        : BigInt(nowMs - this.createdMs);
    return waited > BigInt(segmentMs);
  }

  /**
   * Registers a batch (its size, last offset and max timestamp) that will be written at the
   * current end of the segment and records its index entries; returns its file position.
   */
  registerAppend(size: number, lastOffset: bigint, maxTimestamp: bigint): number {
    const position = this.size;
    if (this.rollingBasedTimestamp === null) this.rollingBasedTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.options.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    this.size += size;
    this.nextOffset = lastOffset + 1n;
    return position;
  }

  /**
   * Writes registered batches (contiguous, starting at `position`) to the file: returns
   * nothing when that was done synchronously, else a promise of its end.
   */
  write(position: number, buffers: Buffer[]): Promise<void> | undefined {
    if (!this.handle) return this.file().then((handle) => this.writeTo(handle, position, buffers));
    return this.writeTo(this.handle, position, buffers);
  }

  private writeTo(handle: FileHandle, position: number, buffers: Buffer[]) {
    let bytes = 0;
    for (const b of buffers) bytes += b.length;
    const writing = segmentFileWriter.writeAll(handle, position, buffers, bytes);
    if (!writing) {
      this.recordWritten(position, buffers, bytes);
      return undefined;
    }
    // close() waits for it: the write goes to the descriptor, which must stay open.
    this.writing = writing.then(() => this.recordWritten(position, buffers, bytes));
    return this.writing;
  }

  private recordWritten(position: number, buffers: Buffer[], bytes: number): void {
    this.writtenSize = position + bytes;
    this.cacheTail(position, buffers);
  }

  private cacheTail(position: number, buffers: Buffer[]): void {
    const budget = this.options.tailCacheBytes;
    if (budget <= 0) return;
    let at = position;
    for (const buf of buffers) {
      const entry = tailCacheEntry(buf);
      this.tail.push({ position: at, buf: entry.buf, charge: entry.charge });
      this.tailBytes += entry.charge;
      at += buf.length;
    }
    while (this.tailBytes > budget && this.tail.length > 0) {
      this.tailBytes -= this.tail.shift()!.charge;
    }
  }

  dropTailCache(): void {
    this.tail = [];
    this.tailBytes = 0;
  }

  /**
   * Reads [position, position+length) of written data, from the tail cache when it holds
   * it; a file read goes into `pool` memory when a pool is given.
   */
  async read(position: number, length: number, pool?: ReadBufferPool): Promise<Buffer> {
    const end = Math.min(position + length, this.writtenSize);
    if (end <= position) return Buffer.alloc(0);
    if (this.tail.length > 0 && position >= this.tail[0].position) {
      const parts: Buffer[] = [];
      for (const { position: p, buf } of this.tail) {
        const from = Math.max(position, p);
        const to = Math.min(end, p + buf.length);
        if (to > from) parts.push(buf.subarray(from - p, to - p));
      }
      return parts.length === 1 ? parts[0] : Buffer.concat(parts, end - position);
    }
    const out = pool ? pool.acquire(end - position) : Buffer.allocUnsafe(end - position);
    return this.readFile(out, position);
  }

  /** Fills `out` from the file at `position`; shorter only at the end of the file. */
  private async readFile(out: Buffer, position: number): Promise<Buffer> {
    const handle = this.handle ?? (await this.file());
    let done = 0;
    while (done < out.length) {
      const { bytesRead } = await handle.read(out, done, out.length - done, position + done);
      if (bytesRead === 0) return out.subarray(0, done);
      done += bytesRead;
    }
    return out;
  }

  /** Batch headers in [from, to) of the written file, without reading record bodies. */
  async *scan(from: number, to = this.writtenSize): AsyncGenerator<BatchPosition> {
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = from;
    let position = from;
    while (position + RECORD_BATCH_HEADER_SIZE <= to) {
      if (position + RECORD_BATCH_HEADER_SIZE > chunkStart + chunk.length) {
        chunk = await this.read(position, Math.min(SCAN_CHUNK_BYTES, to - position));
        chunkStart = position;
        if (chunk.length < RECORD_BATCH_HEADER_SIZE) return;
      }
      const batch = readBatchPosition(chunk, position - chunkStart, position);
      if (batch.size < RECORD_BATCH_HEADER_SIZE || position + batch.size > to) return;
      yield batch;
      position += batch.size;
    }
  }

  /**
   * Reads from the batch holding `startOffset`: up to `maxBytes`, never only part of the
   * first batch (all of it when `minOneBatch`, else nothing), never past file position
   * `limit`. One file read in the common case: the batch lies within about an index
   * interval of its index entry, so that much extra is read along with the data.
   * Returns null when the segment holds no batch at or after `startOffset`. With a `pool`,
   * the records may be pool memory, for the caller to release once it is done with them.
   */
  async readFrom(
    startOffset: bigint,
    maxBytes: number,
    limit: number,
    minOneBatch: boolean,
    pool?: ReadBufferPool,
  ): Promise<{ records: Buffer; firstBatchOffset: bigint } | null> {
    // Compaction can leave a segment empty, its nextOffset then being its base offset.
    if (this.size === 0 || startOffset >= this.nextOffset) return null;
    const nothing = { records: Buffer.alloc(0), firstBatchOffset: -1n };
    const interval = this.options.indexIntervalBytes;
    const floor = this.offsetIndex.lookup(startOffset).position;
    let from = this.offsetIndex.lookupLikelyStart(startOffset, interval).position;
    const spanFrom = (position: number) =>
      Math.min(limit - position, maxBytes + interval + READ_SLACK_BYTES);
    if (spanFrom(floor) <= 0) return nothing;
    const ahead = pool ? await this.takeReadAhead(startOffset, limit) : null;
    let chunk: Buffer;
    if (ahead) {
      from = ahead.position;
      chunk = ahead.chunk;
    } else {
      chunk = await this.read(from, Math.max(0, spanFrom(from)), pool);
    }
    if (
      from !== floor &&
      (chunk.length < RECORD_BATCH_HEADER_SIZE || chunk.readBigInt64BE(0) > startOffset)
    ) {
      // The guess went past the batch holding startOffset: read from the index entry.
      pool?.release(chunk);
      from = floor;
      chunk = await this.read(from, spanFrom(from), pool);
    }
    let at = 0;
    let first: BatchPosition | null = null;
    while (at + RECORD_BATCH_HEADER_SIZE <= chunk.length) {
      const batch = readBatchPosition(chunk, at, from + at);
      if (batch.size < RECORD_BATCH_HEADER_SIZE) break;
      if (batch.lastOffset >= startOffset) {
        first = batch;
        break;
      }
      at += batch.size;
    }
    // Batches larger than the chunk: fall back to a header scan.
    first ??= await this.translateOffset(startOffset, from + at);
    let length = 0;
    if (first && first.position < limit) {
      const available = limit - first.position;
      length = Math.min(available, maxBytes);
      if (length < first.size) length = minOneBatch ? Math.min(first.size, available) : 0;
    }
    if (!first || length === 0) {
      pool?.release(chunk);
      return first ? nothing : null;
    }
    const offsetInChunk = first.position - from;
    let records: Buffer;
    if (offsetInChunk + length <= chunk.length) {
      records = chunk.subarray(offsetInChunk, offsetInChunk + length);
    } else {
      pool?.release(chunk);
      records = await this.read(first.position, length, pool);
    }
    if (pool)
      this.startReadAhead(records, first.position, maxBytes + interval + READ_SLACK_BYTES, pool);
    return { records, firstBatchOffset: first.baseOffset };
  }

  /**
   * What was read ahead, when it starts at the batch of `offset` (as a sequential reader's
   * next fetch does), cut at `limit`; any other read ahead is dropped.
   */
  private async takeReadAhead(
    offset: bigint,
    limit: number,
  ): Promise<{ position: number; chunk: Buffer } | null> {
    const ahead = this.readAhead;
    if (ahead === null) return null;
    // Not started (the reader came back within the same turn): reading now is quicker.
    if (ahead.offset !== offset || ahead.data === null) {
      this.dropReadAhead();
      return null;
    }
    this.readAhead = null;
    // Taken: from now on the pool may not drop it to make room for others.
    ahead.pool.endAhead(ahead);
    const chunk = await ahead.data;
    if (
      chunk.length < RECORD_BATCH_HEADER_SIZE ||
      ahead.position + RECORD_BATCH_HEADER_SIZE > limit
    ) {
      ahead.pool.release(chunk);
      return null;
    }
    return {
      position: ahead.position,
      chunk: chunk.subarray(0, Math.min(chunk.length, limit - ahead.position)),
    };
  }

  /**
   * A reader that got `records` (read from `position`) most likely asks next for the batch
   * after the last whole one. That read is made as soon as the current answer has been
   * written (a thread-pool read started earlier would take the core from the socket write
   * the reader waits for), so the next fetch finds its data in memory.
   */
  private startReadAhead(
    records: Buffer,
    position: number,
    span: number,
    pool: ReadBufferPool,
  ): void {
    // Only batch sizes are read on the way: this runs for every fetch.
    let at = 0;
    let last = -1;
    while (at + RECORD_BATCH_HEADER_SIZE <= records.length) {
      const size = records.readInt32BE(at + BATCH_LENGTH_AT) + LOG_OVERHEAD;
      if (size < RECORD_BATCH_HEADER_SIZE || at + size > records.length) break;
      last = at;
      at += size;
    }
    const next = position + at;
    if (last < 0 || next >= this.writtenSize) return;
    if (this.tail.length > 0 && next >= this.tail[0].position) return;
    this.dropReadAhead();
    const entry: ReadAhead = {
      offset: readBatchPosition(records, last, position + last).lastOffset + 1n,
      position: next,
      pool,
      data: null,
    };
    this.readAhead = entry;
    setImmediate(() => {
      const length = Math.min(span, this.writtenSize - next);
      if (this.readAhead !== entry || length <= 0) return;
      const out = pool.acquireAhead(entry, length, () => this.dropReadAhead(entry));
      if (out === null) {
        this.readAhead = null;
        return;
      }
      entry.data = this.readFile(out, next).catch(() => {
        pool.release(out);
        return EMPTY_BUFFER;
      });
    });
  }

  /** Forgets the read made ahead; its memory goes back to the pool once the read is done. */
  private dropReadAhead(entry: ReadAhead | null = this.readAhead): void {
    if (entry === null) return;
    if (this.readAhead === entry) this.readAhead = null;
    entry.pool.endAhead(entry);
    void entry.data?.then((data) => entry.pool.release(data));
  }

  /** The first batch whose last offset is >= `offset`, searching from the index. */
  async translateOffset(offset: bigint, startingPosition = 0): Promise<BatchPosition | null> {
    const hint = this.offsetIndex.lookup(offset);
    const from = Math.max(hint.position, startingPosition);
    for await (const batch of this.scan(from)) {
      if (batch.lastOffset >= offset) return batch;
    }
    return null;
  }

  /**
   * The first batch whose max timestamp is >= `timestamp` (ListOffsets by time), starting
   * no earlier than `startingOffset`.
   */
  async findBatchByTimestamp(
    timestamp: bigint,
    startingOffset: bigint,
  ): Promise<BatchPosition | null> {
    const fromTime = this.timeIndex.lookup(timestamp);
    const startOffset = fromTime.offset > startingOffset ? fromTime.offset : startingOffset;
    const from = this.offsetIndex.lookup(startOffset).position;
    for await (const batch of this.scan(from)) {
      if (batch.maxTimestamp >= timestamp && batch.lastOffset >= startingOffset) return batch;
    }
    return null;
  }

  /**
   * Validates every batch (framing and CRC) from the start, rebuilds both indexes, and
   * truncates a torn or corrupt tail. Used after an unclean shutdown and when an index
   * is missing or broken.
   */
  async recover(maxBatchSize: number): Promise<RecoveryResult> {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.size = 0;
    this.writtenSize = Number.MAX_SAFE_INTEGER;
    this.bytesSinceLastIndexEntry = 0;
    this.maxTimestampSoFar = -1n;
    this.offsetOfMaxTimestampSoFar = this.baseOffset;
    this.rollingBasedTimestamp = null;
    this.nextOffset = this.baseOffset;
    this.dropTailCache();
    const fileSize = (await stat(this.paths.log)).size;
    this.writtenSize = fileSize;
    const result: RecoveryResult = {
      validBytes: 0,
      truncatedBytes: 0,
      firstInvalidOffset: null,
      batches: 0,
      epochs: [],
    };
    let position = 0;
    scan: while (position < fileSize) {
      let chunk: Buffer = await this.read(
        position,
        Math.min(RECOVERY_CHUNK_BYTES, fileSize - position),
      );
      let at = 0;
      while (at < chunk.length) {
        let size: number;
        try {
          size = frameBatch(chunk, at, chunk.length, maxBatchSize);
        } catch {
          break scan;
        }
        if (size < 0) {
          if (at > 0) break; // the next chunk starts with this batch
          // One batch larger than the chunk: read it whole, if the file holds it.
          const declared =
            chunk.length >= LOG_OVERHEAD ? chunk.readInt32BE(BATCH_LENGTH_AT) + LOG_OVERHEAD : -1;
          if (declared <= chunk.length || declared > maxBatchSize || position + declared > fileSize)
            break scan;
          chunk = await this.read(position, declared);
          continue;
        }
        if (!this.acceptRecovered(RecordBatch.at(chunk.subarray(0, at + size), at), result))
          break scan;
        at += size;
      }
      position += at;
    }
    result.validBytes = this.size;
    result.truncatedBytes = fileSize - this.size;
    if (result.truncatedBytes > 0) {
      result.firstInvalidOffset = this.nextOffset;
      await truncate(this.paths.log, this.size);
    }
    this.writtenSize = this.size;
    this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
    // Reopened lazily on the next read or write; idle segments hold no descriptor.
    await this.close();
    return result;
  }

  private acceptRecovered(view: RecordBatch, result: RecoveryResult): boolean {
    if (!view.isValid()) return false;
    // Offsets only grow within a log; a batch that goes backwards is corruption.
    if (view.baseOffset < this.nextOffset || view.lastOffset < view.baseOffset) return false;
    const epoch = view.partitionLeaderEpoch;
    const lastEpoch = result.epochs.length > 0 ? result.epochs[result.epochs.length - 1][0] : -1;
    if (epoch >= 0 && epoch > lastEpoch) result.epochs.push([epoch, view.baseOffset]);
    this.registerAppend(view.sizeInBytes, view.lastOffset, view.maxTimestamp);
    result.batches++;
    return true;
  }

  /**
   * Drops every batch whose last offset is >= `offset` (a batch straddling the offset
   * goes whole, as in Kafka). Returns the bytes removed.
   */
  async truncateTo(offset: bigint): Promise<number> {
    const batch = await this.translateOffset(offset);
    if (!batch) return 0;
    const removed = this.size - batch.position;
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    await truncate(this.paths.log, batch.position);
    this.size = batch.position;
    this.writtenSize = batch.position;
    this.dropTailCache();
    this.dropReadAhead();
    await this.recomputeTailState();
    return removed;
  }

  private async recomputeTailState(): Promise<void> {
    this.nextOffset = this.baseOffset;
    this.maxTimestampSoFar = -1n;
    this.offsetOfMaxTimestampSoFar = this.baseOffset;
    this.rollingBasedTimestamp = null;
    const last = this.timeIndex.lastEntry;
    if (last) {
      this.maxTimestampSoFar = last.timestamp;
      this.offsetOfMaxTimestampSoFar = last.offset;
    }
    const fromIndex = this.offsetIndex.lookup(this.baseOffset + 0x7fffffffn);
    for await (const batch of this.scan(0, this.size)) {
      if (this.rollingBasedTimestamp === null) this.rollingBasedTimestamp = batch.maxTimestamp;
      if (batch.position < fromIndex.position) continue;
      this.nextOffset = batch.lastOffset + 1n;
      if (batch.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = batch.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = batch.lastOffset;
      }
    }
    this.bytesSinceLastIndexEntry = this.size - fromIndex.position;
  }

  /** Called when the segment stops being active: the final time index entry; flushed by the log. */
  seal(): void {
    this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
    this.dropTailCache();
  }

  /** fsyncs the log and writes the indexes. */
  async flush(): Promise<void> {
    if (this.handle) await this.handle.sync();
    await this.offsetIndex.flush(true);
    await this.timeIndex.flush(true);
  }

  /** Writes index entries without fsync (clean shutdown does fsync via flush()). */
  async writeIndexes(): Promise<void> {
    await this.offsetIndex.flush(false);
    await this.timeIndex.flush(false);
  }

  async close(): Promise<void> {
    this.dropReadAhead();
    if (this.opening) await this.opening.catch(() => undefined);
    if (this.writing) await this.writing.catch(() => undefined);
    const handle = this.handle;
    this.handle = null;
    if (handle) await handle.close();
  }

  async deleteFiles(): Promise<void> {
    await this.close();
    for (const path of Object.values(this.paths)) await rm(path, { force: true });
  }
}

/**
 * How a batch is kept in the tail cache: as the slice it is (of its request frame, or of a
 * socket read of at most 64 KiB), charged the whole allocation it keeps alive. Only a slice
 * of something larger than that and than twice the batch is copied, so the cache never
 * keeps a big buffer alive.
 */
export function tailCacheEntry(buf: Buffer): { buf: Buffer; charge: number } {
  const allocation = buf.buffer.byteLength;
  if (allocation <= Math.max(buf.length * 2, MAX_SHARED_ALLOCATION_BYTES)) {
    return { buf, charge: Math.max(buf.length, allocation) };
  }
  const copy = Buffer.allocUnsafeSlow(buf.length);
  buf.copy(copy);
  return { buf: copy, charge: buf.length };
}

const MAX_SHARED_ALLOCATION_BYTES = 64 * 1024;

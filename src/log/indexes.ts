import { open, readFile } from 'node:fs/promises';

/**
 * The sparse indexes of a segment, in Kafka's file formats:
 *   .index      8-byte entries: relative offset int32, file position int32
 *   .timeindex 12-byte entries: timestamp int64, relative offset int32
 * Entries are kept in memory and written to the file on flush; the file of a segment
 * that was flushed is complete, and recovery rebuilds the rest from the log.
 */

export class IndexCorruptError extends Error {
  override readonly name = 'IndexCorruptError';
}

abstract class SparseIndex {
  protected entries: Buffer;
  protected count = 0;
  /** The file did not exist when loaded: a non-empty segment needs its index rebuilt. */
  missingFile = false;
  /** Entries already written to the file; -1 forces a full rewrite on the next flush. */
  private persisted = 0;

  constructor(
    readonly path: string,
    readonly baseOffset: bigint,
    readonly maxEntries: number,
    protected readonly entrySize: number,
  ) {
    this.entries = Buffer.alloc(0);
  }

  get entryCount(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }

  protected relativeOffsetAt(i: number): number {
    return this.entries.readInt32BE(i * this.entrySize + this.relativeOffsetField);
  }

  protected abstract readonly relativeOffsetField: number;

  protected slot(): number {
    if (this.isFull)
      throw new RangeError(`index ${this.path} is full (${this.maxEntries} entries)`);
    const needed = (this.count + 1) * this.entrySize;
    if (needed > this.entries.length) {
      const grown = Buffer.alloc(
        Math.min(
          this.maxEntries * this.entrySize,
          Math.max(needed, this.entries.length * 2, 64 * this.entrySize),
        ),
      );
      this.entries.copy(grown, 0, 0, this.count * this.entrySize);
      this.entries = grown;
    }
    return this.count++ * this.entrySize;
  }

  toRelative(offset: bigint): number {
    const rel = offset - this.baseOffset;
    if (rel < 0n || rel > 0x7fffffffn)
      throw new RangeError(`offset ${offset} out of range for index base ${this.baseOffset}`);
    return Number(rel);
  }

  /** Index of the last entry whose key is <= target, or -1. Keys are ascending. */
  protected floorIndex(target: number, keyAt: (i: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Drops every entry whose relative offset is >= the given relative offset. */
  protected truncateToRelative(relative: number): void {
    const keep = this.floorIndex(relative - 1, (i) => this.relativeOffsetAt(i)) + 1;
    if (keep < this.count) {
      this.count = keep;
      this.persisted = -1;
    }
  }

  reset(): void {
    this.count = 0;
    this.persisted = -1;
  }

  /** Loads entries from the file; a missing file is an empty index. */
  protected async loadEntries(): Promise<void> {
    let data: Buffer;
    try {
      data = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.persisted = -1;
        this.missingFile = true;
        return;
      }
      throw err;
    }
    if (data.length % this.entrySize !== 0) {
      throw new IndexCorruptError(
        `${this.path}: size ${data.length} is not a multiple of ${this.entrySize}`,
      );
    }
    if (data.length / this.entrySize > this.maxEntries) {
      throw new IndexCorruptError(
        `${this.path}: ${data.length / this.entrySize} entries exceed the maximum ${this.maxEntries}`,
      );
    }
    // fs/promises readFile returns an empty file as a 0-byte view of a 64 KiB buffer
    // (Node 20): keeping it would pin 128 KiB per idle segment.
    this.entries = data.length > 0 ? data : Buffer.alloc(0);
    this.count = data.length / this.entrySize;
    this.persisted = this.count;
    this.sanityCheck();
  }

  protected abstract sanityCheck(): void;

  /** Writes entries not yet in the file (or the whole index after a truncation). */
  private flushing: Promise<void> = Promise.resolve();

  /** Flushes run one after another: each appends from where the previous one ended. */
  flush(sync: boolean): Promise<void> {
    const run = this.flushing.then(() => this.writeUnpersisted(sync));
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async writeUnpersisted(sync: boolean): Promise<void> {
    if (this.persisted === this.count && !sync) return;
    const rewrite = this.persisted < 0;
    const handle = await open(this.path, rewrite ? 'w' : 'a');
    try {
      const from = rewrite ? 0 : this.persisted * this.entrySize;
      const to = this.count * this.entrySize;
      if (to > from) await handle.write(this.entries, from, to - from);
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
    this.persisted = this.count;
  }
}

export interface OffsetPosition {
  offset: bigint;
  position: number;
}

export class OffsetIndex extends SparseIndex {
  static readonly ENTRY_SIZE = 8;
  protected readonly relativeOffsetField = 0;

  constructor(path: string, baseOffset: bigint, maxIndexBytes: number) {
    super(
      path,
      baseOffset,
      Math.floor(maxIndexBytes / OffsetIndex.ENTRY_SIZE),
      OffsetIndex.ENTRY_SIZE,
    );
  }

  static async load(path: string, baseOffset: bigint, maxIndexBytes: number): Promise<OffsetIndex> {
    const index = new OffsetIndex(path, baseOffset, maxIndexBytes);
    await index.loadEntries();
    return index;
  }

  protected sanityCheck(): void {
    let previous = -1;
    for (let i = 0; i < this.count; i++) {
      const rel = this.relativeOffsetAt(i);
      const position = this.entries.readInt32BE(i * 8 + 4);
      if (rel <= previous || position < 0) {
        throw new IndexCorruptError(
          `${this.path}: entry ${i} (offset +${rel}, position ${position}) is out of order`,
        );
      }
      previous = rel;
    }
  }

  get lastOffset(): bigint {
    return this.count === 0
      ? this.baseOffset
      : this.baseOffset + BigInt(this.relativeOffsetAt(this.count - 1));
  }

  append(offset: bigint, position: number): void {
    const rel = this.toRelative(offset);
    if (this.count > 0 && rel <= this.relativeOffsetAt(this.count - 1)) {
      throw new RangeError(
        `index ${this.path}: offset ${offset} is not larger than the last entry`,
      );
    }
    const at = this.slot();
    this.entries.writeInt32BE(rel, at);
    this.entries.writeInt32BE(position, at + 4);
  }

  /** The last entry at or before `offset`, or the segment start. */
  lookup(offset: bigint): OffsetPosition {
    const rel = offset - this.baseOffset;
    if (rel < 0n || this.count === 0) return { offset: this.baseOffset, position: 0 };
    const target = rel > 0x7fffffffn ? 0x7fffffff : Number(rel);
    const i = this.floorIndex(target, (j) => this.relativeOffsetAt(j));
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    return {
      offset: this.baseOffset + BigInt(this.relativeOffsetAt(i)),
      position: this.entries.readInt32BE(i * 8 + 4),
    };
  }

  /**
   * A likely exact start for reading `offset`. Entries hold a batch's last offset with
   * its start, so `lookup` lands on the batch before the wanted one when that one starts
   * at `offset`. When the entry found ends right before `offset` and the next entry is
   * more than `indexIntervalBytes` further, the next entry is that very batch (the entry
   * is written for the batch following more than an interval of bytes). Callers check
   * the guess against the batch header and fall back to `lookup`.
   */
  lookupLikelyStart(offset: bigint, indexIntervalBytes: number): OffsetPosition {
    const floor = this.lookup(offset);
    if (floor.offset + 1n !== offset || this.count === 0) return floor;
    const i = this.floorIndex(Number(floor.offset - this.baseOffset), (j) =>
      this.relativeOffsetAt(j),
    );
    if (
      i < 0 ||
      i + 1 >= this.count ||
      this.relativeOffsetAt(i) !== Number(floor.offset - this.baseOffset)
    ) {
      return floor;
    }
    const next = this.entry(i + 1);
    return next.position - floor.position > indexIntervalBytes ? next : floor;
  }

  /** The last entry whose file position is <= `position`. */
  lookupPosition(position: number): OffsetPosition {
    const i = this.floorIndex(position, (j) => this.entries.readInt32BE(j * 8 + 4));
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    return {
      offset: this.baseOffset + BigInt(this.relativeOffsetAt(i)),
      position: this.entries.readInt32BE(i * 8 + 4),
    };
  }

  truncateTo(offset: bigint): void {
    const rel = offset - this.baseOffset;
    if (rel <= 0n) this.reset();
    else if (rel <= 0x7fffffffn) this.truncateToRelative(Number(rel));
  }

  entry(i: number): OffsetPosition {
    return {
      offset: this.baseOffset + BigInt(this.relativeOffsetAt(i)),
      position: this.entries.readInt32BE(i * 8 + 4),
    };
  }
}

export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
}

export class TimeIndex extends SparseIndex {
  static readonly ENTRY_SIZE = 12;
  protected readonly relativeOffsetField = 8;

  constructor(path: string, baseOffset: bigint, maxIndexBytes: number) {
    super(path, baseOffset, Math.floor(maxIndexBytes / TimeIndex.ENTRY_SIZE), TimeIndex.ENTRY_SIZE);
  }

  static async load(path: string, baseOffset: bigint, maxIndexBytes: number): Promise<TimeIndex> {
    const index = new TimeIndex(path, baseOffset, maxIndexBytes);
    await index.loadEntries();
    return index;
  }

  protected sanityCheck(): void {
    let previousTs = -1n << 63n;
    let previousRel = -1;
    for (let i = 0; i < this.count; i++) {
      const ts = this.entries.readBigInt64BE(i * 12);
      const rel = this.relativeOffsetAt(i);
      if (ts < previousTs || rel < previousRel) {
        throw new IndexCorruptError(
          `${this.path}: entry ${i} (timestamp ${ts}, offset +${rel}) is out of order`,
        );
      }
      previousTs = ts;
      previousRel = rel;
    }
  }

  get lastEntry(): TimestampOffset | null {
    return this.count === 0 ? null : this.entry(this.count - 1);
  }

  entry(i: number): TimestampOffset {
    return {
      timestamp: this.entries.readBigInt64BE(i * 12),
      offset: this.baseOffset + BigInt(this.relativeOffsetAt(i)),
    };
  }

  /** Adds an entry when the timestamp is newer than the last one, as Kafka does. */
  maybeAppend(timestamp: bigint, offset: bigint): void {
    // An empty index behaves as if its last entry were (NO_TIMESTAMP, base), as in Kafka.
    // Read in place: this runs for every indexed batch appended.
    if (this.count === 0) {
      if (timestamp <= -1n) return;
    } else {
      const last = this.count - 1;
      if (timestamp <= this.entries.readBigInt64BE(last * 12)) return;
      if (offset - this.baseOffset < BigInt(this.relativeOffsetAt(last))) return;
    }
    if (this.isFull) return;
    const at = this.slot();
    this.entries.writeBigInt64BE(timestamp, at);
    this.entries.writeInt32BE(this.toRelative(offset), at + 8);
  }

  /** The last entry with timestamp <= `timestamp`, or the segment start. */
  lookup(timestamp: bigint): TimestampOffset {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries.readBigInt64BE(mid * 12) <= timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? { timestamp: -1n, offset: this.baseOffset } : this.entry(found);
  }

  truncateTo(offset: bigint): void {
    const rel = offset - this.baseOffset;
    if (rel <= 0n) this.reset();
    else if (rel <= 0x7fffffffn) this.truncateToRelative(Number(rel));
  }
}

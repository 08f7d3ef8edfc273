import { hash } from 'node:crypto';

const HASH_BYTES = 16;
const OFFSET_BYTES = 8;
const ENTRY_BYTES = HASH_BYTES + OFFSET_BYTES;
/** Distinct 4-byte windows of the hash tried as slots before falling back to linear probing. */
const HASH_WINDOWS = HASH_BYTES - 3;

/**
 * The cleaner's key → latest offset summary of the dirty part of a log, laid out as
 * Kafka's SkimpyOffsetMap: a fixed-size open-addressing table of 24-byte entries (a
 * 16-byte key digest and the offset), so its memory is exactly the configured budget
 * however many keys the log holds.
 *
 * Keys are identified by digest, not by their bytes. The digest is SHA-256 cut to 128
 * bits (Kafka uses MD5, which has practical collision attacks; a collision here would
 * let one key's record delete another's).
 */
export class OffsetMap {
  static readonly bytesPerEntry = ENTRY_BYTES;
  readonly slots: number;
  private readonly table: Buffer;
  private entries = 0;
  private latest = -1n;
  /** Lookups and probes since the last clear, for the collision rate. */
  private lookups = 0;
  private probes = 0;

  constructor(memoryBytes: number) {
    this.slots = Math.floor(memoryBytes / ENTRY_BYTES);
    if (this.slots < 1) {
      throw new RangeError(`an offset map needs at least ${ENTRY_BYTES} bytes, got ${memoryBytes}`);
    }
    this.table = Buffer.alloc(this.slots * ENTRY_BYTES);
  }

  /** Keys mapped. */
  get size(): number {
    return this.entries;
  }

  /** Fraction of slots in use. */
  get utilization(): number {
    return this.entries / this.slots;
  }

  /** Average slots visited per lookup; 1 means no collisions. */
  get probesPerLookup(): number {
    return this.lookups === 0 ? 1 : this.probes / this.lookups;
  }

  /** The last offset the map accounts for (every key at or below it is mapped), or -1. */
  get latestOffset(): bigint {
    return this.latest;
  }

  updateLatestOffset(offset: bigint): void {
    if (offset > this.latest) this.latest = offset;
  }

  clear(): void {
    if (this.entries > 0) this.table.fill(0);
    this.entries = 0;
    this.latest = -1n;
    this.lookups = 0;
    this.probes = 0;
  }

  /** Records `offset` as the latest offset of `key` (offsets are put in increasing order). */
  put(key: Buffer, offset: bigint): void {
    const digest = digestOf(key);
    const at = this.find(digest);
    // Offsets are stored plus one so that an all-zero entry means "empty".
    if (this.table.readBigInt64BE(at + HASH_BYTES) === 0n) {
      digest.copy(this.table, at);
      this.entries++;
    }
    this.table.writeBigInt64BE(offset + 1n, at + HASH_BYTES);
    this.updateLatestOffset(offset);
  }

  /** The latest offset of `key`, or -1 when the map does not hold it. */
  get(key: Buffer): bigint {
    const at = this.find(digestOf(key));
    return this.table.readBigInt64BE(at + HASH_BYTES) - 1n;
  }

  /** Byte position of the entry for `digest`, or of the empty entry where it belongs. */
  private find(digest: Buffer): number {
    if (this.entries >= this.slots && !this.holds(digest)) {
      throw new RangeError('offset map is full');
    }
    this.lookups++;
    let slot = 0;
    for (let attempt = 0; ; attempt++) {
      slot =
        attempt < HASH_WINDOWS
          ? digest.readUInt32BE(attempt) % this.slots
          : (slot + 1) % this.slots;
      this.probes++;
      const at = slot * ENTRY_BYTES;
      if (this.table.readBigInt64BE(at + HASH_BYTES) === 0n) return at;
      if (this.table.compare(digest, 0, HASH_BYTES, at, at + HASH_BYTES) === 0) return at;
    }
  }

  /** Full-table check, only needed when no empty slot is left. */
  private holds(digest: Buffer): boolean {
    for (let at = 0; at < this.table.length; at += ENTRY_BYTES) {
      if (this.table.compare(digest, 0, HASH_BYTES, at, at + HASH_BYTES) === 0) return true;
    }
    return false;
  }
}

function digestOf(key: Buffer): Buffer {
  return hash('sha256', key, 'buffer').subarray(0, HASH_BYTES);
}

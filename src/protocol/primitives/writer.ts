import { uuidToBytes } from './uuid.js';

/** Slices at least this large are referenced, not copied, by Writer.raw(). */
const ZERO_COPY_THRESHOLD = 4096;
const INITIAL_CAPACITY = 256;

/**
 * A growable big-endian writer. Large byte slices (record batches) are kept by
 * reference as separate chunks, so a response carrying a megabyte of records costs no
 * copy: toBuffers() yields the header bytes and the record slices for a vectored write.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  private readonly chunks: Buffer[] = [];
  private chunkedBytes = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.chunkedBytes + this.pos;
  }

  private ensure(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, at + n));
      this.buf.copy(next, 0, 0, at);
      this.buf = next;
    }
    this.pos = at + n;
    return at;
  }

  bool(v: boolean): this {
    const at = this.ensure(1);
    this.buf[at] = v ? 1 : 0;
    return this;
  }
  int8(v: number): this {
    const at = this.ensure(1);
    this.buf.writeInt8(v, at);
    return this;
  }
  int16(v: number): this {
    const at = this.ensure(2);
    this.buf.writeInt16BE(v, at);
    return this;
  }
  uint16(v: number): this {
    const at = this.ensure(2);
    this.buf.writeUInt16BE(v, at);
    return this;
  }
  int32(v: number): this {
    const at = this.ensure(4);
    this.buf.writeInt32BE(v, at);
    return this;
  }
  uint32(v: number): this {
    const at = this.ensure(4);
    this.buf.writeUInt32BE(v, at);
    return this;
  }
  int64(v: bigint): this {
    const at = this.ensure(8);
    this.buf.writeBigInt64BE(v, at);
    return this;
  }
  float64(v: number): this {
    const at = this.ensure(8);
    this.buf.writeDoubleBE(v, at);
    return this;
  }
  uuid(v: string): this {
    const at = this.ensure(16);
    uuidToBytes(v).copy(this.buf, at);
    return this;
  }

  uvarint(v: number): this {
    let value = v >>> 0;
    while (value >= 0x80) {
      const at = this.ensure(1);
      this.buf[at] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    const at = this.ensure(1);
    this.buf[at] = value;
    return this;
  }
  varint(v: number): this {
    return this.uvarint((v << 1) ^ (v >> 31));
  }
  varlong(v: bigint | number): this {
    const big = BigInt.asIntN(64, BigInt(v));
    let value = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
    while (value >= 0x80n) {
      const at = this.ensure(1);
      this.buf[at] = Number(value & 0x7fn) | 0x80;
      value >>= 7n;
    }
    const at = this.ensure(1);
    this.buf[at] = Number(value);
    return this;
  }

  private text(v: string, len: number): void {
    const at = this.ensure(len);
    this.buf.write(v, at, len, 'utf8');
  }

  string(v: string): this {
    const len = Buffer.byteLength(v, 'utf8');
    this.int16(len);
    this.text(v, len);
    return this;
  }
  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    return this.string(v);
  }
  compactString(v: string): this {
    const len = Buffer.byteLength(v, 'utf8');
    this.uvarint(len + 1);
    this.text(v, len);
    return this;
  }
  compactNullableString(v: string | null): this {
    if (v === null) return this.uvarint(0);
    return this.compactString(v);
  }

  bytes(v: Buffer): this {
    this.int32(v.length);
    return this.raw(v);
  }
  nullableBytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    return this.bytes(v);
  }
  compactBytes(v: Buffer): this {
    this.uvarint(v.length + 1);
    return this.raw(v);
  }
  compactNullableBytes(v: Buffer | null): this {
    if (v === null) return this.uvarint(0);
    return this.compactBytes(v);
  }

  /** Appends bytes; large slices are referenced rather than copied. */
  raw(v: Buffer): this {
    if (v.length >= ZERO_COPY_THRESHOLD) {
      this.flushChunk();
      this.chunks.push(v);
      this.chunkedBytes += v.length;
    } else {
      const at = this.ensure(v.length);
      v.copy(this.buf, at);
    }
    return this;
  }

  /** Appends another writer's output. */
  append(other: Writer): this {
    for (const b of other.toBuffers()) this.raw(b);
    return this;
  }

  private flushChunk(): void {
    if (this.pos > 0) {
      this.chunks.push(this.buf.subarray(0, this.pos));
      this.chunkedBytes += this.pos;
      this.buf = Buffer.allocUnsafe(Math.max(INITIAL_CAPACITY, this.buf.length - this.pos));
      this.pos = 0;
    }
  }

  toBuffers(): Buffer[] {
    if (this.pos === 0) return this.chunks.slice();
    return [...this.chunks, this.buf.subarray(0, this.pos)];
  }

  toBuffer(): Buffer {
    const parts = this.toBuffers();
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, this.length);
  }
}

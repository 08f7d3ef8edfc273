import { DecodeError } from './decode-error.js';
import { uuidFromBytes } from './uuid.js';

/**
 * A cursor over a Buffer. Every read checks bounds first, so truncated or hostile input
 * becomes a DecodeError and no read allocates more than the remaining input justifies.
 * Byte fields are returned as slices of the input (zero-copy).
 */
export class Reader {
  offset: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
  ) {
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): number {
    const at = this.offset;
    if (n > this.end - at) {
      throw new DecodeError(`need ${n} bytes at offset ${at}, only ${this.end - at} remain`);
    }
    this.offset = at + n;
    return at;
  }

  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }
  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }
  uuid(): string {
    const at = this.need(16);
    return uuidFromBytes(this.buf, at);
  }

  /** Unsigned LEB128, at most 5 bytes, as Kafka's ByteUtils.readUnsignedVarint. */
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.buf[this.need(1)];
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
    throw new DecodeError(`varint longer than 5 bytes at offset ${this.offset}`);
  }

  /** Zig-zag signed varint (32-bit). */
  varint(): number {
    const raw = this.uvarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zig-zag signed varlong (64-bit), at most 10 bytes. */
  varlong(): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.need(1)];
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (value >> 1n) ^ -(value & 1n);
      shift += 7n;
    }
    throw new DecodeError(`varlong longer than 10 bytes at offset ${this.offset}`);
  }

  /** A varlong that must fit a JS number exactly (record timestamp and offset deltas). */
  varlongNumber(): number {
    // Up to 7 bytes (49 bits) a double holds the value exactly: no bigint needed.
    const start = this.offset;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.buf[this.need(1)];
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      scale *= 128;
    }
    this.offset = start;
    const v = this.varlong();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new DecodeError(`varlong ${v} out of safe integer range`);
    }
    return Number(v);
  }

  private lengthOf(len: number, what: string): number {
    if (len < 0) throw new DecodeError(`negative ${what} length ${len} at offset ${this.offset}`);
    if (len > this.remaining) {
      throw new DecodeError(
        `${what} length ${len} exceeds the ${this.remaining} bytes remaining at offset ${this.offset}`,
      );
    }
    return len;
  }

  private text(len: number): string {
    const at = this.need(this.lengthOf(len, 'string'));
    return this.buf.toString('utf8', at, at + len);
  }

  private slice(len: number): Buffer {
    const at = this.need(this.lengthOf(len, 'bytes'));
    return this.buf.subarray(at, at + len);
  }

  string(): string {
    const len = this.int16();
    if (len < 0) throw new DecodeError(`null string where a non-null one is required`);
    return this.text(len);
  }
  nullableString(): string | null {
    const len = this.int16();
    return len === -1 ? null : this.text(len);
  }
  compactString(): string {
    const len = this.uvarint() - 1;
    if (len < 0) throw new DecodeError(`null compact string where a non-null one is required`);
    return this.text(len);
  }
  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    return len === -1 ? null : this.text(len);
  }

  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new DecodeError(`null bytes where non-null are required`);
    return this.slice(len);
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    return len === -1 ? null : this.slice(len);
  }
  compactBytes(): Buffer {
    const len = this.uvarint() - 1;
    if (len < 0) throw new DecodeError(`null compact bytes where non-null are required`);
    return this.slice(len);
  }
  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    return len === -1 ? null : this.slice(len);
  }

  /** Bytes of a known length (records, varint-prefixed record fields). */
  raw(len: number): Buffer {
    return this.slice(len);
  }

  /** An array count; Kafka refuses counts larger than the bytes that remain. */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n > this.remaining) {
      throw new DecodeError(
        `array of ${n} elements cannot fit in the ${this.remaining} bytes remaining at offset ${this.offset}`,
      );
    }
    return n;
  }

  skip(n: number): void {
    this.need(this.lengthOf(n, 'skipped field'));
  }
}

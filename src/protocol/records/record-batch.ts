import { crc32c } from '../crc32c.js';
import { decompress, type CompressionTypeId } from '../compression/index.js';
import { CorruptRecordError, InvalidRecordError, UnsupportedMagicError } from './errors.js';
import { readRecords, type KafkaRecord, type RecordIterationOptions } from './records.js';

/** Byte positions of the v2 batch header fields, relative to the start of the batch. */
const BASE_OFFSET = 0;
const BATCH_LENGTH = 8;
const PARTITION_LEADER_EPOCH = 12;
const MAGIC = 16;
const CRC = 17;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const BASE_TIMESTAMP = 27;
const MAX_TIMESTAMP = 35;
const PRODUCER_ID = 43;
const PRODUCER_EPOCH = 51;
const BASE_SEQUENCE = 53;
const RECORDS_COUNT = 57;

/** baseOffset + batchLength: the framing that precedes what batchLength counts. */
export const LOG_OVERHEAD = 12;
/** Full v2 header; the records (or their compressed form) follow it. */
export const RECORD_BATCH_HEADER_SIZE = 61;
/** Smallest legal batchLength: a header with no records. */
export const MIN_BATCH_LENGTH = RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD;
/** Bytes needed before the magic byte can be read and the format decided. */
export const HEADER_SIZE_UP_TO_MAGIC = MAGIC + 1;
export const CURRENT_MAGIC = 2;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1n;

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampTypeId = (typeof TimestampType)[keyof typeof TimestampType];

/** Attribute bits; bits 0-2 hold the compression id. */
export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;
export const DELETE_HORIZON_BIT = 0x40;

/** Highest compression id this broker knows (zstd). */
const MAX_COMPRESSION_ID = 4;

const INT32_MAX = 0x7fffffff;

export interface RecordDecodeOptions extends RecordIterationOptions {
  /**
   * Upper bound on the inflated size of a compressed batch (decompression-bomb guard);
   * defaults to the compression module's DEFAULT_MAX_DECOMPRESSED_BYTES.
   */
  maxDecompressedBytes?: number;
}

export interface BatchVerifyOptions {
  /**
   * Produce-time rules (Kafka's LogValidator): at least one record and
   * recordsCount == lastOffsetDelta + 1. Batches rewritten by compaction may break these
   * legitimately, so the rule is opt-in.
   */
  requireContiguousOffsets?: boolean;
}

/**
 * Frames the batch that starts at `position`, without trusting anything beyond `end`.
 * Returns its total size in bytes, or -1 when [position, end) holds only the start of it
 * (a fetch response may legitimately end that way). Throws on bytes that cannot be a v2
 * batch; legacy message sets (magic 0/1) get UnsupportedMagicError so the caller can
 * answer with a Kafka error code.
 */
export function frameBatch(
  buf: Buffer,
  position: number,
  end = buf.length,
  maxBatchSize = Infinity,
): number {
  const available = end - position;
  if (available < HEADER_SIZE_UP_TO_MAGIC) return -1;
  // The magic byte decides how everything else is laid out, so read it before trusting sizes.
  const magic = buf.readInt8(position + MAGIC);
  if (magic === 0 || magic === 1) throw new UnsupportedMagicError(magic, position);
  if (magic !== CURRENT_MAGIC) {
    throw new CorruptRecordError(`unknown record batch magic ${magic} at offset ${position}`);
  }
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptRecordError(
      `record batch at offset ${position} declares length ${batchLength}, below the minimum ${MIN_BATCH_LENGTH}`,
    );
  }
  const size = batchLength + LOG_OVERHEAD;
  if (size > maxBatchSize) {
    throw new CorruptRecordError(
      `record batch at offset ${position} is ${size} bytes, above the limit of ${maxBatchSize}`,
    );
  }
  return size > available ? -1 : size;
}

/** Kafka's sequence arithmetic: sequences wrap from int32 max back to 0, not to negatives. */
function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

/**
 * A zero-copy view of one v2 record batch inside a larger Buffer (a Produce request, a
 * segment chunk). Header getters read the bytes in place; setters patch them in place.
 * The view never copies the batch, so verifying or stamping a megabyte batch costs a
 * CRC pass and a few writes, never a walk over its records.
 */
export class RecordBatch {
  readonly buf: Buffer;
  /** Where the batch starts inside `buf`. */
  readonly position: number;

  /**
   * Checks the framing (magic 2, a sane batchLength, the whole batch inside `buf`) so that
   * every getter stays in bounds, unless the caller has `framed` it with frameBatch; the
   * CRC is left to verify()/isValid().
   */
  constructor(buf: Buffer, position = 0, framed = false) {
    this.buf = buf;
    this.position = position;
    // The batch iterator has just framed it.
    if (framed) return;
    if (!Number.isInteger(position) || position < 0 || position > buf.length) {
      throw new RangeError(`batch position ${position} outside a buffer of ${buf.length} bytes`);
    }
    const size = frameBatch(buf, position, buf.length);
    if (size < 0) {
      throw new CorruptRecordError(
        `truncated record batch at offset ${position}: only ${buf.length - position} bytes available`,
      );
    }
  }

  static at(buf: Buffer, position = 0): RecordBatch {
    return new RecordBatch(buf, position);
  }

  get baseOffset(): bigint {
    return this.buf.readBigInt64BE(this.position + BASE_OFFSET);
  }
  get batchLength(): number {
    return this.buf.readInt32BE(this.position + BATCH_LENGTH);
  }
  get partitionLeaderEpoch(): number {
    return this.buf.readInt32BE(this.position + PARTITION_LEADER_EPOCH);
  }
  get magic(): number {
    return this.buf.readInt8(this.position + MAGIC);
  }
  /** The stored CRC-32C, unsigned. */
  get crc(): number {
    return this.buf.readUInt32BE(this.position + CRC);
  }
  get attributes(): number {
    return this.buf.readInt16BE(this.position + ATTRIBUTES);
  }
  /** Raw compression id from the attributes (0-7; only 0-4 are defined). */
  get compression(): number {
    return this.attributes & COMPRESSION_MASK;
  }
  get isCompressed(): boolean {
    return this.compression !== 0;
  }
  get timestampType(): TimestampTypeId {
    return (this.attributes & TIMESTAMP_TYPE_BIT) === 0
      ? TimestampType.CreateTime
      : TimestampType.LogAppendTime;
  }
  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_BIT) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & CONTROL_BIT) !== 0;
  }
  get hasDeleteHorizon(): boolean {
    return (this.attributes & DELETE_HORIZON_BIT) !== 0;
  }
  /** When the delete-horizon bit is set, compaction stored the horizon in baseTimestamp. */
  get deleteHorizonMs(): bigint | null {
    return this.hasDeleteHorizon ? this.baseTimestamp : null;
  }
  get lastOffsetDelta(): number {
    return this.buf.readInt32BE(this.position + LAST_OFFSET_DELTA);
  }
  get baseTimestamp(): bigint {
    return this.buf.readBigInt64BE(this.position + BASE_TIMESTAMP);
  }
  get maxTimestamp(): bigint {
    return this.buf.readBigInt64BE(this.position + MAX_TIMESTAMP);
  }
  get producerId(): bigint {
    return this.buf.readBigInt64BE(this.position + PRODUCER_ID);
  }
  get hasProducerId(): boolean {
    return this.producerId > NO_PRODUCER_ID;
  }
  get producerEpoch(): number {
    return this.buf.readInt16BE(this.position + PRODUCER_EPOCH);
  }
  get baseSequence(): number {
    return this.buf.readInt32BE(this.position + BASE_SEQUENCE);
  }
  /** Sequence of the last record, wrapping like Kafka; -1 when the batch carries no sequence. */
  get lastSequence(): number {
    const base = this.baseSequence;
    if (base === NO_SEQUENCE) return NO_SEQUENCE;
    return incrementSequence(base, this.lastOffsetDelta);
  }
  get recordCount(): number {
    return this.buf.readInt32BE(this.position + RECORDS_COUNT);
  }
  get lastOffset(): bigint {
    return this.baseOffset + BigInt(this.lastOffsetDelta);
  }
  get nextOffset(): bigint {
    return this.lastOffset + 1n;
  }
  get sizeInBytes(): number {
    return this.batchLength + LOG_OVERHEAD;
  }

  /** The batch's own bytes (a slice of `buf`, not a copy), ready to write out. */
  get bytes(): Buffer {
    const size = this.sizeInBytes;
    // A produce request usually carries one batch per partition: `buf` is then the batch.
    if (this.position === 0 && size === this.buf.length) return this.buf;
    return this.buf.subarray(this.position, this.position + size);
  }

  /** The bytes after the header: the records, or their compressed form. */
  get payload(): Buffer {
    return this.buf.subarray(
      this.position + RECORD_BATCH_HEADER_SIZE,
      this.position + this.sizeInBytes,
    );
  }

  /** CRC-32C over attributes..end, the span the stored CRC covers. */
  computeCrc(): number {
    return crc32c(this.buf.subarray(this.position + ATTRIBUTES, this.position + this.sizeInBytes));
  }

  /** Why the batch is corrupt, or null; cheap checks first so a bad length skips the CRC pass. */
  private corruption(): string | null {
    const magic = this.magic;
    if (magic !== CURRENT_MAGIC) return `record batch magic is ${magic}, expected ${CURRENT_MAGIC}`;
    const batchLength = this.batchLength;
    if (batchLength < MIN_BATCH_LENGTH) {
      return `record batch length ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`;
    }
    if (batchLength + LOG_OVERHEAD > this.buf.length - this.position) {
      return `record batch length ${batchLength} runs past the end of its buffer`;
    }
    const stored = this.crc;
    const computed = this.computeCrc();
    if (stored !== computed) {
      return `record batch is corrupt: stored crc ${stored} does not match computed crc ${computed}`;
    }
    return null;
  }

  /** True when magic, sizes and CRC-32C all check out. */
  isValid(): boolean {
    return this.corruption() === null;
  }

  /**
   * Throws CorruptRecordError (bad size, CRC, compression id), UnsupportedMagicError or
   * InvalidRecordError (record count/offset range rules) if the batch cannot be accepted.
   */
  verify(options: BatchVerifyOptions = {}): void {
    const magic = this.magic;
    if (magic === 0 || magic === 1) throw new UnsupportedMagicError(magic, this.position);
    const problem = this.corruption();
    if (problem !== null) throw new CorruptRecordError(problem);
    if (this.compression > MAX_COMPRESSION_ID) {
      throw new CorruptRecordError(`unknown compression type id ${this.compression}`);
    }
    const count = this.recordCount;
    if (count < 0) throw new InvalidRecordError(`invalid record count ${count}`);
    if (options.requireContiguousOffsets) {
      if (count === 0) throw new InvalidRecordError('record batch contains no records');
      const lastOffsetDelta = this.lastOffsetDelta;
      if (lastOffsetDelta < 0)
        throw new InvalidRecordError(`invalid lastOffsetDelta ${lastOffsetDelta}`);
      if (lastOffsetDelta + 1 !== count) {
        throw new InvalidRecordError(
          `inconsistent batch offset range (lastOffsetDelta ${lastOffsetDelta}) and record count ${count}`,
        );
      }
    }
  }

  /** Assigns the batch its log offset; outside the CRC, so no recomputation. */
  setBaseOffset(baseOffset: bigint): void {
    const at = this.position + BASE_OFFSET;
    // One BigInt conversion instead of writeBigInt64BE's shifts and masks: this runs for
    // every appended batch, and offsets stay far below 2^53.
    const value = Number(baseOffset);
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      this.buf.writeUInt32BE(Math.floor(value / 0x1_0000_0000), at);
      this.buf.writeUInt32BE(value % 0x1_0000_0000, at + 4);
    } else {
      this.buf.writeBigInt64BE(baseOffset, at);
    }
  }

  /** Stamps the leader epoch; outside the CRC by design, so no recomputation. */
  setPartitionLeaderEpoch(epoch: number): void {
    this.buf.writeInt32BE(epoch, this.position + PARTITION_LEADER_EPOCH);
  }

  /**
   * Rewrites maxTimestamp and, optionally, the timestamp type (LogAppendTime stamping).
   * Both lie inside the CRC span, so the CRC is recomputed: verify the batch first,
   * or this would bless a corrupt one.
   */
  setMaxTimestamp(maxTimestamp: bigint, timestampType: TimestampTypeId = this.timestampType): void {
    const attributes = this.attributes;
    const newAttributes =
      timestampType === TimestampType.LogAppendTime
        ? attributes | TIMESTAMP_TYPE_BIT
        : attributes & ~TIMESTAMP_TYPE_BIT;
    if (newAttributes === attributes && maxTimestamp === this.maxTimestamp) return;
    this.buf.writeInt16BE(newAttributes, this.position + ATTRIBUTES);
    this.buf.writeBigInt64BE(maxTimestamp, this.position + MAX_TIMESTAMP);
    this.updateCrc();
  }

  /** Broker-side LogAppendTime: every record's timestamp becomes `appendTime`. */
  setLogAppendTime(appendTime: bigint): void {
    this.setMaxTimestamp(appendTime, TimestampType.LogAppendTime);
  }

  /** Writes the CRC of the current contents. */
  updateCrc(): void {
    this.buf.writeUInt32BE(this.computeCrc(), this.position + CRC);
  }

  /**
   * Lazily parses the records of an uncompressed batch. Key, value and header values are
   * slices of `buf`. Compressed batches need decodeRecords()/recordsAsync().
   */
  records(options: RecordIterationOptions = {}): Generator<KafkaRecord, void, undefined> {
    if (this.isCompressed) {
      throw new Error(
        `batch is compressed (type ${this.compression}); use decodeRecords() or recordsAsync()`,
      );
    }
    return readRecords(this, this.payload, options);
  }

  /** The uncompressed record bytes: the payload itself, or its inflated form. */
  async recordBytes(options: RecordDecodeOptions = {}): Promise<Buffer> {
    const compression = this.compression;
    const payload = this.payload;
    if (compression === 0) return payload;
    if (compression > MAX_COMPRESSION_ID) {
      throw new CorruptRecordError(`unknown compression type id ${compression}`);
    }
    // A compacted batch may keep its header with every record removed.
    if (payload.length === 0 && this.recordCount === 0) return payload;
    return decompress(compression as CompressionTypeId, payload, options.maxDecompressedBytes);
  }

  /** Lazily parses the records, decompressing first when needed. */
  async *recordsAsync(
    options: RecordDecodeOptions = {},
  ): AsyncGenerator<KafkaRecord, void, undefined> {
    const bytes = await this.recordBytes(options);
    yield* readRecords(this, bytes, options);
  }

  /** All records, decompressing first when needed. */
  async decodeRecords(options: RecordDecodeOptions = {}): Promise<KafkaRecord[]> {
    const bytes = await this.recordBytes(options);
    return Array.from(readRecords(this, bytes, options));
  }

  [Symbol.asyncIterator](): AsyncGenerator<KafkaRecord, void, undefined> {
    return this.recordsAsync();
  }
}

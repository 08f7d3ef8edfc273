import { DecodeError } from '../primitives/decode-error.js';
import { Reader } from '../primitives/reader.js';
import { InvalidRecordError } from './errors.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record of a v2 batch. Key, value and header values are slices, never copies. */
export interface KafkaRecord {
  attributes: number;
  timestampDelta: number;
  /** baseTimestamp + timestampDelta, or the batch's maxTimestamp under LogAppendTime (as Kafka does). */
  timestamp: bigint;
  offsetDelta: number;
  /** baseOffset + offsetDelta. */
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordIterationOptions {
  /**
   * Produce-time rule: offset deltas must be exactly 0, 1, ..., recordsCount - 1 and
   * lastOffsetDelta must equal recordsCount - 1. Without it, the gaps that compaction
   * leaves are allowed, but deltas must still increase and stay within lastOffsetDelta.
   */
  requireContiguousOffsets?: boolean;
}

/** The header fields record parsing depends on; a RecordBatch provides them. */
export interface RecordBatchContext {
  readonly baseOffset: bigint;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly timestampType: number;
  readonly lastOffsetDelta: number;
  readonly recordCount: number;
}

/** A single-byte varlong is the common case; decode it without going through bigint. */
function readTimestampDelta(reader: Reader): number {
  if (reader.offset < reader.end) {
    const first = reader.buf[reader.offset];
    if (first < 0x80) {
      reader.offset += 1;
      return (first >>> 1) ^ -(first & 1);
    }
  }
  return reader.varlongNumber();
}

function readNullableBytes(reader: Reader, what: string): Buffer | null {
  const length = reader.varint();
  if (length === -1) return null;
  if (length < 0) throw new InvalidRecordError(`invalid ${what} length ${length}`);
  return reader.raw(length);
}

function readHeaders(reader: Reader): RecordHeader[] {
  const count = reader.varint();
  if (count < 0) throw new InvalidRecordError(`invalid header count ${count}`);
  // Each header takes at least two bytes (two varint lengths), so a larger count is a lie.
  if (count > reader.remaining / 2) {
    throw new InvalidRecordError(
      `header count ${count} cannot fit in the ${reader.remaining} remaining bytes`,
    );
  }
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    const keyLength = reader.varint();
    if (keyLength < 0) throw new InvalidRecordError(`invalid header key length ${keyLength}`);
    const keyStart = reader.offset;
    reader.skip(keyLength);
    const key = reader.buf.toString('utf8', keyStart, keyStart + keyLength);
    headers.push({ key, value: readNullableBytes(reader, 'header value') });
  }
  return headers;
}

/**
 * Lazily parses `batch.recordCount` records from `bytes` (the uncompressed record area).
 * Follows Kafka's rules: every record's declared length must be exactly what its fields
 * use, there must be exactly recordsCount records and no bytes after them, and offset
 * deltas must be consistent with lastOffsetDelta. Violations throw InvalidRecordError; no
 * allocation is sized from an unchecked count.
 */
export function* readRecords(
  batch: RecordBatchContext,
  bytes: Buffer,
  options: RecordIterationOptions = {},
): Generator<KafkaRecord, void, undefined> {
  const count = batch.recordCount;
  const lastOffsetDelta = batch.lastOffsetDelta;
  const contiguous = options.requireContiguousOffsets === true;
  if (count < 0) throw new InvalidRecordError(`invalid record count ${count}`);
  if (contiguous && (count === 0 || lastOffsetDelta + 1 !== count)) {
    throw new InvalidRecordError(
      `inconsistent batch offset range (lastOffsetDelta ${lastOffsetDelta}) and record count ${count}`,
    );
  }
  if (count === 0) {
    if (bytes.length !== 0) {
      throw new InvalidRecordError(
        `batch declares no records but carries ${bytes.length} record bytes`,
      );
    }
    return;
  }

  const baseOffset = batch.baseOffset;
  const baseTimestamp = batch.baseTimestamp;
  const logAppendTime = batch.timestampType === 1 ? batch.maxTimestamp : null;
  const end = bytes.length;
  let position = 0;
  let previousOffsetDelta = -1;

  for (let index = 0; index < count; index++) {
    if (position >= end) {
      throw new InvalidRecordError(
        `batch declares ${count} records but its data ends after ${index}`,
      );
    }
    let record: KafkaRecord;
    try {
      // The length is a 1- or 2-byte varint for any record up to 8 KiB: read those inline.
      const first = bytes[position];
      let bodyLength: number;
      let bodyStart: number;
      if (first < 0x80) {
        bodyLength = (first >>> 1) ^ -(first & 1);
        bodyStart = position + 1;
      } else if (position + 1 < end && bytes[position + 1] < 0x80) {
        const raw = (first & 0x7f) | (bytes[position + 1] << 7);
        bodyLength = (raw >>> 1) ^ -(raw & 1);
        bodyStart = position + 2;
      } else {
        const lengthReader = new Reader(bytes, position, end);
        bodyLength = lengthReader.varint();
        bodyStart = lengthReader.offset;
      }
      if (bodyLength < 0 || bodyLength > end - bodyStart) {
        throw new InvalidRecordError(
          `record ${index} declares ${bodyLength} bytes but only ${end - bodyStart} remain in the batch`,
        );
      }
      const bodyEnd = bodyStart + bodyLength;
      // Bounded by the record's own length, so a field can never read into the next record.
      const reader = new Reader(bytes, bodyStart, bodyEnd);
      const attributes = reader.int8();
      const timestampDelta = readTimestampDelta(reader);
      const offsetDelta = reader.varint();
      if (
        contiguous
          ? offsetDelta !== index
          : offsetDelta <= previousOffsetDelta || offsetDelta > lastOffsetDelta
      ) {
        throw new InvalidRecordError(
          `record ${index} has offset delta ${offsetDelta} (previous ${previousOffsetDelta}, lastOffsetDelta ${lastOffsetDelta})`,
        );
      }
      const key = readNullableBytes(reader, 'key');
      const value = readNullableBytes(reader, 'value');
      const headers = readHeaders(reader);
      if (reader.offset !== bodyEnd) {
        throw new InvalidRecordError(
          `record ${index} declares ${bodyLength} bytes but its fields use ${reader.offset - bodyStart}`,
        );
      }
      if (index === count - 1 && bodyEnd !== end) {
        throw new InvalidRecordError(
          `${end - bodyEnd} bytes remain after the ${count} declared records`,
        );
      }
      position = bodyEnd;
      previousOffsetDelta = offsetDelta;
      record = {
        attributes,
        timestampDelta,
        timestamp: logAppendTime ?? baseTimestamp + BigInt(timestampDelta),
        offsetDelta,
        offset: baseOffset + BigInt(offsetDelta),
        key,
        value,
        headers,
      };
    } catch (error) {
      // Running out of bytes inside a record is a record-structure error in Kafka's terms.
      if (error instanceof DecodeError && !(error instanceof InvalidRecordError)) {
        throw new InvalidRecordError(`invalid record ${index}: ${error.message}`);
      }
      throw error;
    }
    yield record;
  }
}

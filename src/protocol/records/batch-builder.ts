import { crc32c } from '../crc32c.js';
import { compress, type CompressionTypeId } from '../compression/index.js';
import {
  ControlRecordType,
  encodeControlRecordKey,
  encodeEndTransactionMarkerValue,
} from './control-records.js';
import {
  CONTROL_BIT,
  CURRENT_MAGIC,
  DELETE_HORIZON_BIT,
  LOG_OVERHEAD,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  NO_TIMESTAMP,
  RECORD_BATCH_HEADER_SIZE,
  TIMESTAMP_TYPE_BIT,
  TimestampType,
  TRANSACTIONAL_BIT,
  type TimestampTypeId,
} from './record-batch.js';
import type { RecordHeader } from './records.js';

export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Defaults to the batch's baseTimestamp. */
  timestamp?: bigint;
  /** Defaults to the record's index; explicit deltas must increase (gaps allowed). */
  offsetDelta?: number;
  /** Record attributes byte; unused by Kafka, 0 by default. */
  attributes?: number;
}

export interface BuildRecordBatchOptions {
  records: RecordInput[];
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionTypeId;
  timestampType?: TimestampTypeId;
  isTransactional?: boolean;
  isControl?: boolean;
  /** Sets the delete-horizon bit; baseTimestamp then holds the horizon. */
  hasDeleteHorizon?: boolean;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Defaults to the first record's timestamp, or now. */
  baseTimestamp?: bigint;
  /** Defaults to the largest record timestamp (-1 for an empty batch). */
  maxTimestamp?: bigint;
  /** Defaults to the last record's offset delta; set it to keep a compacted batch's range. */
  lastOffsetDelta?: number;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function varintSize(value: number): number {
  let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  let size = 1;
  while (zigzag >= 0x80) {
    zigzag >>>= 7;
    size++;
  }
  return size;
}

function varlongSize(value: bigint): number {
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let size = 1;
  while (zigzag >= 0x80n) {
    zigzag >>= 7n;
    size++;
  }
  return size;
}

function nullableBytesSize(bytes: Buffer | null): number {
  return bytes === null ? 1 : varintSize(bytes.length) + bytes.length;
}

/** Unsigned LEB128 of a uint32 at `position`; returns the position after it. */
function putUvarint(buf: Buffer, position: number, value: number): number {
  let rest = value >>> 0;
  while (rest >= 0x80) {
    buf[position++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  buf[position++] = rest;
  return position;
}

function putVarint(buf: Buffer, position: number, value: number): number {
  return putUvarint(buf, position, (value << 1) ^ (value >> 31));
}

function putVarlong(buf: Buffer, position: number, value: bigint): number {
  let rest = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  while (rest >= 0x80n) {
    buf[position++] = Number(rest & 0x7fn) | 0x80;
    rest >>= 7n;
  }
  buf[position++] = Number(rest);
  return position;
}

function putNullableBytes(buf: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) return putVarint(buf, position, -1);
  const at = putVarint(buf, position, bytes.length);
  bytes.copy(buf, at);
  return at + bytes.length;
}

/** A record with its derived fields, sized and ready to write. */
interface PreparedRecord {
  input: RecordInput;
  key: Buffer | null;
  offsetDelta: number;
  timestampDelta: bigint;
  headerKeys: Buffer[];
  bodySize: number;
}

interface PreparedRecords {
  records: PreparedRecord[];
  /** Bytes of the uncompressed record area. */
  size: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  lastOffsetDelta: number;
}

/** Validates the inputs and sizes every record, so the record area is written in one pass. */
function prepareRecords(options: BuildRecordBatchOptions): PreparedRecords {
  const inputs = options.records;
  const now = BigInt(Date.now());
  const baseTimestamp = options.baseTimestamp ?? inputs[0]?.timestamp ?? now;
  let maxTimestamp = NO_TIMESTAMP;
  let previousOffsetDelta = -1;
  let size = 0;
  const records: PreparedRecord[] = [];

  for (let index = 0; index < inputs.length; index++) {
    const input = inputs[index];
    const offsetDelta = input.offsetDelta ?? index;
    if (
      !Number.isInteger(offsetDelta) ||
      offsetDelta <= previousOffsetDelta ||
      offsetDelta > 0x7fffffff
    ) {
      throw new RangeError(
        `record ${index}: offset delta ${offsetDelta} must be an int32 above ${previousOffsetDelta}`,
      );
    }
    const timestamp = input.timestamp ?? baseTimestamp;
    if (timestamp < INT64_MIN || timestamp > INT64_MAX) {
      throw new RangeError(`record ${index}: timestamp ${timestamp} is not an int64`);
    }
    // Readers decode deltas as safe integers; refuse to write one they would reject.
    const timestampDelta = timestamp - baseTimestamp;
    if (timestampDelta > MAX_SAFE || timestampDelta < -MAX_SAFE) {
      throw new RangeError(
        `record ${index}: timestamp ${timestamp} is too far from base ${baseTimestamp}`,
      );
    }
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;

    const key = input.key ?? null;
    const headers = input.headers ?? [];
    const headerKeys = headers.map((header) => Buffer.from(header.key, 'utf8'));
    let bodySize =
      1 +
      varlongSize(timestampDelta) +
      varintSize(offsetDelta) +
      nullableBytesSize(key) +
      nullableBytesSize(input.value) +
      varintSize(headers.length);
    for (let h = 0; h < headers.length; h++) {
      bodySize +=
        varintSize(headerKeys[h].length) +
        headerKeys[h].length +
        nullableBytesSize(headers[h].value);
    }
    size += varintSize(bodySize) + bodySize;
    records.push({ input, key, offsetDelta, timestampDelta, headerKeys, bodySize });
    previousOffsetDelta = offsetDelta;
  }

  const lastOffsetDelta = options.lastOffsetDelta ?? Math.max(previousOffsetDelta, 0);
  if (lastOffsetDelta < previousOffsetDelta) {
    throw new RangeError(
      `lastOffsetDelta ${lastOffsetDelta} is below the last record's delta ${previousOffsetDelta}`,
    );
  }
  return {
    records,
    size,
    baseTimestamp,
    maxTimestamp: options.maxTimestamp ?? maxTimestamp,
    lastOffsetDelta,
  };
}

/** Writes the record area at `position`; returns the position after it. */
function writeRecords(buf: Buffer, position: number, prepared: PreparedRecords): number {
  let at = position;
  for (const record of prepared.records) {
    const headers = record.input.headers ?? [];
    at = putVarint(buf, at, record.bodySize);
    buf.writeInt8(record.input.attributes ?? 0, at);
    at = putVarlong(buf, at + 1, record.timestampDelta);
    at = putVarint(buf, at, record.offsetDelta);
    at = putNullableBytes(buf, at, record.key);
    at = putNullableBytes(buf, at, record.input.value);
    at = putVarint(buf, at, headers.length);
    for (let h = 0; h < headers.length; h++) {
      at = putNullableBytes(buf, at, record.headerKeys[h]);
      at = putNullableBytes(buf, at, headers[h].value);
    }
  }
  if (at !== position + prepared.size)
    throw new Error(`record sizing mismatch: wrote ${at - position}, sized ${prepared.size}`);
  return at;
}

/**
 * Writes the header into batch[0, 61) and stamps the CRC; the payload must already be in
 * place after it.
 */
function writeHeader(
  batch: Buffer,
  options: BuildRecordBatchOptions,
  prepared: PreparedRecords,
): Buffer {
  let attributes = options.compression ?? 0;
  if ((options.timestampType ?? TimestampType.CreateTime) === TimestampType.LogAppendTime) {
    attributes |= TIMESTAMP_TYPE_BIT;
  }
  if (options.isTransactional) attributes |= TRANSACTIONAL_BIT;
  if (options.isControl) attributes |= CONTROL_BIT;
  if (options.hasDeleteHorizon) attributes |= DELETE_HORIZON_BIT;

  batch.writeBigInt64BE(options.baseOffset ?? 0n, 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, 8);
  batch.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, 12);
  batch.writeInt8(CURRENT_MAGIC, 16);
  batch.writeInt16BE(attributes, 21);
  batch.writeInt32BE(prepared.lastOffsetDelta, 23);
  batch.writeBigInt64BE(prepared.baseTimestamp, 27);
  batch.writeBigInt64BE(prepared.maxTimestamp, 35);
  batch.writeBigInt64BE(options.producerId ?? NO_PRODUCER_ID, 43);
  batch.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, 51);
  batch.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, 53);
  batch.writeInt32BE(prepared.records.length, 57);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

function checkCompression(compression: number): void {
  if (!Number.isInteger(compression) || compression < 0 || compression > 4) {
    throw new RangeError(`unknown compression type ${compression}`);
  }
}

/** Builds a complete v2 record batch, compressing the records when asked to. */
export async function buildRecordBatch(options: BuildRecordBatchOptions): Promise<Buffer> {
  const compression = options.compression ?? 0;
  checkCompression(compression);
  if (compression === 0) return buildUncompressedRecordBatch(options);
  const prepared = prepareRecords(options);
  const recordArea = Buffer.allocUnsafe(prepared.size);
  writeRecords(recordArea, 0, prepared);
  const payload = await compress(compression, recordArea);
  const batch = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + payload.length);
  payload.copy(batch, RECORD_BATCH_HEADER_SIZE);
  return writeHeader(batch, options, prepared);
}

/** Synchronous variant for uncompressed batches (internal topics, markers); one allocation. */
export function buildUncompressedRecordBatch(options: BuildRecordBatchOptions): Buffer {
  if ((options.compression ?? 0) !== 0) {
    throw new RangeError('buildUncompressedRecordBatch cannot compress; use buildRecordBatch');
  }
  const prepared = prepareRecords(options);
  const batch = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + prepared.size);
  writeRecords(batch, RECORD_BATCH_HEADER_SIZE, prepared);
  return writeHeader(batch, options, prepared);
}

export interface BuildControlBatchOptions {
  type: 'commit' | 'abort';
  coordinatorEpoch: number;
  producerId: bigint;
  producerEpoch: number;
  baseOffset?: bigint;
  /** Defaults to now. */
  timestamp?: bigint;
  partitionLeaderEpoch?: number;
}

/** A transactional control batch holding one commit/abort marker, as coordinators write. */
export function buildControlBatch(options: BuildControlBatchOptions): Buffer {
  const type = options.type === 'commit' ? ControlRecordType.Commit : ControlRecordType.Abort;
  const timestamp = options.timestamp ?? BigInt(Date.now());
  return buildUncompressedRecordBatch({
    baseOffset: options.baseOffset ?? 0n,
    partitionLeaderEpoch: options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
    isTransactional: true,
    isControl: true,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: NO_SEQUENCE,
    baseTimestamp: timestamp,
    records: [
      {
        key: encodeControlRecordKey(type),
        value: encodeEndTransactionMarkerValue(options.coordinatorEpoch),
        timestamp,
      },
    ],
  });
}

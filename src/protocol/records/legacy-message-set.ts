import { crc32 } from 'node:zlib';
import {
  compress,
  CompressionType,
  decompress,
  decompressLz4IgnoringHeaderChecksum,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type CompressionTypeId,
} from '../compression/index.js';
import { CorruptRecordError, InvalidRecordError } from './errors.js';
import {
  COMPRESSION_MASK,
  HEADER_SIZE_UP_TO_MAGIC,
  LOG_OVERHEAD,
  NO_TIMESTAMP,
  TIMESTAMP_TYPE_BIT,
  TimestampType,
  type TimestampTypeId,
} from './record-batch.js';

/**
 * Legacy message sets: message formats v0 and v1 (magic 0 and 1), which Produce v0-2 carry
 * and Fetch v0-3 expect. The broker stores only v2 batches; it converts these on the way in
 * and out, as Kafka does.
 *
 * One entry: offset int64, message size int32, then the message:
 *   crc uint32 (CRC-32 of the rest), magic int8, attributes int8,
 *   timestamp int64 (magic 1 only), key bytes, value bytes (int32 length, -1 for null).
 * Attributes: bits 0-2 the compression codec, bit 3 the timestamp type (magic 1).
 * A compressed message (a "wrapper") carries a compressed message set as its value. Inner
 * offsets are absolute under magic 0; under magic 1 they are relative to the first record
 * and the wrapper carries the absolute offset of the last one.
 *
 * The magic byte sits 16 bytes in for both legacy messages and v2 batches, so the first
 * entry decides the format.
 */

export type LegacyMagic = 0 | 1;

const CRC_OFFSET = LOG_OVERHEAD;
const MAGIC_OFFSET = CRC_OFFSET + 4;
const ATTRIBUTES_OFFSET = MAGIC_OFFSET + 1;
const TIMESTAMP_OFFSET = ATTRIBUTES_OFFSET + 1;
/** crc + magic + attributes + key length + value length (+ timestamp for v1). */
const MESSAGE_OVERHEAD: Readonly<Record<LegacyMagic, number>> = { 0: 14, 1: 22 };
/** Legacy formats know gzip, snappy and lz4; zstd arrived with v2 batches. */
const MAX_LEGACY_COMPRESSION_ID = 3;

export interface LegacyMessage {
  /** The offset field as written: absolute, or relative inside a magic 1 wrapper. */
  offset: bigint;
  magic: LegacyMagic;
  attributes: number;
  compression: number;
  timestampType: TimestampTypeId;
  /** NO_TIMESTAMP for magic 0. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** The whole entry, offset and size fields included. */
  sizeInBytes: number;
  /** Whether the stored CRC matches the message bytes. */
  crcMatches: boolean;
}

export interface LegacyScanResult {
  messages: LegacyMessage[];
  /** Bytes of an incomplete trailing entry that were not returned. */
  trailingBytes: number;
}

/** True when the bytes start with a magic 0 or 1 message rather than a v2 batch. */
export function isLegacyMessageSet(buf: Buffer | null): buf is Buffer {
  if (buf === null || buf.length < HEADER_SIZE_UP_TO_MAGIC) return false;
  const magic = buf[MAGIC_OFFSET];
  return magic === 0 || magic === 1;
}

/**
 * Frames every complete entry of a legacy message set without decompressing anything.
 * Impossible sizes or key/value lengths throw CorruptRecordError; an entry of another
 * magic (a v2 batch mixed in) throws InvalidRecordError.
 */
export function scanLegacyMessages(buf: Buffer): LegacyScanResult {
  const messages: LegacyMessage[] = [];
  let position = 0;
  while (position < buf.length) {
    const available = buf.length - position;
    if (available < HEADER_SIZE_UP_TO_MAGIC) break;
    const magic = buf.readInt8(position + MAGIC_OFFSET);
    if (magic !== 0 && magic !== 1) {
      if (magic === 2) {
        throw new InvalidRecordError(`a v2 record batch follows legacy messages at ${position}`);
      }
      throw new CorruptRecordError(`unknown message magic ${magic} at offset ${position}`);
    }
    const messageSize = buf.readInt32BE(position + 8);
    if (messageSize < MESSAGE_OVERHEAD[magic]) {
      throw new CorruptRecordError(
        `message at offset ${position} declares size ${messageSize}, below the minimum ${MESSAGE_OVERHEAD[magic]}`,
      );
    }
    const size = LOG_OVERHEAD + messageSize;
    if (size > available) break;
    messages.push(parseMessage(buf, position, size, magic));
    position += size;
  }
  return { messages, trailingBytes: buf.length - position };
}

function parseMessage(buf: Buffer, start: number, size: number, magic: LegacyMagic): LegacyMessage {
  const end = start + size;
  const attributes = buf[start + ATTRIBUTES_OFFSET]!;
  let position = start + TIMESTAMP_OFFSET;
  let timestamp = NO_TIMESTAMP;
  let timestampType: TimestampTypeId = TimestampType.CreateTime;
  if (magic === 1) {
    timestamp = buf.readBigInt64BE(position);
    position += 8;
    if ((attributes & TIMESTAMP_TYPE_BIT) !== 0) timestampType = TimestampType.LogAppendTime;
  }
  const key = readBytes(buf, position, end, start, 'key');
  position = key.next;
  const value = readBytes(buf, position, end, start, 'value');
  if (value.next !== end) {
    throw new CorruptRecordError(
      `message at offset ${start} has ${end - value.next} bytes after its value`,
    );
  }
  const storedCrc = buf.readUInt32BE(start + CRC_OFFSET);
  return {
    offset: buf.readBigInt64BE(start),
    magic,
    attributes,
    compression: attributes & COMPRESSION_MASK,
    timestampType,
    timestamp,
    key: key.bytes,
    value: value.bytes,
    sizeInBytes: size,
    crcMatches: crc32(buf.subarray(start + MAGIC_OFFSET, end)) === storedCrc,
  };
}

function readBytes(
  buf: Buffer,
  position: number,
  end: number,
  start: number,
  field: string,
): { bytes: Buffer | null; next: number } {
  if (position + 4 > end) {
    throw new CorruptRecordError(`message at offset ${start} is truncated before its ${field}`);
  }
  const length = buf.readInt32BE(position);
  position += 4;
  if (length === -1) return { bytes: null, next: position };
  if (length < 0 || position + length > end) {
    throw new CorruptRecordError(
      `message at offset ${start} has an impossible ${field} length ${length}`,
    );
  }
  return { bytes: buf.subarray(position, position + length), next: position + length };
}

/**
 * The records a compressed wrapper holds, with absolute offsets. Inner messages must share
 * the wrapper's magic and be uncompressed, and the inflated set must hold whole messages.
 */
export async function unwrapLegacyMessage(
  wrapper: LegacyMessage,
  maxDecompressedBytes?: number,
): Promise<LegacyMessage[]> {
  if (wrapper.compression > MAX_LEGACY_COMPRESSION_ID) {
    throw new CorruptRecordError(
      `compression id ${wrapper.compression} is not valid for message format v${wrapper.magic}`,
    );
  }
  if (wrapper.value === null) throw new CorruptRecordError('compressed message has no value');
  const inflated =
    wrapper.magic === 0 && wrapper.compression === CompressionType.Lz4
      ? await decompressLz4IgnoringHeaderChecksum(
          wrapper.value,
          maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
        )
      : await decompress(
          wrapper.compression as CompressionTypeId,
          wrapper.value,
          maxDecompressedBytes,
        );
  const { messages, trailingBytes } = scanLegacyMessages(inflated);
  if (trailingBytes > 0) {
    throw new CorruptRecordError(`compressed message set ends with ${trailingBytes} stray bytes`);
  }
  const last = messages.at(-1);
  if (last === undefined) throw new InvalidRecordError('compressed message holds no messages');
  for (const inner of messages) {
    if (inner.magic !== wrapper.magic) {
      throw new InvalidRecordError(
        `compressed message of magic ${wrapper.magic} holds a message of magic ${inner.magic}`,
      );
    }
    if (wrapper.magic === 1) inner.offset = wrapper.offset - last.offset + inner.offset;
  }
  return messages;
}

export interface LegacyRecordInput {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/** Size of one entry holding this key and value. */
function legacyEntrySize(magic: LegacyMagic, key: Buffer | null, value: Buffer | null): number {
  return LOG_OVERHEAD + MESSAGE_OVERHEAD[magic] + (key?.length ?? 0) + (value?.length ?? 0);
}

/** Writes one entry; the CRC is computed over the message after it. */
export function writeLegacyEntry(
  magic: LegacyMagic,
  offset: bigint,
  attributes: number,
  timestamp: bigint,
  key: Buffer | null,
  value: Buffer | null,
): Buffer {
  const size = legacyEntrySize(magic, key, value);
  const buf = Buffer.allocUnsafe(size);
  buf.writeBigInt64BE(offset, 0);
  buf.writeInt32BE(size - LOG_OVERHEAD, 8);
  buf.writeInt8(magic, MAGIC_OFFSET);
  buf.writeUInt8(attributes, ATTRIBUTES_OFFSET);
  let position = TIMESTAMP_OFFSET;
  if (magic === 1) {
    buf.writeBigInt64BE(timestamp, position);
    position += 8;
  }
  for (const field of [key, value]) {
    buf.writeInt32BE(field === null ? -1 : field.length, position);
    position += 4;
    if (field !== null) position += field.copy(buf, position);
  }
  buf.writeUInt32BE(crc32(buf.subarray(MAGIC_OFFSET)), CRC_OFFSET);
  return buf;
}

export interface BuildLegacyOptions {
  magic: LegacyMagic;
  compression: number;
  timestampType: TimestampTypeId;
  /** The time every record carries under LogAppendTime (magic 1). */
  logAppendTime?: bigint;
}

/**
 * Legacy entries for records: one message per record, or a single compressed wrapper
 * holding them all (at the last record's offset, with the largest timestamp).
 */
export async function buildLegacyMessageSet(
  records: readonly LegacyRecordInput[],
  options: BuildLegacyOptions,
): Promise<Buffer> {
  return Buffer.concat(await buildLegacyMessages(records, options));
}

/** As buildLegacyMessageSet, one buffer per top-level message. */
export async function buildLegacyMessages(
  records: readonly LegacyRecordInput[],
  options: BuildLegacyOptions,
): Promise<Buffer[]> {
  const { magic, compression } = options;
  if (compression > MAX_LEGACY_COMPRESSION_ID) {
    throw new RangeError(`compression id ${compression} is not valid for message format v${magic}`);
  }
  const logAppendTime = options.timestampType === TimestampType.LogAppendTime;
  const timestampBit = magic === 1 && logAppendTime ? TIMESTAMP_TYPE_BIT : 0;
  const timestampOf = (record: LegacyRecordInput): bigint =>
    magic === 0
      ? NO_TIMESTAMP
      : logAppendTime
        ? (options.logAppendTime ?? NO_TIMESTAMP)
        : record.timestamp;
  const first = records[0];
  const last = records.at(-1);
  if (first === undefined || last === undefined) return [];
  const compressed = compression !== 0;
  const entries = records.map((record) =>
    writeLegacyEntry(
      magic,
      // Magic 1 wrappers number their records from the first one.
      compressed && magic === 1 ? record.offset - first.offset : record.offset,
      timestampBit,
      timestampOf(record),
      record.key,
      record.value,
    ),
  );
  if (!compressed) return entries;
  let maxTimestamp = NO_TIMESTAMP;
  for (const record of records) {
    const timestamp = timestampOf(record);
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
  }
  const value = await compress(compression as CompressionTypeId, Buffer.concat(entries));
  return [
    writeLegacyEntry(magic, last.offset, compression | timestampBit, maxTimestamp, null, value),
  ];
}

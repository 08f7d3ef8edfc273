import { CompressionError, CompressionType } from '../protocol/compression/index.js';
import { ErrorCode } from '../protocol/errors.js';
import {
  buildRecordBatch,
  CorruptRecordError,
  InvalidRecordError,
  RecordBatch,
  scanLegacyMessages,
  TimestampType,
  unwrapLegacyMessage,
  type LegacyMessage,
} from '../protocol/records/index.js';
import { rejectRecords as reject } from './errors.js';

export interface UpConvertedMessages {
  /** One uncompressed v2 batch with the messages' keys, values and timestamps. */
  batch: RecordBatch;
  /** The codec the client used, which compression.type=producer keeps. */
  sourceCompression: number;
}

/**
 * Produce v0-2 may carry a magic 0 or 1 message set. Kafka checks it and rebuilds it in the
 * current format; so does this, in LogValidator's order:
 * - every top-level message has the first one's magic (INVALID_RECORD), fits
 *   max.message.bytes (MESSAGE_TOO_LARGE) and has a matching CRC (CORRUPT_MESSAGE);
 * - a compressed message must be the only one; its inner messages are checked for CRC,
 *   magic, and carry no codec of their own (INVALID_RECORD);
 * - the records become one uncompressed v2 batch without producer id. The caller then
 *   applies the record rules (keys on compacted topics, timestamps) and the topic's
 *   compression to it like to any batch.
 * A truncated trailing message is dropped, as Kafka trims invalid trailing bytes.
 */
export async function upConvertLegacyMessageSet(
  records: Buffer,
  maxMessageBytes: number,
  partitionName: string,
): Promise<UpConvertedMessages> {
  try {
    const { messages } = scanLegacyMessages(records);
    const first = messages[0];
    if (first === undefined) {
      reject(ErrorCode.INVALID_RECORD, `produce to ${partitionName} carries no complete message`);
    }
    for (const message of messages)
      checkTopLevel(message, first.magic, maxMessageBytes, partitionName);
    const wrapper = messages.find((m) => m.compression !== CompressionType.None);
    if (wrapper === undefined) {
      const batch = await toBatch(messages, messages.some(isLogAppendTime));
      return { batch, sourceCompression: CompressionType.None };
    }
    if (messages.length > 1) {
      reject(
        ErrorCode.INVALID_RECORD,
        `produce to ${partitionName} mixes a compressed message with ${messages.length - 1} others`,
      );
    }
    // Produce v0-2 predate zstd (v7, KIP-110), and so do these formats.
    if (wrapper.compression === CompressionType.Zstd) {
      reject(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `${partitionName}: zstd needs Produce v7+`);
    }
    const inner = await unwrapLegacyMessage(wrapper);
    inner.forEach((message, index) => checkInner(message, index, partitionName));
    return {
      batch: await toBatch(inner, isLogAppendTime(wrapper) || inner.some(isLogAppendTime)),
      sourceCompression: wrapper.compression,
    };
  } catch (err) {
    if (err instanceof CompressionError) {
      const code =
        err.reason === 'output-limit' ? ErrorCode.MESSAGE_TOO_LARGE : ErrorCode.CORRUPT_MESSAGE;
      reject(code, `${partitionName}: cannot decompress the message set: ${err.message}`);
    }
    if (err instanceof CorruptRecordError) {
      reject(ErrorCode.CORRUPT_MESSAGE, `${partitionName}: ${err.message}`);
    }
    if (err instanceof InvalidRecordError) {
      reject(ErrorCode.INVALID_RECORD, `${partitionName}: ${err.message}`);
    }
    throw err;
  }
}

function checkTopLevel(
  message: LegacyMessage,
  magic: number,
  maxMessageBytes: number,
  partitionName: string,
): void {
  if (message.magic !== magic) {
    reject(
      ErrorCode.INVALID_RECORD,
      `produce to ${partitionName} mixes message formats v${magic} and v${message.magic}`,
    );
  }
  if (message.sizeInBytes > maxMessageBytes) {
    reject(
      ErrorCode.MESSAGE_TOO_LARGE,
      `message of ${message.sizeInBytes} bytes for ${partitionName} exceeds max.message.bytes ${maxMessageBytes}`,
    );
  }
  if (!message.crcMatches) {
    reject(
      ErrorCode.CORRUPT_MESSAGE,
      `message at offset ${message.offset} of ${partitionName} fails its CRC`,
    );
  }
}

function checkInner(message: LegacyMessage, index: number, partitionName: string): void {
  if (!message.crcMatches) {
    reject(
      ErrorCode.CORRUPT_MESSAGE,
      `inner message ${index} of the compressed message for ${partitionName} fails its CRC`,
    );
  }
  if (message.compression !== CompressionType.None) {
    reject(
      ErrorCode.INVALID_RECORD,
      `inner message ${index} for ${partitionName} has a compression codec of its own`,
      [{ batchIndex: index, message: 'compressed outer message holds a compressed message' }],
    );
  }
}

const isLogAppendTime = (m: LegacyMessage): boolean =>
  m.timestampType === TimestampType.LogAppendTime;

/**
 * The records as one uncompressed v2 batch. A client's LogAppendTime flag carries over, so
 * the caller rejects it as it rejects such a v2 batch from a client.
 */
async function toBatch(
  records: readonly LegacyMessage[],
  logAppendTime: boolean,
): Promise<RecordBatch> {
  const bytes = await buildRecordBatch({
    records: records.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp })),
    timestampType: logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime,
  });
  return RecordBatch.at(bytes);
}

import type { TimestampTypeName } from '../log/log-config.js';
import {
  CompressionError,
  CompressionType,
  type TopicCompression,
} from '../protocol/compression/index.js';
import { ErrorCode } from '../protocol/errors.js';
import {
  buildRecordBatch,
  CorruptRecordError,
  InvalidRecordError,
  isLegacyMessageSet,
  readRecords,
  RecordBatch,
  scanBatches,
  TimestampType,
  UnsupportedMagicError,
  type KafkaRecord,
} from '../protocol/records/index.js';
import { rejectRecords as reject } from './errors.js';
import { upConvertLegacyMessageSet } from './legacy-produce.js';
import type { RecordErrorInfo } from './types.js';

/** The topic settings produce validation applies. */
export interface ProduceValidationConfig {
  maxMessageBytes: number;
  segmentBytes: number;
  compacted: boolean;
  timestampType: TimestampTypeName;
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  compression: TopicCompression;
}

export interface ProduceValidationContext {
  /** Produce request version (zstd needs v7+). */
  apiVersion: number;
  nowMs: number;
  /** "topic-partition", for messages. */
  partitionName: string;
}

/** Produce v7 introduced zstd (KIP-110). */
const FIRST_VERSION_WITH_ZSTD = 7;
/** Produce v3+ may carry only v2 batches; older versions may carry legacy message sets. */
const FIRST_VERSION_REQUIRING_MAGIC_2 = 3;

/**
 * Validates what a client produced to one partition, as Kafka does before anything is
 * written, in Kafka's order:
 *
 * - Produce v0-2 may carry a legacy (magic 0/1) message set instead: it is checked and
 *   rebuilt as one v2 batch first (legacy-produce.ts), then goes through the record rules
 *   and compression below.
 * - Produce v3+ rules (ProduceRequest.validateRecords): at least one and exactly one record
 *   batch, magic 2 (older formats are INVALID_RECORD), no zstd before v7
 *   (UNSUPPORTED_COMPRESSION_TYPE). A truncated tail after the batch is dropped, as Kafka
 *   trims invalid trailing bytes.
 * - UnifiedLog.analyzeAndValidateRecords: base offset 0, size within max.message.bytes
 *   (MESSAGE_TOO_LARGE), CRC (CORRUPT_MESSAGE).
 * - LogValidator: record count and offset deltas consistent (INVALID_RECORD), no control
 *   batches from clients, idempotent batches carry a sequence; every record parses, has a
 *   key on compacted topics (INVALID_RECORD) and, under CreateTime, a timestamp within
 *   message.timestamp.before/after.max.ms of now (INVALID_TIMESTAMP), reported per record
 *   (batchIndex). Compressed batches are decompressed for this.
 * - compression.type other than `producer` (or a converted legacy set whose codec differs):
 *   the batch is rebuilt with that codec, keeping its producer id, epoch, base sequence and
 *   transactional flag, then its size is checked again.
 * - the batch must fit in a segment (RECORD_LIST_TOO_LARGE).
 *
 * Returns the batch to append: the client's own bytes (max timestamp set from the records,
 * as Kafka does) or the rebuilt batch. LogAppendTime is stamped by the log itself.
 */
export async function validateProducedRecords(
  records: Buffer | null,
  config: ProduceValidationConfig,
  context: ProduceValidationContext,
): Promise<RecordBatch> {
  if (context.apiVersion < FIRST_VERSION_REQUIRING_MAGIC_2 && isLegacyMessageSet(records)) {
    const converted = await upConvertLegacyMessageSet(
      records,
      config.maxMessageBytes,
      context.partitionName,
    );
    return validateAndCompress(converted.batch, converted.sourceCompression, config, context);
  }
  const batch = singleBatch(records, context);
  checkBatch(batch, config, context);
  return validateAndCompress(batch, batch.compression, config, context);
}

/** The record checks, then the topic's codec (`producer` keeps the client's one). */
async function validateAndCompress(
  batch: RecordBatch,
  sourceCompression: number,
  config: ProduceValidationConfig,
  context: ProduceValidationContext,
): Promise<RecordBatch> {
  const target = config.compression === 'producer' ? sourceCompression : config.compression;
  const needsRebuild = target !== batch.compression;
  const { maxTimestamp, records: parsed } = await validateRecords(
    batch,
    config,
    context,
    needsRebuild,
  );

  let result = batch;
  if (needsRebuild) {
    result = await rebuild(batch, parsed, target, context);
  } else if (config.timestampType === 'CreateTime') {
    // Kafka sets the batch's max timestamp from its records rather than trusting the client.
    batch.setMaxTimestamp(maxTimestamp, TimestampType.CreateTime);
  }
  // A rebuilt or converted batch has a new size; a client's own was checked already.
  if (result.sizeInBytes > config.maxMessageBytes) {
    reject(
      ErrorCode.MESSAGE_TOO_LARGE,
      `batch of ${result.sizeInBytes} bytes for ${context.partitionName} as stored exceeds ` +
        `max.message.bytes ${config.maxMessageBytes}`,
    );
  }
  if (result.sizeInBytes > config.segmentBytes) {
    reject(
      ErrorCode.RECORD_LIST_TOO_LARGE,
      `batch of ${result.sizeInBytes} bytes for ${context.partitionName} exceeds segment.bytes ${config.segmentBytes}`,
    );
  }
  return result;
}

function singleBatch(records: Buffer | null, context: ProduceValidationContext): RecordBatch {
  const name = context.partitionName;
  if (records === null || records.length === 0) {
    reject(ErrorCode.INVALID_RECORD, `produce to ${name} must carry one record batch, found none`);
  }
  let batches: RecordBatch[];
  try {
    batches = scanBatches(records).batches;
  } catch (err) {
    if (err instanceof UnsupportedMagicError) {
      reject(
        ErrorCode.INVALID_RECORD,
        `produce to ${name} may only carry record batches with magic 2`,
      );
    }
    if (err instanceof CorruptRecordError) reject(ErrorCode.CORRUPT_MESSAGE, err.message);
    throw err;
  }
  if (batches.length === 0) {
    reject(ErrorCode.INVALID_RECORD, `produce to ${name} must carry one complete record batch`);
  }
  if (batches.length > 1) {
    reject(
      ErrorCode.INVALID_RECORD,
      `produce to ${name} must carry exactly one record batch, found ${batches.length}`,
    );
  }
  const batch = batches[0];
  if (batch.compression === CompressionType.Zstd && context.apiVersion < FIRST_VERSION_WITH_ZSTD) {
    reject(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `produce v${context.apiVersion} may not use zstd (needs v${FIRST_VERSION_WITH_ZSTD}+)`,
    );
  }
  return batch;
}

function checkBatch(
  batch: RecordBatch,
  config: ProduceValidationConfig,
  context: ProduceValidationContext,
): void {
  const name = context.partitionName;
  if (batch.baseOffset !== 0n) {
    reject(
      ErrorCode.INVALID_RECORD,
      `batch for ${name} has base offset ${batch.baseOffset}, expected 0`,
    );
  }
  if (batch.sizeInBytes > config.maxMessageBytes) {
    reject(
      ErrorCode.MESSAGE_TOO_LARGE,
      `batch of ${batch.sizeInBytes} bytes for ${name} exceeds max.message.bytes ${config.maxMessageBytes}`,
    );
  }
  try {
    batch.verify({ requireContiguousOffsets: true });
  } catch (err) {
    if (err instanceof CorruptRecordError)
      reject(ErrorCode.CORRUPT_MESSAGE, `${name}: ${err.message}`);
    if (err instanceof InvalidRecordError)
      reject(ErrorCode.INVALID_RECORD, `${name}: ${err.message}`);
    throw err;
  }
  if (batch.isControl) {
    reject(ErrorCode.INVALID_RECORD, `clients may not write control batches (${name})`);
  }
  if (batch.hasProducerId && batch.baseSequence < 0) {
    reject(
      ErrorCode.INVALID_RECORD,
      `batch of producer ${batch.producerId} for ${name} has invalid sequence ${batch.baseSequence}`,
    );
  }
}

async function decodedRecordBytes(
  batch: RecordBatch,
  context: ProduceValidationContext,
): Promise<Buffer> {
  try {
    return await batch.recordBytes();
  } catch (err) {
    if (err instanceof CompressionError) {
      const code =
        err.reason === 'output-limit' ? ErrorCode.MESSAGE_TOO_LARGE : ErrorCode.CORRUPT_MESSAGE;
      reject(code, `${context.partitionName}: cannot decompress the batch: ${err.message}`);
    }
    if (err instanceof CorruptRecordError) reject(ErrorCode.CORRUPT_MESSAGE, err.message);
    throw err;
  }
}

/** Checks every record; returns their max timestamp and, when asked, the records themselves. */
async function validateRecords(
  batch: RecordBatch,
  config: ProduceValidationConfig,
  context: ProduceValidationContext,
  keepRecords: boolean,
): Promise<{ maxTimestamp: bigint; records: KafkaRecord[] }> {
  const bytes = await decodedRecordBytes(batch, context);
  const now = BigInt(context.nowMs);
  const beforeMax = BigInt(Math.trunc(config.timestampBeforeMaxMs));
  const afterMax = BigInt(Math.trunc(config.timestampAfterMaxMs));
  const createTime = config.timestampType === 'CreateTime';
  const errors: RecordErrorInfo[] = [];
  let invalidTimestamp = false;
  let maxTimestamp = -1n;
  const kept: KafkaRecord[] = [];
  let index = 0;
  try {
    for (const record of readRecords(batch, bytes, { requireContiguousOffsets: true })) {
      if (config.compacted && record.key === null) {
        errors.push({
          batchIndex: index,
          message: `compacted topic ${context.partitionName} cannot accept a record without a key`,
        });
      } else if (createTime && record.timestamp !== -1n) {
        const diff = now - record.timestamp;
        if (diff > beforeMax || -diff > afterMax) {
          invalidTimestamp = true;
          errors.push({
            batchIndex: index,
            message:
              `timestamp ${record.timestamp} of record ${index} is out of range: it must be ` +
              `within [${now - beforeMax}, ${now + afterMax}]`,
          });
        }
      } else if (batch.timestampType === TimestampType.LogAppendTime) {
        invalidTimestamp = true;
        errors.push({
          batchIndex: index,
          message: 'producers may not set the LogAppendTime timestamp type',
        });
      }
      if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp;
      if (keepRecords) kept.push(record);
      index++;
    }
  } catch (err) {
    if (err instanceof InvalidRecordError)
      reject(ErrorCode.INVALID_RECORD, `${context.partitionName}: ${err.message}`);
    throw err;
  }
  if (errors.length > 0) {
    if (invalidTimestamp) {
      reject(
        ErrorCode.INVALID_TIMESTAMP,
        `${errors.length} record(s) rejected for their timestamp`,
        errors,
      );
    }
    const shown = errors
      .slice(0, 3)
      .map((e) => `${e.batchIndex}: ${e.message}`)
      .join('; ');
    reject(
      ErrorCode.INVALID_RECORD,
      `${errors.length} record(s) rejected (first ones: ${shown})`,
      errors,
    );
  }
  return { maxTimestamp, records: kept };
}

/** The batch's records under another codec, keeping its producer fields (Kafka's rebuild). */
async function rebuild(
  batch: RecordBatch,
  records: KafkaRecord[],
  compression: number,
  context: ProduceValidationContext,
): Promise<RecordBatch> {
  try {
    const bytes = await buildRecordBatch({
      records: records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: r.timestamp,
        attributes: r.attributes,
      })),
      compression: compression as (typeof CompressionType)[keyof typeof CompressionType],
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      isTransactional: batch.isTransactional,
    });
    return RecordBatch.at(bytes);
  } catch (err) {
    if (err instanceof RangeError) {
      reject(
        ErrorCode.INVALID_RECORD,
        `${context.partitionName}: cannot rebuild the batch: ${err.message}`,
      );
    }
    throw err;
  }
}

export { CorruptRecordError, InvalidRecordError, UnsupportedMagicError } from './errors.js';
export {
  RecordBatch,
  frameBatch,
  TimestampType,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  MIN_BATCH_LENGTH,
  HEADER_SIZE_UP_TO_MAGIC,
  CURRENT_MAGIC,
  NO_PRODUCER_ID,
  NO_PRODUCER_EPOCH,
  NO_SEQUENCE,
  NO_PARTITION_LEADER_EPOCH,
  NO_TIMESTAMP,
  COMPRESSION_MASK,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
  CONTROL_BIT,
  DELETE_HORIZON_BIT,
  type TimestampTypeId,
  type RecordDecodeOptions,
  type BatchVerifyOptions,
} from './record-batch.js';
export {
  readRecords,
  type KafkaRecord,
  type KafkaRecord as Record,
  type RecordHeader,
  type RecordIterationOptions,
  type RecordBatchContext,
} from './records.js';
export {
  ControlRecordType,
  encodeControlRecordKey,
  encodeEndTransactionMarkerValue,
  readControlRecordType,
  readEndTransactionMarker,
  type EndTransactionMarker,
  type EndTransactionMarkerType,
} from './control-records.js';
export {
  scanBatches,
  readBatches,
  type BatchFramingOptions,
  type BatchScanResult,
} from './batch-iterator.js';
export {
  buildRecordBatch,
  buildUncompressedRecordBatch,
  buildControlBatch,
  type BuildRecordBatchOptions,
  type BuildControlBatchOptions,
  type RecordInput,
} from './batch-builder.js';
export {
  buildLegacyMessageSet,
  buildLegacyMessages,
  isLegacyMessageSet,
  scanLegacyMessages,
  unwrapLegacyMessage,
  writeLegacyEntry,
  type BuildLegacyOptions,
  type LegacyMagic,
  type LegacyMessage,
  type LegacyRecordInput,
  type LegacyScanResult,
} from './legacy-message-set.js';
export { downConvertBatches, UnsupportedLegacyCompressionError } from './down-convert.js';

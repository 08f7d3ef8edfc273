import { isCompressionTypeId } from '../../protocol/compression/index.js';
import {
  buildRecordBatch,
  buildUncompressedRecordBatch,
  CorruptRecordError,
  TimestampType,
  type KafkaRecord,
  type RecordBatch,
} from '../../protocol/records/index.js';
import type { CleanedTransactions } from './cleaned-transactions.js';
import type { OffsetMap } from './offset-map.js';
import { controlRecordTypeOf, type ProducerLastBatch } from './transaction-scan.js';

const INT64_MAX = (1n << 63n) - 1n;

/** Counters of one pass, for logs and tests. */
export interface CleanerStats {
  batchesRead: number;
  recordsRead: number;
  bytesRead: number;
  recordsRetained: number;
  bytesWritten: number;
  /** Records without a key: invalid in a compacted topic, dropped as Kafka does. */
  invalidRecords: number;
  /** Offset-map building, apart from the rewrite. */
  mapBytesRead: number;
  mapRecordsRead: number;
}

export function emptyCleanerStats(): CleanerStats {
  return {
    batchesRead: 0,
    recordsRead: 0,
    bytesRead: 0,
    recordsRetained: 0,
    bytesWritten: 0,
    invalidRecords: 0,
    mapBytesRead: 0,
    mapRecordsRead: 0,
  };
}

/** What stays the same for every batch of a pass. */
export interface BatchFilterContext {
  offsetMap: OffsetMap;
  transactions: CleanedTransactions;
  lastBatchOfProducers: ReadonlyMap<bigint, ProducerLastBatch>;
  /** The pass's first uncleanable offset: the batch ending just below it is always kept. */
  upperBoundOffset: bigint;
  now: bigint;
  deleteRetentionMs: bigint;
  stats: CleanerStats;
}

type BatchRetention = 'delete' | 'delete-empty' | 'retain-empty';

/**
 * Decides what of one batch survives cleaning, following Kafka's log cleaner
 * (Cleaner.cleanInto with MemoryRecords.filterTo). Returns the bytes to write in its
 * place, or null to drop it:
 *  - a record stays if it is the latest for its key (by the offset map), and, when it is a
 *    tombstone, while its batch's delete horizon has not passed; records past what the map
 *    covers stay; records without a key go;
 *  - records of aborted transactions go; markers stay while data of their transaction
 *    remains, then get a delete horizon like tombstones, then go;
 *  - the batch holding a producer's latest sequence or epoch, and the batch ending the
 *    pass, survive as an empty header if all their records go, so producer state and the
 *    last offset survive a reload;
 *  - a batch that keeps every record and needs no new delete horizon is copied as is;
 *    otherwise it is rebuilt with its header (base offset, last offset delta, producer id,
 *    epoch, base sequence, leader epoch, timestamp type) and codec, and the first time it
 *    retains a tombstone or a removable marker its base timestamp becomes the delete
 *    horizon (now + delete.retention.ms), flagged by the delete-horizon attribute.
 */
export async function filterBatch(
  batch: RecordBatch,
  context: BatchFilterContext,
): Promise<Buffer | null> {
  batch.verify();
  const { stats, now } = context;
  stats.batchesRead++;
  stats.bytesRead += batch.sizeInBytes;

  const controlType = batch.isControl ? await controlRecordTypeOf(batch) : null;
  const canDiscardBatch = batch.isControl
    ? context.transactions.onControlBatchRead(batch, controlType)
    : context.transactions.onBatchRead(batch);
  const deleteHorizon = batch.deleteHorizonMs;
  // Markers piggy-back on tombstone retention: they go only after their own horizon.
  const discardRecords = batch.isControl
    ? canDiscardBatch && deleteHorizon !== null && deleteHorizon <= now
    : canDiscardBatch;
  const markerOfEmptyTransaction = canDiscardBatch && batch.isControl;

  let retention: BatchRetention;
  if (batch.hasProducerId && isLastBatchOfProducer(batch, context.lastBatchOfProducers))
    retention = 'retain-empty';
  else if (batch.nextOffset === context.upperBoundOffset) retention = 'retain-empty';
  else if (discardRecords) retention = 'delete';
  else retention = 'delete-empty';
  if (retention === 'delete') return null;

  const records = await batch.decodeRecords();
  stats.recordsRead += records.length;
  const retained: KafkaRecord[] = [];
  let containsTombstones = false;
  for (const record of records) {
    const keep =
      !discardRecords && (batch.isControl || shouldRetainRecord(record, deleteHorizon, context));
    if (!keep) continue;
    retained.push(record);
    if (record.value === null) containsTombstones = true;
  }

  if (retained.length === 0) {
    return retention === 'retain-empty' ? emptyBatchLike(batch) : null;
  }
  stats.recordsRetained += retained.length;
  const keptEverything = retained.length === records.length;
  const needsDeleteHorizon =
    (containsTombstones || markerOfEmptyTransaction) && deleteHorizon === null;
  if (keptEverything && !needsDeleteHorizon) return batch.bytes;
  if (!needsDeleteHorizon) return rebuildBatch(batch, retained, deleteHorizon);
  const horizon = context.now + context.deleteRetentionMs;
  try {
    return await rebuildBatch(batch, retained, horizon > INT64_MAX ? INT64_MAX : horizon);
  } catch (err) {
    // A horizon so far off that record timestamps cannot be stored relative to it: the
    // tombstones are kept for good, which is what such a retention means anyway.
    if (!(err instanceof RangeError)) throw err;
    return keptEverything ? batch.bytes : rebuildBatch(batch, retained, null);
  }
}

function isLastBatchOfProducer(
  batch: RecordBatch,
  lastBatchOfProducers: ReadonlyMap<bigint, ProducerLastBatch>,
): boolean {
  const last = lastBatchOfProducers.get(batch.producerId);
  if (!last) return false;
  if (last.lastDataOffset !== null) return batch.lastOffset === last.lastDataOffset;
  return batch.isControl && batch.producerEpoch === last.producerEpoch;
}

function shouldRetainRecord(
  record: KafkaRecord,
  deleteHorizon: bigint | null,
  context: BatchFilterContext,
): boolean {
  const map = context.offsetMap;
  // Beyond what the map covers (it filled up): nothing is known to supersede the record.
  if (record.offset > map.latestOffset) return true;
  if (record.key === null) {
    context.stats.invalidRecords++;
    return false;
  }
  const isLatestForKey = record.offset >= map.get(record.key);
  const tombstoneStillDue = deleteHorizon === null || context.now < deleteHorizon;
  return isLatestForKey && (record.value !== null || tombstoneStillDue);
}

/** The batch's header and codec around the retained records; offsets stay where they were. */
function rebuildBatch(
  batch: RecordBatch,
  retained: KafkaRecord[],
  deleteHorizon: bigint | null,
): Promise<Buffer> {
  const compression = batch.compression;
  if (!isCompressionTypeId(compression)) {
    throw new CorruptRecordError(`unknown compression type id ${compression}`);
  }
  const logAppendTime = batch.timestampType === TimestampType.LogAppendTime;
  const baseOffset = batch.baseOffset;
  return buildRecordBatch({
    baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    compression,
    timestampType: batch.timestampType,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    hasDeleteHorizon: deleteHorizon !== null,
    baseTimestamp: deleteHorizon ?? undefined,
    maxTimestamp: logAppendTime ? batch.maxTimestamp : undefined,
    // Keeping the last offset keeps the producer's last sequence number right.
    lastOffsetDelta: batch.lastOffsetDelta,
    records: retained.map((record) => ({
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp,
      offsetDelta: Number(record.offset - baseOffset),
      attributes: record.attributes,
    })),
  });
}

/** A header with no records that keeps the batch's offsets and producer fields. */
function emptyBatchLike(batch: RecordBatch): Buffer {
  return buildUncompressedRecordBatch({
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    timestampType: batch.timestampType,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    baseTimestamp: batch.maxTimestamp,
    maxTimestamp: batch.maxTimestamp,
    lastOffsetDelta: batch.lastOffsetDelta,
    records: [],
  });
}

import {
  ControlRecordType,
  readControlRecordType,
  type RecordBatch,
} from '../../protocol/records/index.js';
import type { LogSegment } from '../log-segment.js';
import type { Pacer } from './pacer.js';
import { readSegmentBatches } from './segment-batches.js';

/** A transaction that ended with an abort marker: its data is invisible to read_committed. */
export interface AbortedTransaction {
  producerId: bigint;
  /** Offset of its first data batch. */
  firstOffset: bigint;
  /** Offset of its abort marker. */
  lastOffset: bigint;
}

/** What the cleaner must keep of a producer so its state survives a reload (Kafka's LastRecord). */
export interface ProducerLastBatch {
  /** Last offset of the producer's last data batch in its current epoch, or null. */
  lastDataOffset: bigint | null;
  producerEpoch: number;
  /** Max timestamp of the producer's last batch: producer ids expire counting from it. */
  lastTimestamp: bigint;
}

/**
 * The transactional facts the cleaner needs, gathered from the log itself. Kafka reads
 * them from the transaction index and the producer state manager; this broker has
 * neither yet, so one pass over the batch headers (and the markers' keys) derives them.
 */
export interface TransactionState {
  /** Sorted by first offset. */
  abortedTransactions: AbortedTransaction[];
  /** First offset of the oldest transaction without a marker (the last stable offset), or null. */
  firstUnstableOffset: bigint | null;
  /** Per producer id, the batch that carries its latest sequence or epoch. */
  lastBatchOfProducers: Map<bigint, ProducerLastBatch>;
}

/** Commit/abort type of a control batch; null when it has no record (already cleaned). */
export async function controlRecordTypeOf(batch: RecordBatch): Promise<number | null> {
  for await (const record of batch.recordsAsync()) {
    try {
      return readControlRecordType(record.key);
    } catch {
      return -1; // not a marker this broker understands; treated as neither commit nor abort
    }
  }
  return null;
}

export function isTransactionMarker(type: number | null): boolean {
  return type === ControlRecordType.Abort || type === ControlRecordType.Commit;
}

/** Scans `segments` (the whole log, oldest first) for its transaction state. */
export async function scanTransactionState(
  segments: readonly LogSegment[],
  chunkBytes: number,
  pacer: Pacer,
): Promise<TransactionState> {
  const openTransactions = new Map<bigint, bigint>();
  const abortedTransactions: AbortedTransaction[] = [];
  const lastBatchOfProducers = new Map<bigint, ProducerLastBatch>();

  for (const segment of segments) {
    for await (const batch of readSegmentBatches(segment, 0, segment.writtenSize, chunkBytes)) {
      await pacer.advance(batch.sizeInBytes);
      if (!batch.hasProducerId) continue;
      const producerId = batch.producerId;
      const epoch = batch.producerEpoch;
      const last = lastBatchOfProducers.get(producerId);
      if (batch.isControl) {
        // A marker from a newer epoch starts the epoch with no data batch (Kafka clears
        // the producer's batch metadata on an epoch bump).
        lastBatchOfProducers.set(producerId, {
          lastDataOffset: last && last.producerEpoch === epoch ? last.lastDataOffset : null,
          producerEpoch: epoch,
          lastTimestamp: batch.maxTimestamp,
        });
        const type = await controlRecordTypeOf(batch);
        const firstOffset = openTransactions.get(producerId);
        if (isTransactionMarker(type) && firstOffset !== undefined) {
          openTransactions.delete(producerId);
          if (type === ControlRecordType.Abort) {
            abortedTransactions.push({ producerId, firstOffset, lastOffset: batch.lastOffset });
          }
        }
        continue;
      }
      lastBatchOfProducers.set(producerId, {
        lastDataOffset: batch.lastOffset,
        producerEpoch: epoch,
        lastTimestamp: batch.maxTimestamp,
      });
      if (batch.isTransactional && !openTransactions.has(producerId)) {
        openTransactions.set(producerId, batch.baseOffset);
      }
    }
  }

  let firstUnstableOffset: bigint | null = null;
  for (const firstOffset of openTransactions.values()) {
    if (firstUnstableOffset === null || firstOffset < firstUnstableOffset)
      firstUnstableOffset = firstOffset;
  }
  abortedTransactions.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  return { abortedTransactions, firstUnstableOffset, lastBatchOfProducers };
}

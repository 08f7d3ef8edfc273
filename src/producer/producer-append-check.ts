import { ErrorCode } from '../protocol/errors.js';
import {
  isNextSequence,
  NO_PRODUCER_EPOCH,
  type BatchMetadata,
  type ProducerStateEntry,
} from './producer-state-entry.js';

/** The producer fields of a batch header that idempotence looks at. */
export interface ProducerBatchInfo {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastSequence: number;
}

export type ProducerAppendCheck =
  | { kind: 'append' }
  /** A retry of a batch already in the log: answer with its offsets, append nothing. */
  | { kind: 'duplicate'; batch: BatchMetadata }
  | { kind: 'reject'; errorCode: number; message: string };

/**
 * Kafka's checks for a client's idempotent batch (UnifiedLog.analyzeAndValidateProducerState
 * and ProducerAppendInfo, client origin), in Kafka's order:
 * 1. a retry of one of the producer's last five batches (same epoch, same sequence range)
 *    is a duplicate;
 * 2. an epoch older than the producer's current one is INVALID_PRODUCER_EPOCH (since Kafka
 *    2.7 produce answers that instead of PRODUCER_FENCED);
 * 3. a new epoch must start at sequence 0, unless the partition knows no epoch for the
 *    producer; within an epoch the sequence must continue the last batch, unless the
 *    producer is unknown here (its state may have been removed by retention): then any
 *    sequence is accepted (KIP-360; produce no longer answers UNKNOWN_PRODUCER_ID).
 *    A gap or a repeat is OUT_OF_ORDER_SEQUENCE_NUMBER.
 */
export function checkClientBatch(
  entry: ProducerStateEntry | undefined,
  batch: ProducerBatchInfo,
): ProducerAppendCheck {
  if (entry) {
    const duplicate = entry.findDuplicate(
      batch.producerEpoch,
      batch.baseSequence,
      batch.lastSequence,
    );
    if (duplicate) return { kind: 'duplicate', batch: duplicate };
  }
  const currentEpoch = entry?.producerEpoch ?? NO_PRODUCER_EPOCH;
  if (batch.producerEpoch < currentEpoch) {
    return {
      kind: 'reject',
      errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
      message:
        `Epoch of producer ${batch.producerId} is ${batch.producerEpoch}, ` +
        `which is smaller than the last seen epoch ${currentEpoch}`,
    };
  }
  if (batch.producerEpoch !== currentEpoch) {
    if (batch.baseSequence !== 0 && currentEpoch !== NO_PRODUCER_EPOCH) {
      return {
        kind: 'reject',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message:
          `Invalid sequence number for new epoch ${batch.producerEpoch} of producer ` +
          `${batch.producerId}: ${batch.baseSequence} (expected 0, current epoch ${currentEpoch})`,
      };
    }
    return { kind: 'append' };
  }
  const lastSeq = entry?.lastSeq ?? -1;
  if (currentEpoch !== NO_PRODUCER_EPOCH && !isNextSequence(lastSeq, batch.baseSequence)) {
    return {
      kind: 'reject',
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      message:
        `Out of order sequence number for producer ${batch.producerId}: ` +
        `${batch.baseSequence} (incoming seq. number), ${lastSeq} (current end sequence number)`,
    };
  }
  return { kind: 'append' };
}

import { ControlRecordType, type RecordBatch } from '../../protocol/records/index.js';
import type { AbortedTransaction } from './transaction-scan.js';

/**
 * Transaction bookkeeping while a pass walks the log from its start (Kafka's
 * CleanedTransactionMetadata): it says which data batches belong to aborted transactions
 * (their records can go) and which markers no longer guard any data (they can go once
 * their delete horizon has passed).
 */
export class CleanedTransactions {
  private readonly aborted: readonly AbortedTransaction[];
  private nextAborted = 0;
  /** Producers with transactional data seen since their last marker. */
  private readonly ongoingCommitted = new Set<bigint>();
  /** Producers inside an aborted transaction, and whether any of its batches was seen. */
  private readonly ongoingAborted = new Map<bigint, { batchSeen: boolean }>();

  /** `aborted` must be sorted by first offset. */
  constructor(aborted: readonly AbortedTransaction[]) {
    this.aborted = aborted;
  }

  private enterAbortedUpTo(offset: bigint): void {
    while (
      this.nextAborted < this.aborted.length &&
      this.aborted[this.nextAborted].firstOffset <= offset
    ) {
      const txn = this.aborted[this.nextAborted++];
      if (!this.ongoingAborted.has(txn.producerId))
        this.ongoingAborted.set(txn.producerId, { batchSeen: false });
    }
  }

  /** A data batch was read; true when it belongs to an aborted transaction. */
  onBatchRead(batch: RecordBatch): boolean {
    this.enterAbortedUpTo(batch.lastOffset);
    if (!batch.isTransactional) return false;
    const aborted = this.ongoingAborted.get(batch.producerId);
    if (aborted) {
      aborted.batchSeen = true;
      return true;
    }
    this.ongoingCommitted.add(batch.producerId);
    return false;
  }

  /**
   * A control batch of type `controlType` (null: it has no record left) was read; true
   * when the marker no longer guards data, so it may be removed.
   */
  onControlBatchRead(batch: RecordBatch, controlType: number | null): boolean {
    this.enterAbortedUpTo(batch.lastOffset);
    if (controlType === null) return true;
    const producerId = batch.producerId;
    if (controlType === ControlRecordType.Abort) {
      const aborted = this.ongoingAborted.get(producerId);
      this.ongoingAborted.delete(producerId);
      // Readers need the abort marker for as long as any of the transaction's data remains.
      return !aborted?.batchSeen;
    }
    if (controlType === ControlRecordType.Commit) {
      return !this.ongoingCommitted.delete(producerId);
    }
    return false;
  }
}

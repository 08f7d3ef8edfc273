/**
 * What a partition remembers about one idempotent producer: its epoch and the metadata of
 * its last few batches, enough to recognise a retried batch and to check that the next
 * one continues the sequence (Kafka's ProducerStateEntry and BatchMetadata).
 */

export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
/** Kafka keeps the last five batches: a producer has at most five requests in flight. */
export const BATCHES_TO_RETAIN = 5;

const INT32_MAX = 0x7fffffff;

/** `sequence - decrement`, wrapping below zero to int32 max as producers' sequences do. */
export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

/** True when `next` is the sequence that follows `last` (sequences wrap to 0 after int32 max). */
export function isNextSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

/** One appended batch, as the producer state keeps it. */
export class BatchMetadata {
  constructor(
    readonly lastSeq: number,
    public lastOffset: bigint,
    /** lastOffset - firstOffset (the batch's lastOffsetDelta). */
    readonly offsetDelta: number,
    /** The batch's max timestamp (the append time under LogAppendTime). */
    public timestamp: bigint,
  ) {}

  get firstSeq(): number {
    return decrementSequence(this.lastSeq, this.offsetDelta);
  }

  get firstOffset(): bigint {
    return this.lastOffset - BigInt(this.offsetDelta);
  }
}

export class ProducerStateEntry {
  /** Oldest first; at most BATCHES_TO_RETAIN. */
  readonly batches: BatchMetadata[] = [];

  constructor(
    readonly producerId: bigint,
    public producerEpoch: number = NO_PRODUCER_EPOCH,
    public coordinatorEpoch: number = -1,
    public lastTimestamp: bigint = -1n,
    /** First offset of the producer's open transaction, -1 when none. */
    public currentTxnFirstOffset: bigint = -1n,
  ) {}

  get isEmpty(): boolean {
    return this.batches.length === 0;
  }

  get lastSeq(): number {
    return this.batches.at(-1)?.lastSeq ?? NO_SEQUENCE;
  }

  get lastDataOffset(): bigint {
    return this.batches.at(-1)?.lastOffset ?? -1n;
  }

  get lastOffsetDelta(): number {
    return this.batches.at(-1)?.offsetDelta ?? 0;
  }

  /** A new epoch forgets the batches of the old one. */
  updateEpoch(epoch: number): void {
    if (epoch === this.producerEpoch) return;
    this.batches.length = 0;
    this.producerEpoch = epoch;
  }

  addBatch(epoch: number, batch: BatchMetadata): void {
    this.updateEpoch(epoch);
    if (this.batches.length === BATCHES_TO_RETAIN) this.batches.shift();
    this.batches.push(batch);
    this.lastTimestamp = batch.timestamp;
  }

  /** The retained batch with exactly this epoch and sequence range: a retry of it. */
  findDuplicate(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (epoch !== this.producerEpoch) return undefined;
    return this.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
  }
}

import { ErrorCode } from '../protocol/errors.js';
import type { FetchIsolation, Partition } from './partition.js';
import { DelayedOperation } from './purgatory.js';
import type { FetchPartitionRequest, ProducePartitionResult } from './types.js';

export type PartitionLookup = (topic: string, partition: number) => Partition | undefined;

/** A partition of an acks=-1 produce, waiting for its high watermark to pass its last offset. */
export interface ProduceAckStatus {
  result: ProducePartitionResult;
  /** lastOffset + 1. */
  requiredOffset: bigint;
  acksPending: boolean;
}

/**
 * Kafka's DelayedProduce: completes when every partition's high watermark reached its
 * appended batch (NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below
 * min.insync.replicas meanwhile), when the partition lost leadership
 * (NOT_LEADER_OR_FOLLOWER), or at the timeout (REQUEST_TIMED_OUT for the rest).
 */
export class DelayedProduce extends DelayedOperation {
  constructor(
    private readonly statuses: readonly ProduceAckStatus[],
    private readonly lookup: PartitionLookup,
    private readonly minInsyncReplicas: (topic: string) => number,
    private readonly done: () => void,
  ) {
    super();
  }

  tryComplete(): boolean {
    for (const status of this.statuses) {
      if (!status.acksPending) continue;
      const { topic, partition } = status.result;
      const hosted = this.lookup(topic, partition);
      if (!hosted || hosted.isRemoved || !hosted.isLeader) {
        status.acksPending = false;
        status.result.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
        status.result.errorMessage = `broker lost leadership of ${topic}-${partition} before the write was replicated`;
      } else if (hosted.highWatermark >= status.requiredOffset) {
        status.acksPending = false;
        if (hosted.isr.length < this.minInsyncReplicas(topic)) {
          status.result.errorCode = ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
          status.result.errorMessage = `${topic}-${partition} was appended to fewer in-sync replicas than required`;
        }
      }
    }
    if (this.statuses.some((s) => s.acksPending)) return false;
    return this.forceComplete();
  }

  protected onComplete(): void {
    for (const status of this.statuses) {
      if (!status.acksPending) continue;
      status.result.errorCode = ErrorCode.REQUEST_TIMED_OUT;
      status.result.errorMessage = 'timed out waiting for the in-sync replicas';
    }
    this.done();
  }
}

/** A partition of a parked fetch: what the first read found and the byte mark it started from. */
export interface FetchWaitStatus {
  request: FetchPartitionRequest;
  bytesRead: number;
  startMark: number;
}

/**
 * Kafka's DelayedFetch: completes once the partitions hold at least min.bytes more than the
 * fetch positions (each counted up to its partition max bytes), or when a partition moved
 * away (not hosted, leadership or epoch changed, log end below the fetch offset), or at
 * max.wait.ms. The byte count is estimated from the partitions' append counters, without
 * reading the log; the completion reads it.
 */
export class DelayedFetch extends DelayedOperation {
  constructor(
    private readonly statuses: readonly FetchWaitStatus[],
    private readonly minBytes: number,
    private readonly isolation: FetchIsolation,
    private readonly fetchOnlyLeader: boolean,
    private readonly lookup: PartitionLookup,
    private readonly done: () => void,
  ) {
    super();
  }

  tryComplete(): boolean {
    let accumulated = 0;
    for (const status of this.statuses) {
      const { request } = status;
      const hosted = this.lookup(request.topic, request.partition);
      if (!hosted || hosted.isRemoved) return this.forceComplete();
      try {
        hosted.checkLocalLog(request.currentLeaderEpoch, this.fetchOnlyLeader);
      } catch {
        return this.forceComplete();
      }
      if (hosted.endOffsetFor(this.isolation) < request.fetchOffset) return this.forceComplete();
      const grown = hosted.readableBytesMark(this.isolation) - status.startMark;
      accumulated += Math.min(status.bytesRead + grown, Math.max(0, request.partitionMaxBytes));
    }
    if (accumulated >= this.minBytes) return this.forceComplete();
    return false;
  }

  protected onComplete(): void {
    this.done();
  }
}

/**
 * Hands out producer ids from blocks the controller allocates to this broker (Kafka's
 * RPCProducerIdManager, without the prefetch): a new block is asked for when the current one
 * is used up, so ids are never reused across restarts.
 */
import type { ProducerIdsBlock } from '../controller/index.js';
import { ErrorCode } from '../protocol/errors.js';

export interface ProducerIdResult {
  errorCode: number;
  /** -1 on error. */
  producerId: bigint;
}

export class ProducerIdManager {
  private next = 0n;
  private end = 0n;
  /** One block request at a time; concurrent callers wait for it. */
  private pending: Promise<ProducerIdsBlock> | null = null;

  constructor(private readonly allocateBlock: () => Promise<ProducerIdsBlock>) {}

  async generate(): Promise<ProducerIdResult> {
    while (this.next >= this.end) {
      this.pending ??= this.allocateBlock().finally(() => {
        this.pending = null;
      });
      const block = await this.pending;
      if (block.errorCode !== ErrorCode.NONE)
        return { errorCode: block.errorCode, producerId: -1n };
      // Another waiter may already have installed this block.
      if (block.producerIdStart >= this.end) {
        this.next = block.producerIdStart;
        this.end = block.producerIdStart + BigInt(block.producerIdLen);
      }
    }
    const producerId = this.next;
    this.next += 1n;
    return { errorCode: ErrorCode.NONE, producerId };
  }
}

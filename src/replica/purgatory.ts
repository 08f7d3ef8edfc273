import type { Scheduler } from '../log/scheduler.js';

/**
 * A request parked until a condition holds or its time runs out (Kafka's DelayedOperation):
 * produce with acks=-1 waiting for the high watermark, fetch waiting for min.bytes.
 */
export abstract class DelayedOperation {
  private completed = false;
  /** Set by the purgatory while the operation waits. */
  cancelTimer: (() => void) | null = null;
  keys: readonly string[] = [];

  get isCompleted(): boolean {
    return this.completed;
  }

  /** Checks the condition and completes the operation (forceComplete) when it holds. */
  abstract tryComplete(): boolean;

  /** Runs exactly once, on completion or expiry. */
  protected abstract onComplete(expired: boolean): void;

  /** Completes now; false if it already was. */
  forceComplete(expired = false): boolean {
    if (this.completed) return false;
    this.completed = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.onComplete(expired);
    return true;
  }
}

/**
 * Operations watched by key (a partition), re-checked when something happens to the key and
 * expired by an injected scheduler. The event loop makes each check atomic, so a single
 * tryComplete before watching closes the race Kafka's locking has to handle.
 */
export class DelayedOperationPurgatory<T extends DelayedOperation> {
  private readonly watchers = new Map<string, Set<T>>();
  private readonly pending = new Set<T>();

  constructor(
    readonly name: string,
    private readonly scheduler: Scheduler,
  ) {}

  /** Completes `op` now if it can, else parks it under `keys` for at most `timeoutMs`. */
  tryCompleteElseWatch(op: T, keys: readonly string[], timeoutMs: number): boolean {
    if (op.tryComplete()) return true;
    op.keys = keys;
    for (const key of keys) {
      let set = this.watchers.get(key);
      if (!set) {
        set = new Set();
        this.watchers.set(key, set);
      }
      set.add(op);
    }
    this.pending.add(op);
    op.cancelTimer = this.scheduler.schedule(Math.max(0, timeoutMs), () => {
      op.cancelTimer = null;
      if (op.forceComplete(true)) this.unwatch(op);
    });
    return false;
  }

  /** Re-checks the operations watching `key`; returns how many completed. */
  checkAndComplete(key: string): number {
    const set = this.watchers.get(key);
    if (!set) return 0;
    let completed = 0;
    for (const op of [...set]) {
      if (op.isCompleted || op.tryComplete()) {
        this.unwatch(op);
        completed++;
      }
    }
    return completed;
  }

  private unwatch(op: T): void {
    this.pending.delete(op);
    for (const key of op.keys) {
      const set = this.watchers.get(key);
      if (!set) continue;
      set.delete(op);
      if (set.size === 0) this.watchers.delete(key);
    }
  }

  /** Operations still waiting. */
  get size(): number {
    return this.pending.size;
  }

  /** Completes every waiting operation now (shutdown). */
  completeAll(): void {
    for (const op of [...this.pending]) {
      op.forceComplete(false);
      this.unwatch(op);
    }
  }
}

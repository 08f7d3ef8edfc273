import type { Clock } from '../../src/log/log.js';
import type { Scheduler } from '../../src/log/scheduler.js';

export const START_MS = 1_700_000_000_000;

/** A clock and scheduler that move only when the test says so. */
export class ManualTime implements Clock, Scheduler {
  nowMs = START_MS;
  private seq = 0;
  private pending: { due: number; seq: number; task: () => Promise<void> | void }[] = [];

  now(): number {
    return this.nowMs;
  }

  schedule(delayMs: number, task: () => Promise<void> | void): () => void {
    const entry = { due: this.nowMs + delayMs, seq: this.seq++, task };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((e) => e !== entry);
    };
  }

  /** Moves time forward, running every task that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    for (;;) {
      const next = this.pending
        .filter((e) => e.due <= target)
        .sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.pending = this.pending.filter((e) => e !== next);
      this.nowMs = Math.max(this.nowMs, next.due);
      await next.task();
    }
    this.nowMs = target;
  }

  get scheduled(): number {
    return this.pending.length;
  }
}

import type { Scheduler } from '../../log/scheduler.js';

/**
 * One-shot timers by key: scheduling a key again replaces its timer, as the coordinator's
 * heartbeat, join and sync deadlines need. Time comes from the injected scheduler.
 */
export class KeyedTimers {
  private readonly timers = new Map<string, { cancel: () => void }>();

  constructor(private readonly scheduler: Scheduler) {}

  schedule(key: string, delayMs: number, task: () => void): void {
    this.cancel(key);
    const entry = { cancel: () => {} };
    entry.cancel = this.scheduler.schedule(delayMs, () => {
      if (this.timers.get(key) !== entry) return;
      this.timers.delete(key);
      task();
    });
    this.timers.set(key, entry);
  }

  cancel(key: string): void {
    const entry = this.timers.get(key);
    if (entry === undefined) return;
    this.timers.delete(key);
    entry.cancel();
  }

  /** Cancels every timer whose key starts with `prefix`. */
  cancelPrefix(prefix: string): void {
    for (const key of [...this.timers.keys()]) if (key.startsWith(prefix)) this.cancel(key);
  }

  cancelAll(): void {
    for (const key of [...this.timers.keys()]) this.cancel(key);
  }
}

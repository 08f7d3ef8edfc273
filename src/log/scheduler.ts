/**
 * Background work for the storage layer: a one-shot scheduler that tests replace with a
 * manual one, and periodic tasks that never overlap themselves and can be stopped.
 */
export interface Scheduler {
  /** Runs `task` once after `delayMs`; the returned function cancels it if not yet started. */
  schedule(delayMs: number, task: () => Promise<void> | void): () => void;
}

/** setTimeout's largest delay; Kafka uses Long.MAX_VALUE for "never", far beyond it. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Real timers, unref'ed so pending background work never keeps the process alive. */
export const timerScheduler: Scheduler = {
  schedule(delayMs, task) {
    // A longer delay would fire at once (Node clamps it to 1 ms); treat it as never.
    if (!(delayMs <= MAX_TIMER_DELAY_MS)) return () => {};
    const timer = setTimeout(() => void task(), Math.max(0, delayMs));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * Runs `body` after `initialDelayMs` and then `periodMs` after each run ends, so a run
 * never overlaps the previous one. Errors go to `onError` and don't stop the task.
 */
export class PeriodicTask {
  private cancelNext: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly scheduler: Scheduler,
    private readonly periodMs: number,
    private readonly body: () => Promise<void>,
    private readonly onError: (name: string, err: unknown) => void,
  ) {}

  /** A period beyond the timer range means the task is disabled (Kafka's Long.MAX_VALUE). */
  get enabled(): boolean {
    return this.periodMs > 0 && this.periodMs <= MAX_TIMER_DELAY_MS;
  }

  start(initialDelayMs: number): void {
    if (this.enabled) this.scheduleRun(initialDelayMs);
  }

  private scheduleRun(delayMs: number): void {
    if (this.stopped) return;
    this.cancelNext = this.scheduler.schedule(delayMs, () => this.run());
  }

  private run(): Promise<void> {
    this.cancelNext = null;
    if (this.stopped) return Promise.resolve();
    this.running = (async () => {
      try {
        await this.body();
      } catch (err) {
        this.onError(this.name, err);
      }
    })();
    return this.running.then(() => {
      this.running = null;
      this.scheduleRun(this.periodMs);
    });
  }

  /** Cancels the next run and waits for the current one, if any, to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelNext?.();
    this.cancelNext = null;
    await this.running;
  }
}

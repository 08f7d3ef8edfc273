import { setImmediate as nextTurn } from 'node:timers/promises';

/** Raised inside a pass when its log's cleaning was aborted (e.g. the log is being deleted). */
export class CleaningAbortedError extends Error {
  override readonly name = 'CleaningAbortedError';
}

/**
 * Keeps a long cleaning pass polite: every `yieldEveryBytes` processed it gives the event
 * loop a turn, and at every step it checks whether the pass should stop.
 */
export class Pacer {
  private sinceYield = 0;

  constructor(
    private readonly yieldEveryBytes: number,
    private readonly checkAborted: () => void = () => {},
  ) {}

  async advance(bytes: number): Promise<void> {
    this.checkAborted();
    this.sinceYield += bytes;
    if (this.sinceYield >= this.yieldEveryBytes) {
      this.sinceYield = 0;
      await nextTurn();
      this.checkAborted();
    }
  }
}

/**
 * Runs operations one at a time, in submission order (Kafka's controller event queue):
 * each operation decides from the image its predecessors left, so decisions never race.
 * A failed operation does not stop the ones after it.
 */
export class EventQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(operation: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(operation);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything submitted so far has finished. */
  async drain(): Promise<void> {
    await this.tail;
  }
}

/**
 * Runs `group-consumer.py` (a confluent-kafka group consumer) as a child process of the
 * Debian system python, collects the JSON events it prints, and sends it commands.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Debian python that has `confluent_kafka` (and `kafka`) installed. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
export const GROUP_CONSUMER_SCRIPT = join(
  dirname(fileURLToPath(import.meta.url)),
  'group-consumer.py',
);

export interface ConsumerEvent {
  event: string;
  partitions?: number[];
  /** null when the consumer could no longer tell (a revocation during close). */
  assignment?: number[] | null;
  partition?: number;
  offset?: number;
  value?: string;
  offsets?: [number, number][];
  error?: string;
}

export class GroupConsumerProcess {
  readonly events: ConsumerEvent[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private partialLine = '';
  private waiters: (() => void)[] = [];

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => this.wake());
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (this.partialLine + chunk.toString()).split('\n');
      this.partialLine = lines.pop()!;
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          this.events.push(JSON.parse(line) as ConsumerEvent);
        } catch {
          this.stderr += `unparsed stdout: ${line}\n`;
        }
      }
      this.wake();
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** `group.instance.id` '-' for none; `extra` are more consumer settings. */
  static start(
    bootstrap: string,
    topic: string,
    groupId: string,
    groupInstanceId: string,
    extra: Record<string, string> = {},
  ): GroupConsumerProcess {
    const args = [
      GROUP_CONSUMER_SCRIPT,
      bootstrap,
      topic,
      groupId,
      groupInstanceId,
      ...Object.entries(extra).map(([k, v]) => `${k}=${v}`),
    ];
    return new GroupConsumerProcess(
      spawn(SYSTEM_PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] }),
    );
  }

  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The assignment after the last rebalance callback, or null before the first. */
  get assignment(): number[] | null {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const assignment = this.events[i].assignment;
      if (assignment !== undefined) return assignment;
    }
    return null;
  }

  /** Rebalance callbacks (assign, revoke, lost) seen so far. */
  get rebalanceEvents(): ConsumerEvent[] {
    return this.events.filter((e) => ['assign', 'revoke', 'lost'].includes(e.event));
  }

  consumedValues(): string[] {
    return this.events.filter((e) => e.event === 'consumed').map((e) => e.value!);
  }

  send(command: 'close' | 'exit'): void {
    this.child.stdin!.write(`${command}\n`);
  }

  /** Waits until `done()` holds; throws with the events and stderr after `timeoutMs`. */
  async waitFor(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.hasExited) {
        throw new Error(
          `${this.hasExited ? 'consumer exited' : 'timed out'} waiting for ${what}\n` +
            `events: ${JSON.stringify(this.rebalanceEvents)}\nstderr: ${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** SIGKILL by pid unless it has exited; then waits for the exit. */
  async kill(): Promise<void> {
    if (!this.hasExited && this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
    await this.exited;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

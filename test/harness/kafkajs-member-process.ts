/**
 * Runs test/harness/kafkajs-member.mjs (one kafkajs group member) as a child process and
 * collects the JSON lines it prints, so a test can wait for a join and SIGKILL the member.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'kafkajs-member.mjs');

export interface KafkajsMemberOptions {
  brokers: string[];
  groupId: string;
  topic: string;
  clientId: string;
  sessionTimeout: number;
  heartbeatInterval: number;
  rebalanceTimeout?: number;
  maxWaitTimeInMs?: number;
  fromBeginning?: boolean;
}

export type KafkajsMemberEvent =
  | {
      type: 'join';
      memberId: string;
      leaderId: string;
      isLeader: boolean;
      assignment: Record<string, number[]>;
    }
  | { type: 'heartbeat'; memberId: string; generation: number }
  | {
      type: 'message';
      partition: number;
      offset: string;
      key: string | null;
      value: string | null;
    }
  | { type: 'crash'; error: string }
  | { type: 'stopped' }
  | { type: 'error'; error: string };

export interface KafkajsMemberProcess {
  readonly child: ChildProcess;
  readonly events: KafkajsMemberEvent[];
  /** Resolves with the first event (already seen or to come) matching; rejects on timeout/exit. */
  waitFor<T extends KafkajsMemberEvent>(
    what: string,
    predicate: (event: KafkajsMemberEvent) => event is T,
    timeoutMs: number,
  ): Promise<T>;
  /** The last join event so far, if any. */
  lastJoin(): Extract<KafkajsMemberEvent, { type: 'join' }> | undefined;
  /** Sends `signal` by pid (if still running) and resolves once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
  stderr(): string;
}

export function startKafkajsMemberProcess(options: KafkajsMemberOptions): KafkajsMemberProcess {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: KafkajsMemberEvent[] = [];
  const listeners = new Set<() => void>();
  let pending = '';
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const text of lines) {
      if (text.trim() === '') continue;
      events.push(JSON.parse(text) as KafkajsMemberEvent);
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.once('exit', () => {
    for (const listener of [...listeners]) listener();
  });

  return {
    child,
    events,
    waitFor<T extends KafkajsMemberEvent>(
      what: string,
      predicate: (event: KafkajsMemberEvent) => event is T,
      timeoutMs: number,
    ): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (!isRunning()) {
            done();
            reject(
              new Error(`consumer exited before ${what}: ${JSON.stringify(events)}\n${stderr}`),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`no ${what} within ${timeoutMs} ms: ${JSON.stringify(events)}\n${stderr}`),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    lastJoin() {
      return events.filter((e) => e.type === 'join').at(-1) as
        Extract<KafkajsMemberEvent, { type: 'join' }> | undefined;
    },
    async kill(signal: NodeJS.Signals): Promise<void> {
      if (isRunning() && child.pid !== undefined) process.kill(child.pid, signal);
      await exited;
    },
    stderr: () => stderr,
  };
}

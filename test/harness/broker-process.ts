/**
 * Runs `bin/broker` as a real child process for integration tests: a temp config with free
 * ports, the storage formatted with `bin/kafka-storage`, the ready line awaited, SIGTERM to
 * stop (or SIGKILL). Also runs client tools with a time limit, killed by pid when they overrun.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareSingleNode } from '../../bench/support/single-node.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** A script of the repository's bin/ directory. */
export const binPath = (name: string): string => join(ROOT, 'bin', name);
export const BROKER_BIN = join(ROOT, 'bin/broker');
export const STORAGE_BIN = join(ROOT, 'bin/kafka-storage');
const COMPILED_CLI = join(ROOT, 'dist/src/cli/broker.js');

/** The tests run the compiled broker; say so plainly when it has not been built. */
export function requireBuiltBroker(): void {
  if (!existsSync(COMPILED_CLI)) {
    throw new Error(`${COMPILED_CLI} is missing: run \`npm run build\` before these tests`);
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to completion; past `timeoutMs` it is killed (by its pid) and reported. */
export function run(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 20_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface BrokerNode {
  readonly dir: string;
  readonly configPath: string;
  readonly port: number;
  readonly bootstrap: string;
}

/** Writes a single-node config under `dir` (free ports) and formats its storage. */
export async function prepareBrokerNode(
  dir: string,
  extraProps: Record<string, string> = {},
): Promise<BrokerNode> {
  const { configPath, port } = await prepareSingleNode(dir, STORAGE_BIN, {
    // One node holds one replica of everything; groups rebalance without waiting for more.
    'offsets.topic.replication.factor': '1',
    'group.initial.rebalance.delay.ms': '0',
    ...extraProps,
  });
  return { dir, configPath, port, bootstrap: `127.0.0.1:${port}` };
}

export interface RunningBrokerProcess {
  readonly child: ChildProcess;
  readonly readyLine: string;
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** Starts `bin/broker --config` and waits for its ready line. */
export function startBrokerProcess(
  node: BrokerNode,
  timeoutMs = 20_000,
): Promise<RunningBrokerProcess> {
  const child = spawn(BROKER_BIN, ['--config', node.configPath], {
    cwd: node.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => resolveExit(code)),
  );
  const stop = async (stopTimeoutMs = 20_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }, stopTimeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      void stop(1000);
      reject(new Error(`broker not ready within ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = out.split('\n').find((line) => line.startsWith('broker started:'));
      if (ready !== undefined) {
        clearTimeout(timer);
        resolveStart({ child, readyLine: ready, output: () => out + err, stop });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code}) before it was ready:\n${out}\n${err}`));
    });
  });
}

/** SIGKILL by pid; resolves once the process is gone. */
export async function kill9(broker: RunningBrokerProcess): Promise<void> {
  const child = broker.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid!, 'SIGKILL');
  await exited;
}

/** For the consumer-group tests: topics only where created, 5 `__consumer_offsets` partitions. */
export const GROUP_TEST_PROPS: Readonly<Record<string, string>> = {
  'auto.create.topics.enable': 'false',
  'offsets.topic.num.partitions': '5',
};

export interface TempBroker extends RunningBrokerProcess {
  readonly node: BrokerNode;
  /** Stops the broker (SIGTERM), then removes its temp dir. */
  close(): Promise<void>;
}

/**
 * One broker for a test file: a fresh temp dir named from `prefix`, a single-node config with
 * `extraProps`, formatted and started (the temp dir is removed again when that fails).
 */
export async function startTempBroker(
  prefix: string,
  extraProps: Record<string, string> = {},
): Promise<TempBroker> {
  requireBuiltBroker();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    const node = await prepareBrokerNode(dir, extraProps);
    const running = await startBrokerProcess(node);
    const close = async (): Promise<void> => {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    };
    return { ...running, node, close };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

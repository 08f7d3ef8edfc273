/**
 * The child-process plumbing of the end-to-end benches (bench/broker, bench/groups): tools
 * run to completion, long-running children awaited until their ready line, the single-node
 * broker child (temp config and data dir, free ports, storage formatted), CPU and memory of a
 * child from /proc, and one temp dir. Every child started here is killed, and the temp dir
 * removed, when the bench ends, fails or is interrupted (runBench).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { prepareSingleNode } from './single-node.js';

/** The repository root (this file runs as dist/bench/support/processes.js). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = (name: string): string => join(ROOT, 'bin', name);
/** The raw baseline server (bench/broker/raw-server.ts), run as a child. */
export const RAW_SERVER = join(ROOT, 'dist/bench/broker/raw-server.js');

const children = new Set<ChildProcess>();
let tempDir: string | null = null;

/** One result line on stdout. */
export function emit(line: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}
export const round = (n: number, d = 1): number => Number(n.toFixed(d));

// ---------------------------------------------------------------------------------------
// processes

export function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** CPU seconds (user + system) of a live process, from /proc; null when it is gone. */
export async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
  } catch {
    return null;
  }
}

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** CPU seconds of the tool process, sampled every 50 ms (the last ≤50 ms are lost). */
  cpuSec: number;
}

/** Runs a tool to completion (killed by pid past timeoutMs); stdin from a file if given. */
export async function runTool(
  command: string,
  args: readonly string[],
  options: { stdinFile?: string; timeoutMs?: number } = {},
): Promise<ToolRun> {
  const stdinHandle = options.stdinFile ? await open(options.stdinFile, 'r') : null;
  try {
    return await new Promise<ToolRun>((resolveRun, reject) => {
      const started = performance.now();
      const child = spawn(command, args, {
        stdio: [stdinHandle ? stdinHandle.fd : 'ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let stdout = '';
      let stderr = '';
      let cpu = 0;
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const sampler = setInterval(() => {
        if (child.pid !== undefined) void cpuSeconds(child.pid).then((s) => (cpu = s ?? cpu));
      }, 50);
      const timer = setTimeout(() => killChild(child), options.timeoutMs ?? 60_000);
      child.once('error', (err) => {
        clearInterval(sampler);
        clearTimeout(timer);
        children.delete(child);
        reject(err);
      });
      child.once('close', (code) => {
        clearInterval(sampler);
        clearTimeout(timer);
        children.delete(child);
        resolveRun({ code, stdout, stderr, wallMs: performance.now() - started, cpuSec: cpu });
      });
    });
  } finally {
    await stdinHandle?.close();
  }
}

/** Starts a long-running child and waits for a stdout line matching `ready`. */
export function startChild(
  command: string,
  args: readonly string[],
  ready: RegExp,
  cwd?: string,
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolveStart, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      killChild(child);
      reject(new Error(`${command} not ready in 30 s:\n${out}\n${err}`));
    }, 30_000);
    const onData = (c: Buffer): void => {
      out += c.toString();
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolveStart({ child, match: m });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => {
      if (err.length < 100_000) err += c.toString();
    });
    child.once('exit', (code) => {
      children.delete(child);
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}) before it was ready:\n${out}\n${err}`));
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  killChild(child, 'SIGTERM');
  const timer = setTimeout(() => killChild(child), 10_000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

export async function memoryOf(pid: number): Promise<{ rss_mib: number; hwm_mib: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { rss_mib: round(kib('VmRSS') / 1024), hwm_mib: round(kib('VmHWM') / 1024) };
}

/**
 * Busy, stolen and total jiffies of the whole machine (all cores), from /proc/stat. Steal is
 * time the hypervisor gave our virtual cores to someone else: when it is high, every figure
 * of that phase (the baselines' too) is low.
 */
export async function machineJiffies(): Promise<{ busy: number; steal: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, steal: v[7] ?? 0, total };
}

/** A socket to a baseline server child on 127.0.0.1, Nagle off. */
export function connectTo(port: number): Promise<Socket> {
  return new Promise((resolveConnect, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolveConnect(socket));
    socket.once('error', reject);
    socket.setNoDelay(true);
  });
}

/**
 * Runs `body` against a `raw-server.js append` child writing to `file` (given its port), then
 * stops the child and removes the file. Also returns the child's CPU seconds over `body`.
 */
export async function withRawAppendServer<T>(
  file: string,
  body: (port: number) => Promise<T>,
): Promise<[T, number]> {
  const { child, match } = await startChild(
    'node',
    [RAW_SERVER, 'append', file],
    /listening (\d+)/,
  );
  try {
    await settleDisk();
    const cpu0 = (await cpuSeconds(child.pid!)) ?? 0;
    const result = await body(Number(match[1]));
    const cpu1 = (await cpuSeconds(child.pid!)) ?? 0;
    return [result, cpu1 - cpu0];
  } finally {
    await stopChild(child);
    await rm(file, { force: true });
  }
}

// ---------------------------------------------------------------------------------------
// broker

export interface Broker {
  child: ChildProcess;
  pid: number;
  host: string;
  port: number;
  bootstrap: string;
  logDir: string;
}

/**
 * Writes a single-node config under `dir` (free ports; `extraProps` after the common ones),
 * formats its storage with bin/kafka-storage and starts bin/broker, waiting for its ready line.
 */
export async function startBroker(
  dir: string,
  extraProps: Record<string, string> = {},
): Promise<Broker> {
  const { configPath, port, logDir } = await prepareSingleNode(
    dir,
    BIN('kafka-storage'),
    extraProps,
  );
  // BENCH_BROKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' runs the compiled broker
  // under `node` with those flags (NODE_OPTIONS refuses --cpu-prof), e.g. to profile it,
  // after the heap flag bin/broker passes by default.
  const nodeArgs = (process.env.BENCH_BROKER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  if (nodeArgs.length > 0) nodeArgs.unshift('--initial-old-space-size=256');
  const { child } =
    nodeArgs.length > 0
      ? await startChild(
          process.execPath,
          [...nodeArgs, join(ROOT, 'dist/src/cli/broker.js'), '--config', configPath],
          /^broker started: .*$/m,
          dir,
        )
      : await startChild(BIN('broker'), ['--config', configPath], /^broker started: .*$/m, dir);
  return {
    child,
    pid: child.pid!,
    host: '127.0.0.1',
    port,
    bootstrap: `127.0.0.1:${port}`,
    logDir,
  };
}

export interface PhaseStats {
  broker_cpu_s: number;
  broker_cpu_pct_of_core: number;
  machine_cpu_busy_pct: number;
  machine_cpu_steal_pct: number;
  broker_rss_mib: number;
  broker_hwm_mib: number;
}

/**
 * Writes back every dirty page before a timed run, so that no run pays for the writeback of
 * what an earlier run wrote: the kernel starts it 30 s after a write (or sooner under memory
 * pressure), and on a 2-core machine its threads take CPU from whatever is being timed.
 *
 * `sync` runs in one long-lived shell, started at the first call. Spawning a process forks
 * this one, which leaves every page of it copy-on-write: a bench that runs the engine in
 * this process (bench/log) would then pay a page fault for each page it next writes to,
 * which a broker never does.
 */
export async function settleDisk(): Promise<void> {
  settler ??= startSettler();
  const { shell, output, lines } = settler;
  // Between calls neither the shell nor its pipes keep a finished bench alive.
  output.ref();
  try {
    shell.stdin!.write('sync && echo synced\n');
    const { value, done } = await lines.next();
    if (done || value !== 'synced') throw new Error('sync failed');
  } finally {
    output.unref();
  }
}

interface Settler {
  shell: ChildProcess;
  output: Socket;
  lines: AsyncIterator<string>;
}
let settler: Settler | null = null;

function startSettler(): Settler {
  const shell = spawn('sh', [], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(shell);
  shell.unref();
  (shell.stdin as Socket).unref();
  const output = shell.stdout as Socket;
  return { shell, output, lines: createInterface({ input: output })[Symbol.asyncIterator]() };
}

/** Broker CPU seconds over a phase (and its share of one core), the machine's load, and the
 * broker's memory after it. The disk is settled first. */
export async function measurePhase<T>(
  broker: Pick<Broker, 'pid'>,
  body: () => Promise<T>,
): Promise<[T, PhaseStats]> {
  await settleDisk();
  const cpu0 = (await cpuSeconds(broker.pid)) ?? 0;
  const m0 = await machineJiffies();
  const t0 = performance.now();
  const result = await body();
  const cpu1 = (await cpuSeconds(broker.pid)) ?? 0;
  const m1 = await machineJiffies();
  const seconds = (performance.now() - t0) / 1000;
  const mem = await memoryOf(broker.pid);
  return [
    result,
    {
      broker_cpu_s: round(cpu1 - cpu0, 2),
      broker_cpu_pct_of_core: round((100 * (cpu1 - cpu0)) / seconds, 0),
      machine_cpu_busy_pct: round(
        (100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total),
        0,
      ),
      machine_cpu_steal_pct: round(
        (100 * (m1.steal - m0.steal)) / Math.max(1, m1.total - m0.total),
        0,
      ),
      broker_rss_mib: mem.rss_mib,
      broker_hwm_mib: mem.hwm_mib,
    },
  ];
}

// ---------------------------------------------------------------------------------------
// the run

/** A fresh directory under the OS temp dir, removed when the bench ends (one per run). */
export async function makeTempDir(prefix: string): Promise<string> {
  tempDir = await mkdtemp(join(tmpdir(), prefix));
  return tempDir;
}

async function cleanup(): Promise<void> {
  for (const child of children) killChild(child);
  children.clear();
  if (tempDir) {
    await rm(tempDir, { recursive: true, force: true });
    tempDir = null;
  }
}

/**
 * Runs a bench's main: a failure is printed on stderr with exit code 1; the children are
 * killed and the temp dir removed at the end, and on SIGINT (exit 130) or SIGTERM (143).
 */
export async function runBench(main: () => Promise<void>): Promise<void> {
  process.once('SIGINT', () => {
    void cleanup().finally(() => process.exit(130));
  });
  process.once('SIGTERM', () => {
    void cleanup().finally(() => process.exit(143));
  });
  try {
    await main();
  } catch (err) {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

/**
 * Crash safety of the log: a child process appends continuously and is killed with
 * SIGKILL at random moments; after every kill the log is recovered and checked.
 *
 * Design
 *  - The child (test/harness/crash-appender.mjs, running the compiled engine from dist/)
 *    opens the log after an unclean shutdown, then appends the deterministic batches of
 *    test/harness/crash-workload.mjs with 1-8 appends in flight (group commit) and flushes
 *    every few appends. It reports on stdout every acknowledged append ("A") and every
 *    completed flush with the log's recovery point ("F").
 *  - The parent kills it by PID with SIGKILL after a seeded random delay (some rounds
 *    from the spawn, so the kill can land during startup and recovery), reopens the log
 *    with hadCleanShutdown false and the last acknowledged recovery point, and checks:
 *      . every batch frames and has a valid CRC, offsets are contiguous from 0;
 *      . batch N holds exactly the bytes of the workload's batch N (a prefix of what was
 *        appended; only the offset and leader epoch fields are stamped by the log);
 *      . the segment files themselves end on a batch boundary (a torn tail was cut off);
 *      . logEndOffset >= the last flushed offset, and >= the last acknowledged append:
 *        SIGKILL keeps the page cache, so even unflushed written data must survive;
 *      . the leader epoch cache matches the epochs stamped on the batches;
 *      . random offsets read back through the (rebuilt) indexes;
 *      . the log accepts appends afterwards: the parent appends the next batches of the
 *        workload, flushes, and closes cleanly or just drops its handles (alternating).
 *  - The next round's child reopens the same log, recovering first, and continues the
 *    sequence. The rounds are bounded in number and in time.
 *
 * LOG_CRASH_SEED=<n> replays a run; the seed is in every failure message.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Log } from '../../src/log/log.js';
import type { LogConfig } from '../../src/log/log-config.js';
import {
  buildUncompressedRecordBatch,
  RecordBatch,
  scanBatches,
} from '../../src/protocol/records/index.js';
import { CRASH_LOG_CONFIG, crashBatchOptions } from '../harness/crash-workload.mjs';

const SEED = Number(process.env.LOG_CRASH_SEED ?? 0x5eed_c0de);
const MAX_ROUNDS = 10;
const MIN_ROUNDS = 4;
/** No new round starts after this much time (the machine may be busy). */
const ROUND_BUDGET_MS = 25_000;
/** A child that neither reports nor dies within this is a hang. */
const CHILD_TIMEOUT_MS = 15_000;
const FLUSH_EVERY = 16;
const MAX_IN_FLIGHT = 8;
/** Appended by the parent after each recovery to prove the log is writable. */
const PARENT_APPENDS = 3;

const CHILD_SCRIPT = fileURLToPath(new URL('../harness/crash-appender.mjs', import.meta.url));
const COMPILED_LOG = fileURLToPath(new URL('../../dist/src/log/log.js', import.meta.url));

const config: LogConfig = { ...CRASH_LOG_CONFIG, cleanupPolicy: ['delete'] };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'log-crash-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** mulberry32: the parent's seeded choices (kill delays). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const expectedBatches: Buffer[] = [];
/** The bytes batch `seq` of the workload has before the log stamps offset and epoch. */
function expectedBatch(seq: number): Buffer {
  let batch = expectedBatches[seq];
  if (!batch) {
    batch = buildUncompressedRecordBatch(crashBatchOptions(SEED, seq));
    expectedBatches[seq] = batch;
  }
  return batch;
}

/** Equal apart from baseOffset (bytes 0-7) and partitionLeaderEpoch (12-15), which the log sets. */
function sameContents(actual: Buffer, expected: Buffer): boolean {
  return (
    actual.length === expected.length &&
    actual.subarray(8, 12).equals(expected.subarray(8, 12)) &&
    actual.subarray(16).equals(expected.subarray(16))
  );
}

interface ChildRun {
  ready: boolean;
  /** End offset (exclusive) of the appends the child saw acknowledged. */
  appended: bigint;
  /** Highest recovery point reported after a flush. */
  flushed: bigint | null;
  errors: string[];
  stderr: string;
  signal: NodeJS.Signals | null;
  code: number | null;
  killedAfterMs: number;
}

interface ChildArgs {
  dir: string;
  seed: number;
  nextSeq: number;
  expectedLogEndOffset: string;
  recoveryPoint: string;
  epoch: number;
  flushEvery: number;
  maxInFlight: number;
}

/** Runs the appender and SIGKILLs it `delayMs` after it is ready (or after the spawn). */
async function runChild(args: ChildArgs, delayMs: number, fromSpawn: boolean): Promise<ChildRun> {
  const child = spawn(process.execPath, [CHILD_SCRIPT, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: ChildRun = {
    ready: false,
    appended: BigInt(args.expectedLogEndOffset),
    flushed: null,
    errors: [],
    stderr: '',
    signal: null,
    code: null,
    killedAfterMs: -1,
  };
  const spawnedAt = performance.now();
  const timers: NodeJS.Timeout[] = [];
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      run.killedAfterMs = Math.round(performance.now() - spawnedAt);
      process.kill(child.pid, 'SIGKILL');
    }
  };
  const exited = new Promise<void>((resolve) =>
    child.on('close', (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve();
    }),
  );
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (run.stderr.length < 10_000) run.stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  const linesDone = new Promise<void>((resolve) => lines.on('close', () => resolve()));
  lines.on('line', (text) => {
    const [kind, a] = text.split(' ');
    if (kind === 'R') {
      run.ready = true;
      if (!fromSpawn) timers.push(setTimeout(kill, delayMs));
    } else if (kind === 'A') {
      run.appended = BigInt(a);
    } else if (kind === 'F') {
      const point = BigInt(a);
      if (run.flushed === null || point > run.flushed) run.flushed = point;
    } else {
      run.errors.push(text);
    }
  });
  if (fromSpawn) timers.push(setTimeout(kill, delayMs));
  timers.push(
    setTimeout(() => {
      run.errors.push(`child did not finish within ${CHILD_TIMEOUT_MS} ms`);
      kill();
    }, CHILD_TIMEOUT_MS),
  );
  child.on('error', (err) => run.errors.push(String(err)));
  try {
    await Promise.all([exited, linesDone]);
  } finally {
    for (const t of timers) clearTimeout(t);
    kill();
  }
  return run;
}

interface Verified {
  logEndOffset: bigint;
  batches: number;
  segments: number;
  bytes: number;
  truncatedTail: boolean;
}

/**
 * Recovers the log and checks it against the workload; then appends the next
 * PARENT_APPENDS batches with `epoch`, flushes, and closes (cleanly or not).
 */
async function recoverAndCheck(
  recoveryPoint: bigint,
  mustReach: bigint,
  round: number,
  cleanClose: boolean,
): Promise<Verified & { recoveryPoint: bigint; recoveredEnd: bigint }> {
  const warnings: string[] = [];
  const log = await Log.open({
    dir,
    config,
    hadCleanShutdown: false,
    recoveryPoint,
    logger: { info() {}, warn: (_obj, msg) => warnings.push(msg) },
  });
  try {
    if (log.logEndOffset < mustReach) {
      throw new Error(
        `recovered log ends at ${log.logEndOffset}, below acknowledged offset ${mustReach}`,
      );
    }
    const before = await checkContents(log, round);
    // Appendable afterwards: the workload continues where the log ends.
    let next = before.logEndOffset;
    for (let i = 0; i < PARENT_APPENDS; i++) {
      // A copy: the log stamps offsets into the appended buffer.
      const batch = Buffer.from(expectedBatch(before.batches + i));
      const result = await log.appendAsLeader(batch, round);
      expect(result.firstOffset).toBe(next);
      next = result.lastOffset + 1n;
    }
    await log.flush();
    const after = await checkContents(log, round);
    expect(after.batches).toBe(before.batches + PARENT_APPENDS);
    expect(log.recoveryPoint).toBe(log.logEndOffset);
    return {
      ...after,
      recoveredEnd: before.logEndOffset,
      truncatedTail: warnings.some((w) => w.includes('truncated')),
      recoveryPoint: log.recoveryPoint,
    };
  } finally {
    if (cleanClose) await log.close();
    else await log.closeHandles();
  }
}

/** Reads the whole log by offset, then the segment files directly; checks both. */
async function checkContents(log: Log, maxEpoch: number): Promise<Verified> {
  const end = log.logEndOffset;
  expect(log.logStartOffset).toBe(0n);
  const baseOffsets: bigint[] = [];
  const transitions: { epoch: number; startOffset: bigint }[] = [];
  let offset = 0n;
  let seq = 0;
  while (offset < end) {
    const { records, firstBatchOffset } = await log.read(offset, 256 * 1024);
    expect(firstBatchOffset).toBe(offset);
    const { batches } = scanBatches(records);
    if (batches.length === 0) throw new Error(`read at ${offset} returned no whole batch`);
    for (const batch of batches) {
      checkBatch(batch, seq, offset, maxEpoch);
      const epoch = batch.partitionLeaderEpoch;
      const last = transitions[transitions.length - 1];
      if (last && epoch < last.epoch)
        throw new Error(`epoch goes back from ${last.epoch} to ${epoch} at offset ${offset}`);
      if (!last || epoch > last.epoch) transitions.push({ epoch, startOffset: offset });
      baseOffsets.push(offset);
      offset = batch.nextOffset;
      seq++;
    }
  }
  expect(offset).toBe(end);
  expect(log.leaderEpochCache.all.map((e) => ({ ...e }))).toEqual(transitions);

  // Point reads through the indexes.
  const next = random(SEED ^ Number(end & 0xffffffn));
  for (let i = 0; i < 16 && end > 0n; i++) {
    const target = BigInt(Math.floor(next() * Number(end)));
    const { records } = await log.read(target, 1);
    const batch = RecordBatch.at(records);
    let lo = 0;
    let hi = baseOffsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (baseOffsets[mid] <= target) lo = mid;
      else hi = mid - 1;
    }
    expect(batch.baseOffset).toBe(baseOffsets[lo]);
    checkBatch(batch, lo, baseOffsets[lo], maxEpoch);
  }

  // The files themselves: whole, valid batches only, contiguous across segments.
  const names = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
  let fileOffset = 0n;
  let bytes = 0;
  for (const name of names) {
    const base = BigInt(name.slice(0, -'.log'.length));
    const data = await readFile(join(dir, name));
    bytes += data.length;
    const { batches, trailingBytes } = scanBatches(data);
    if (trailingBytes !== 0) throw new Error(`${name} ends with ${trailingBytes} stray bytes`);
    if (batches.length > 0) expect(batches[0].baseOffset).toBe(base);
    for (const batch of batches) {
      if (!batch.isValid()) throw new Error(`${name}: batch at ${batch.baseOffset} fails its CRC`);
      expect(batch.baseOffset).toBe(fileOffset);
      fileOffset = batch.nextOffset;
    }
  }
  expect(fileOffset).toBe(end);
  expect(names.length).toBe(log.segments.length);
  return { logEndOffset: end, batches: seq, segments: names.length, bytes, truncatedTail: false };
}

function checkBatch(batch: RecordBatch, seq: number, offset: bigint, maxEpoch: number): void {
  if (!batch.isValid()) throw new Error(`batch ${seq} at offset ${offset} fails its CRC`);
  if (batch.baseOffset !== offset)
    throw new Error(`batch ${seq} has base offset ${batch.baseOffset}, expected ${offset}`);
  if (!sameContents(batch.bytes, expectedBatch(seq)))
    throw new Error(`batch ${seq} at offset ${offset} differs from what was appended`);
  const epoch = batch.partitionLeaderEpoch;
  if (epoch < 0 || epoch > maxEpoch)
    throw new Error(`batch ${seq} has leader epoch ${epoch}, beyond round ${maxEpoch}`);
}

test('SIGKILL at random moments: recovery yields a valid prefix holding every acknowledged offset', async () => {
  if (!existsSync(COMPILED_LOG)) {
    throw new Error(
      `${COMPILED_LOG} is missing: the crash test runs the compiled engine in a child ` +
        'process. Run `npm run build` first (`npm test` does).',
    );
  }
  const next = random(SEED);
  const started = performance.now();
  let logEndOffset = 0n;
  let nextSeq = 0;
  let recoveryPoint = 0n;
  const summary: string[] = [];
  let round = 0;
  for (; round < MAX_ROUNDS; round++) {
    if (round >= MIN_ROUNDS && performance.now() - started > ROUND_BUDGET_MS) break;
    const fromSpawn = round % 4 === 3;
    const delayMs = Math.round(fromSpawn ? next() * 250 : 10 + next() * 350);
    const context = `seed ${SEED}, round ${round}`;
    const run = await runChild(
      {
        dir,
        seed: SEED,
        nextSeq,
        expectedLogEndOffset: logEndOffset.toString(),
        recoveryPoint: recoveryPoint.toString(),
        epoch: round,
        flushEvery: FLUSH_EVERY,
        maxInFlight: MAX_IN_FLIGHT,
      },
      delayMs,
      fromSpawn,
    );
    if (run.errors.length > 0 || run.signal !== 'SIGKILL') {
      throw new Error(
        `${context}: child failed (code ${run.code}, signal ${run.signal}): ` +
          `${run.errors.join('; ')} ${run.stderr}`,
      );
    }
    if (!fromSpawn) expect(run.ready, `${context}: child killed before ready`).toBe(true);
    const acknowledged = run.flushed ?? recoveryPoint;
    let verified;
    try {
      verified = await recoverAndCheck(
        acknowledged,
        run.appended > acknowledged ? run.appended : acknowledged,
        round,
        round % 2 === 0,
      );
    } catch (err) {
      (err as Error).message = `${context}: ${(err as Error).message}`;
      throw err;
    }
    summary.push(
      `r${round}:kill@${run.killedAfterMs}ms${run.ready ? '' : '(startup)'} ` +
        `ack=${acknowledged} appended=${run.appended} recovered=${verified.recoveredEnd}` +
        `${verified.truncatedTail ? ' torn-tail' : ''}`,
    );
    logEndOffset = verified.logEndOffset;
    nextSeq = verified.batches;
    recoveryPoint = verified.recoveryPoint;
  }
  expect(round).toBeGreaterThanOrEqual(MIN_ROUNDS);
  expect(nextSeq).toBeGreaterThan(round * PARENT_APPENDS);

  // Finally, after a clean shutdown, a reopen trusts the indexes and loads the same log.
  const last = await Log.open({ dir, config, hadCleanShutdown: false, recoveryPoint });
  expect(last.logEndOffset).toBe(logEndOffset);
  await last.close();
  const clean = await Log.open({ dir, config, hadCleanShutdown: true });
  try {
    expect(clean.logEndOffset).toBe(logEndOffset);
    const final = await checkContents(clean, round);
    expect(final.batches).toBe(nextSeq);
    console.log(
      `log crash test seed=${SEED}: ${round} rounds, ${final.batches} batches, ` +
        `${final.segments} segments, ${(final.bytes / 1e6).toFixed(1)} MB; ${summary.join(', ')}`,
    );
  } finally {
    await clean.close();
  }
}, 55_000);

/**
 * Storage engine throughput and footprint, one JSON line per result.
 *
 * Every result carries a raw baseline measured in the same run on the same bytes, so the
 * ratio stays meaningful on a noisy shared machine. MB = 10^6 bytes, MiB = 2^20.
 *
 *  - append: 1 KiB records in batches of 16 records (~16 KiB) and 1024 records (~1 MiB),
 *    into 1 and 100 partitions. The batches are built before the timed region. The engine
 *    run calls Log.appendAsLeader with up to IN_FLIGHT appends outstanding per partition
 *    (as a network layer with max.in.flight.requests.per.connection=5 would), so group
 *    commit can gather them; the raw run writes the same buffers with FileHandle.writev,
 *    IN_FLIGHT buffers per call, one file per partition. Both write into fresh files with
 *    no fsync, and neither rolls (segment.bytes 1 GiB). A second line with segment.bytes
 *    64 MiB shows the cost of rolling: the raw run switches files at the same sizes and,
 *    as the log does with a rolled segment, fsyncs each finished file in the background.
 *  - read: the 1-partition logs read back by offset with Log.read(offset, 1 MiB) (tail
 *    cache off, so from the files) into a ReadBufferPool, as fetches read, against
 *    FileHandle.read of the same segment files in 1 MiB chunks into one reused buffer (and,
 *    for information, into a fresh buffer per read). Warm page cache for both.
 *  - recovery: a 512 MiB log (16 KiB batches, 128 MiB segments) reopened after a clean
 *    shutdown (indexes trusted) and after an unclean one with recovery point 0 (every
 *    batch framed and CRC-checked, indexes rebuilt), against reading the same files raw
 *    (and raw read + CRC-32C of every byte).
 *  - memory: 10,000 partitions, each a tiny log (one batch), opened after a clean
 *    shutdown; heap and open file descriptors before/after. Runs in a child process
 *    started with --expose-gc, so the heap is not shared with the other benches.
 *
 * Medians of ROUNDS timed rounds after an untimed warm-up, raw and engine alternating.
 * Total runtime about 1-2 minutes.
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/log/run.js [--only=append,read,recovery,memory]
 */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Log } from '../../src/log/log.js';
import type { LogConfig } from '../../src/log/log-config.js';
import { ReadBufferPool } from '../../src/log/read-buffer-pool.js';
import { offsetFileName } from '../../src/log/segment-files.js';
import { crc32c } from '../../src/protocol/crc32c.js';
import { buildUncompressedRecordBatch } from '../../src/protocol/records/index.js';
import { settleDisk } from '../support/processes.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const MB = 1e6;

/**
 * Timed rounds per measurement, after one untimed warm-up round (page cache, JIT). A round
 * lasts 50-400 ms, and the shared host stretches single rounds of either side to several
 * times that, so the median needs a good number of them.
 */
const ROUNDS = 9;
const RECORD_BYTES = 1024;
const IN_FLIGHT = 5;
/** Bytes appended per append measurement. */
const APPEND_TOTAL = 384 * MiB;
const READ_BYTES = MiB;
/** As the broker's fetch buffer pool. */
const READ_POOL_BYTES = 64 * MiB;
/** Passes over the log per read measurement, so it lasts long enough to time. */
const READ_PASSES = 8;
const RECOVERY_LOG_BYTES = 512 * MiB;
const RECOVERY_SEGMENT_BYTES = 128 * MiB;
const RECOVERY_CHUNK = 4 * MiB;
const MEMORY_PARTITIONS = 10_000;

const TARGET_APPEND_RATIO = 0.8;
const TARGET_READ_RATIO = 0.8;
const TARGET_REBUILD_MB_PER_S = 300;
const TARGET_MEMORY_MIB = 200;

const baseConfig: LogConfig = {
  segmentBytes: GiB,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10 * MiB,
  indexIntervalBytes: 4096,
  retentionMs: -1,
  retentionBytes: -1,
  cleanupPolicy: ['delete'],
  deleteRetentionMs: 86_400_000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
  maxMessageBytes: 2 * MiB,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  fileDeleteDelayMs: 0,
};

const emit = (result: object): void => console.log(JSON.stringify(result));
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const mbps = (bytes: number, ms: number): number => round1(bytes / MB / (ms / 1000));
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Times `op`, after writing back what earlier runs left dirty (see settleDisk). */
async function timed(op: () => Promise<unknown>): Promise<number> {
  await settleDisk();
  const start = performance.now();
  await op();
  return performance.now() - start;
}

// ---- batches ---------------------------------------------------------------------------

/** One uncompressed batch of `records` 1 KiB records with random values. */
function templateBatch(records: number): Buffer {
  const value = Buffer.alloc(RECORD_BYTES);
  return buildUncompressedRecordBatch({
    records: Array.from({ length: records }, (_, i) => ({
      key: null,
      value: randomFillSync(Buffer.from(value)),
      timestamp: 1_700_000_000_000n + BigInt(i),
    })),
  });
}

/**
 * `count` distinct copies of `template`, each its own allocation, as the broker hands the log
 * a batch that is (a slice of) its own request frame. Distinct because the log stamps
 * offsets into the appended buffers in place and keeps the latest in its tail cache.
 */
function copies(template: Buffer, count: number): Buffer[] {
  return Array.from({ length: count }, () => {
    const copy = Buffer.allocUnsafeSlow(template.length);
    template.copy(copy);
    return copy;
  });
}

// ---- append ----------------------------------------------------------------------------

interface AppendCase {
  recordsPerBatch: number;
  partitions: number;
  segmentBytes: number;
  /** Keep the engine's log of the last round (1 partition) for the read bench. */
  keepFor?: string;
}

/**
 * Raw: per partition, sequential writev of IN_FLIGHT buffers into fresh files. At a roll
 * the finished file is fsynced in the background, as the log must do with a rolled segment
 * (and Kafka does): the same durability work, without any log bookkeeping.
 */
async function rawAppend(dir: string, perPartition: Buffer[][], segmentBytes: number) {
  // Opened (created) before timing, as Log.open creates the engine's segment files.
  const handles: FileHandle[] = [];
  for (let p = 0; p < perPartition.length; p++) {
    await mkdir(join(dir, `p${p}`));
    handles.push(await open(join(dir, `p${p}`, offsetFileName(0n, '.log')), 'w'));
    // Untimed warm-up write of the first batch, as the engine run appends one before timing.
    await handles[p].write(perPartition[p][0], 0, perPartition[p][0].length, 0);
  }
  const rollFlushes: Promise<void>[] = [];
  const ms = await timed(() =>
    Promise.all(
      perPartition.map(async (batches, p) => {
        let handle = handles[p];
        let position = batches[0].length;
        let fileNumber = 0;
        for (let i = 1; i < batches.length; i += IN_FLIGHT) {
          const group = batches.slice(i, i + IN_FLIGHT);
          let bytes = 0;
          for (const b of group) bytes += b.length;
          if (position + bytes > segmentBytes) {
            // Same roll points as the engine (modulo batch granularity): a new file.
            const finished = handle;
            rollFlushes.push(finished.sync().then(() => finished.close()));
            handle = await open(join(dir, `p${p}`, `${++fileNumber}.log`), 'w');
            handles[p] = handle;
            position = 0;
          }
          let done = 0;
          while (done < bytes) {
            const { bytesWritten } = await handle.writev(
              done === 0 ? group : sliceFrom(group, done),
              position + done,
            );
            done += bytesWritten;
          }
          position += bytes;
        }
      }),
    ),
  );
  await Promise.all(rollFlushes);
  for (const h of handles) await h.close();
  return ms;
}

function sliceFrom(buffers: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) skip -= b.length;
    else {
      out.push(b.subarray(skip));
      skip = 0;
    }
  }
  return out;
}

/** Engine: per partition, keep IN_FLIGHT appendAsLeader calls outstanding. */
async function engineAppend(
  dir: string,
  perPartition: Buffer[][],
  segmentBytes: number,
  keep: boolean,
): Promise<{ ms: number; logs: Log[] }> {
  const config = { ...baseConfig, segmentBytes };
  const logs: Log[] = [];
  for (let p = 0; p < perPartition.length; p++) {
    await mkdir(join(dir, `p${p}`));
    const log = await Log.open({ dir: join(dir, `p${p}`), config });
    // Untimed first append: the epoch checkpoint is written once, when leadership starts.
    await log.appendAsLeader(perPartition[p][0], 0);
    logs.push(log);
  }
  const ms = await timed(() =>
    Promise.all(
      perPartition.map(
        (batches, p) =>
          new Promise<void>((resolve, reject) => {
            const log = logs[p];
            let next = 1;
            let outstanding = 0;
            const issue = () => {
              while (outstanding < IN_FLIGHT && next < batches.length) {
                outstanding++;
                log.appendAsLeader(batches[next++], 0).then(() => {
                  outstanding--;
                  if (next < batches.length) issue();
                  else if (outstanding === 0) resolve();
                }, reject);
              }
            };
            issue();
          }),
      ),
    ),
  );
  if (!keep) for (const log of logs) await log.closeHandles();
  return { ms, logs };
}

async function benchAppend(root: string, c: AppendCase): Promise<void> {
  const template = templateBatch(c.recordsPerBatch);
  const perPartitionCount = Math.max(5, Math.floor(APPEND_TOTAL / template.length / c.partitions));
  const all = copies(template, perPartitionCount * c.partitions);
  const perPartition = Array.from({ length: c.partitions }, (_, p) =>
    all.slice(p * perPartitionCount, (p + 1) * perPartitionCount),
  );
  // Timed bytes: everything after the untimed first batch of each partition.
  const timedBytes = (perPartitionCount - 1) * c.partitions * template.length;
  const raw: number[] = [];
  const engine: number[] = [];
  const runRaw = async (): Promise<number> => {
    const rawDir = await mkdtemp(join(root, 'raw-'));
    const ms = await rawAppend(rawDir, perPartition, c.segmentBytes);
    await rm(rawDir, { recursive: true, force: true });
    return ms;
  };
  const runEngine = async (last: boolean): Promise<number> => {
    const engineDir = last ? c.keepFor! : await mkdtemp(join(root, 'engine-'));
    if (last) await mkdir(engineDir, { recursive: true });
    const { ms, logs } = await engineAppend(engineDir, perPartition, c.segmentBytes, last);
    for (const log of logs) {
      if (log.logEndOffset !== BigInt(perPartitionCount * c.recordsPerBatch))
        throw new Error(`engine log ended at ${log.logEndOffset}`);
    }
    if (last) {
      for (const log of logs) await log.close();
    } else {
      await rm(engineDir, { recursive: true, force: true });
    }
    return ms;
  };
  // Round 0 is a warm-up: the first writes into pages the VM has not touched yet are slow.
  // The order alternates: a run right after another one's hundreds of MiB of writes can meet
  // the kernel's writeback, and that must not always fall on the same side.
  for (let r = 0; r <= ROUNDS; r++) {
    const last = r === ROUNDS && c.keepFor !== undefined;
    let rawMs: number;
    let engineMs: number;
    if (r % 2 === 0) {
      rawMs = await runRaw();
      engineMs = await runEngine(last);
    } else {
      engineMs = await runEngine(last);
      rawMs = await runRaw();
    }
    if (r > 0) {
      raw.push(rawMs);
      engine.push(engineMs);
    }
  }
  const rawMbps = mbps(timedBytes, median(raw));
  const engineMbps = mbps(timedBytes, median(engine));
  const ratio = round3(engineMbps / rawMbps);
  emit({
    bench: 'log-append',
    record_bytes: RECORD_BYTES,
    records_per_batch: c.recordsPerBatch,
    batch_bytes: template.length,
    partitions: c.partitions,
    in_flight_per_partition: IN_FLIGHT,
    segment_mib: c.segmentBytes / MiB,
    total_mb: round1(timedBytes / MB),
    engine_mb_per_s: engineMbps,
    raw_mb_per_s: rawMbps,
    ratio,
    engine_rounds_ms: engine.map(Math.round),
    raw_rounds_ms: raw.map(Math.round),
    target_ratio: TARGET_APPEND_RATIO,
    pass: ratio >= TARGET_APPEND_RATIO,
  });
}

// ---- read ------------------------------------------------------------------------------

/**
 * Reads the whole log by offset as the fetch path does: into the broker's kind of read
 * buffer pool, each buffer released once its batches are walked (in the broker: once the
 * response has been written). Returns the bytes of whole batches delivered.
 */
async function readLogByOffset(log: Log, pool: ReadBufferPool): Promise<number> {
  let offset = log.logStartOffset;
  const end = log.logEndOffset;
  let bytes = 0;
  while (offset < end) {
    const { records } = await log.read(offset, READ_BYTES, { pool });
    // Walk the batch headers to the next offset, as a fetch session would.
    let position = 0;
    while (position + 61 <= records.length) {
      const size = records.readInt32BE(position + 8) + 12;
      if (position + size > records.length) break;
      offset = records.readBigInt64BE(position) + BigInt(records.readInt32BE(position + 23)) + 1n;
      position += size;
    }
    if (position === 0) throw new Error(`no whole batch read at offset ${offset}`);
    bytes += position;
    pool.release(records);
  }
  return bytes;
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((n) => n.endsWith('.log'))
    .sort()
    .map((n) => join(dir, n));
}

/** Reads files sequentially in `chunk`-byte reads into one reused buffer; returns bytes. */
async function rawRead(
  files: string[],
  chunk: number,
  each?: (data: Buffer) => void,
  reuse = true,
): Promise<number> {
  let buf = Buffer.allocUnsafe(chunk);
  let total = 0;
  for (const file of files) {
    const handle = await open(file, 'r');
    try {
      let position = 0;
      for (;;) {
        if (!reuse) buf = Buffer.allocUnsafe(chunk);
        const { bytesRead } = await handle.read(buf, 0, chunk, position);
        if (bytesRead === 0) break;
        each?.(buf.subarray(0, bytesRead));
        position += bytesRead;
        total += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  return total;
}

async function benchRead(dir: string, recordsPerBatch: number): Promise<void> {
  const logDir = join(dir, 'p0');
  const files = await segmentFiles(logDir);
  const log = await Log.open({
    dir: logDir,
    config: baseConfig,
    hadCleanShutdown: true,
    tailCacheBytes: 0,
  });
  try {
    const logBytes = log.size;
    // Warm both paths once (page cache, JIT).
    const pool = new ReadBufferPool(READ_POOL_BYTES);
    await readLogByOffset(log, pool);
    await rawRead(files, READ_BYTES);
    const raw: number[] = [];
    const rawAlloc: number[] = [];
    const engine: number[] = [];
    const timeRaw = () =>
      timed(async () => {
        for (let i = 0; i < READ_PASSES; i++) await rawRead(files, READ_BYTES);
      });
    const timeEngine = () =>
      timed(async () => {
        for (let i = 0; i < READ_PASSES; i++) {
          const bytes = await readLogByOffset(log, pool);
          if (bytes !== logBytes) throw new Error(`read ${bytes} of ${logBytes} bytes`);
        }
      });
    for (let r = 0; r < ROUNDS; r++) {
      // Alternating, as the appends do, so neither side always runs second.
      if (r % 2 === 0) {
        raw.push(await timeRaw());
        engine.push(await timeEngine());
      } else {
        engine.push(await timeEngine());
        raw.push(await timeRaw());
      }
      rawAlloc.push(
        await timed(async () => {
          for (let i = 0; i < READ_PASSES; i++) await rawRead(files, READ_BYTES, undefined, false);
        }),
      );
    }
    const bytes = logBytes * READ_PASSES;
    const rawMbps = mbps(bytes, median(raw));
    const engineMbps = mbps(bytes, median(engine));
    const rawFreshMbps = mbps(bytes, median(rawAlloc));
    const ratio = round3(engineMbps / rawMbps);
    emit({
      bench: 'log-read',
      records_per_batch: recordsPerBatch,
      batch_bytes: templateBatch(recordsPerBatch).length,
      max_bytes_per_read: READ_BYTES,
      tail_cache: false,
      total_mb: round1(bytes / MB),
      engine_mb_per_s: engineMbps,
      raw_mb_per_s: rawMbps,
      raw_fresh_buffer_per_read_mb_per_s: rawFreshMbps,
      ratio,
      ratio_vs_fresh_buffer: round3(engineMbps / rawFreshMbps),
      engine_rounds_ms: engine.map(Math.round),
      raw_rounds_ms: raw.map(Math.round),
      target_ratio: TARGET_READ_RATIO,
      pass: ratio >= TARGET_READ_RATIO,
    });
  } finally {
    await log.close();
  }
}

// ---- recovery --------------------------------------------------------------------------

async function benchRecovery(root: string): Promise<void> {
  const dir = join(root, 'recovery');
  await mkdir(dir);
  const config = { ...baseConfig, segmentBytes: RECOVERY_SEGMENT_BYTES };
  const template = templateBatch(16);
  const count = Math.floor(RECOVERY_LOG_BYTES / template.length);
  {
    const log = await Log.open({ dir, config });
    const batches = copies(template, IN_FLIGHT * 8);
    for (let i = 0; i < count; i += batches.length) {
      const n = Math.min(batches.length, count - i);
      await Promise.all(batches.slice(0, n).map((b) => log.appendAsLeader(b, 0)));
    }
    await log.close();
  }
  const files = await segmentFiles(dir);
  let logBytes = 0;
  for (const f of files) logBytes += (await stat(f)).size;
  const logEnd = BigInt(count * 16);
  await rawRead(files, RECOVERY_CHUNK); // warm

  const raw: number[] = [];
  const rawCrc: number[] = [];
  const clean: number[] = [];
  const unclean: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    raw.push(await timed(() => rawRead(files, RECOVERY_CHUNK)));
    rawCrc.push(
      await timed(() =>
        rawRead(files, RECOVERY_CHUNK, (data) => {
          crc32c(data);
        }),
      ),
    );
    let log: Log | undefined;
    clean.push(
      await timed(async () => {
        log = await Log.open({ dir, config, hadCleanShutdown: true });
      }),
    );
    if (log!.logEndOffset !== logEnd) throw new Error(`clean open ended at ${log!.logEndOffset}`);
    await log!.close();
    unclean.push(
      await timed(async () => {
        log = await Log.open({ dir, config, hadCleanShutdown: false, recoveryPoint: 0n });
      }),
    );
    if (log!.logEndOffset !== logEnd) throw new Error(`recovery ended at ${log!.logEndOffset}`);
    await log!.close();
  }
  const rawMbps = mbps(logBytes, median(raw));
  const common = {
    bench: 'log-recovery',
    log_mb: round1(logBytes / MB),
    segments: files.length,
    batch_bytes: template.length,
    raw_read_mb_per_s: rawMbps,
    raw_read_crc32c_mb_per_s: mbps(logBytes, median(rawCrc)),
  };
  emit({
    ...common,
    mode: 'clean-shutdown (indexes trusted, tail state from the last index entry)',
    ms: round1(median(clean)),
    mb_per_s: mbps(logBytes, median(clean)),
    sec_per_gib: round3(median(clean) / 1000 / (logBytes / GiB)),
  });
  const rebuildMbps = mbps(logBytes, median(unclean));
  emit({
    ...common,
    mode: 'unclean (recovery point 0: CRC of every batch + index rebuild)',
    ms: round1(median(unclean)),
    mb_per_s: rebuildMbps,
    sec_per_gib: round3(median(unclean) / 1000 / (logBytes / GiB)),
    ratio: round3(rebuildMbps / rawMbps),
    ratio_vs_read_crc32c: round3(rebuildMbps / mbps(logBytes, median(rawCrc))),
    target_mb_per_s: TARGET_REBUILD_MB_PER_S,
    pass: rebuildMbps >= TARGET_REBUILD_MB_PER_S,
  });
  await rm(dir, { recursive: true, force: true });
}

// ---- memory (child process with --expose-gc) -------------------------------------------

async function openFds(): Promise<number> {
  try {
    return (await readdir('/proc/self/fd')).length;
  } catch {
    return -1;
  }
}

async function inBatches<T>(items: T[], width: number, op: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += width)
    await Promise.all(items.slice(i, i + width).map(op));
}

async function benchMemoryChild(root: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory bench needs node --expose-gc');
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
  };
  // Each partition: one segment holding one batch of a 1 KiB record, empty indexes, as
  // left by a clean shutdown. Written directly: creating them through Log would fsync.
  await mkdir(root, { recursive: true });
  const batch = templateBatch(1);
  const dirs = Array.from({ length: MEMORY_PARTITIONS }, (_, p) => join(root, `topic-${p}`));
  await inBatches(dirs, 200, async (dir) => {
    await mkdir(dir);
    await writeFile(join(dir, offsetFileName(0n, '.log')), batch);
    await writeFile(join(dir, offsetFileName(0n, '.index')), Buffer.alloc(0));
    await writeFile(join(dir, offsetFileName(0n, '.timeindex')), Buffer.alloc(0));
  });
  await settle();
  const before = process.memoryUsage();
  const fdsBefore = await openFds();
  const logs: Log[] = [];
  const started = performance.now();
  await inBatches(dirs, 100, async (dir) => {
    logs.push(await Log.open({ dir, config: baseConfig, hadCleanShutdown: true }));
  });
  const openMs = performance.now() - started;
  await settle();
  const after = process.memoryUsage();
  const fdsAfter = await openFds();
  const heapMiB = (after.heapUsed - before.heapUsed) / MiB;
  let ends = 0n;
  for (const log of logs) ends += log.logEndOffset;
  if (ends !== BigInt(MEMORY_PARTITIONS)) throw new Error(`unexpected log ends: ${ends}`);
  emit({
    bench: 'log-memory',
    partitions: MEMORY_PARTITIONS,
    state: 'open, idle, one 1 KiB record each, clean shutdown',
    heap_mib: round1(heapMiB),
    heap_kib_per_partition: round3((heapMiB * 1024) / MEMORY_PARTITIONS),
    external_mib: round1((after.external - before.external) / MiB),
    rss_mib: round1((after.rss - before.rss) / MiB),
    open_ms: Math.round(openMs),
    open_fds_before: fdsBefore,
    open_fds_after: fdsAfter,
    fds_held_per_partition: round3((fdsAfter - fdsBefore) / MEMORY_PARTITIONS),
    target_heap_mib: TARGET_MEMORY_MIB,
    pass: heapMiB < TARGET_MEMORY_MIB && fdsAfter - fdsBefore < MEMORY_PARTITIONS / 100,
  });
  await inBatches(logs, 500, (log) => log.closeHandles());
}

/** Runs the memory bench in `node --expose-gc` and relays its lines. */
async function benchMemory(root: string): Promise<void> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--expose-gc', script, '--memory-child', root], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => console.log(line));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`memory bench child exited with ${code}`);
}

// ---- main ------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--memory-child') {
    await benchMemoryChild(args[1]!);
    return;
  }
  const only = args
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const want = (name: string) => !only || only.includes(name);
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), 'bench-log-'));
  const removeRoot = () => rm(root, { recursive: true, force: true });
  process.once('SIGINT', () => void removeRoot().finally(() => process.exit(130)));
  const results: { bench: string; pass?: boolean }[] = [];
  const originalEmit = console.log;
  console.log = (line: string) => {
    try {
      results.push(JSON.parse(line));
    } catch {
      // not a result line
    }
    originalEmit(line);
  };
  try {
    const keep16k = join(root, 'read-16k');
    const keep1m = join(root, 'read-1m');
    if (want('append') || want('read')) {
      for (const recordsPerBatch of [16, 1024]) {
        for (const partitions of [1, 100]) {
          if (!want('append') && partitions !== 1) continue;
          await benchAppend(root, {
            recordsPerBatch,
            partitions,
            segmentBytes: GiB,
            keepFor: partitions === 1 ? (recordsPerBatch === 16 ? keep16k : keep1m) : undefined,
          });
        }
      }
      if (want('append')) {
        await benchAppend(root, { recordsPerBatch: 1024, partitions: 1, segmentBytes: 64 * MiB });
      }
    }
    if (want('read')) {
      await benchRead(keep16k, 16);
      await benchRead(keep1m, 1024);
    }
    await rm(keep16k, { recursive: true, force: true });
    await rm(keep1m, { recursive: true, force: true });
    if (want('recovery')) await benchRecovery(root);
    if (want('memory')) await benchMemory(join(root, 'memory'));
  } finally {
    console.log = originalEmit;
    await removeRoot();
  }
  const checked = results.filter((r) => r.pass !== undefined);
  emit({
    bench: 'log-summary',
    passed: checked.filter((r) => r.pass).length,
    checked: checked.length,
    failed: checked.filter((r) => !r.pass).map((r) => r.bench),
    runtime_s: round1((performance.now() - started) / 1000),
    note: 'information only; figures from a shared machine are noisy, compare ratios',
  });
}

await main();

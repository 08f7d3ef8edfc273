import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { LogConfig } from '../../../src/log/log-config.js';
import {
  KafkaStorageError,
  Log,
  OffsetOutOfRangeError,
  type LogOptions,
} from '../../../src/log/log.js';
import { LogSegment } from '../../../src/log/log-segment.js';
import { ReadBufferPool } from '../../../src/log/read-buffer-pool.js';
import { offsetFileName } from '../../../src/log/segment-files.js';
import {
  buildRecordBatch,
  readBatches,
  scanBatches,
  TimestampType,
  type RecordBatch,
} from '../../../src/protocol/records/index.js';
import { ManualClock, testLogConfig } from '../../harness/log-config.js';

let dir: string;
let clock: ManualClock;
const opened: Log[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'log-'));
  clock = new ManualClock();
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const log of opened.splice(0)) {
    // Let queued work (epoch checkpoint, flushes) finish before the directory goes.
    await log.withExclusive(async () => undefined).catch(() => undefined);
    await log.closeHandles().catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
});

async function openLog(
  overrides: Partial<LogConfig> = {},
  options: Partial<LogOptions> = {},
): Promise<Log> {
  const log = await Log.open({ dir, config: testLogConfig(overrides), clock, ...options });
  opened.push(log);
  return log;
}

/** An unassigned batch: one record per timestamp, values of `valueSize` bytes. */
function batchOf(
  timestamps: bigint[],
  { valueSize = 20, baseOffset = 0n, epoch = -1 } = {},
): Promise<Buffer> {
  return buildRecordBatch({
    baseOffset,
    partitionLeaderEpoch: epoch,
    records: timestamps.map((timestamp, i) => ({
      key: Buffer.from(`key-${i}`),
      value: Buffer.alloc(valueSize, 0x61 + (i % 26)),
      timestamp,
    })),
  });
}

/** Appends `count` batches of `perBatch` records one after the other; timestamps 1000 + offset. */
async function appendMany(log: Log, count: number, perBatch = 1, epoch = 0, valueSize = 20) {
  const results = [];
  for (let i = 0; i < count; i++) {
    const first = log.logEndOffset;
    const ts = Array.from({ length: perBatch }, (_, j) => 1000n + first + BigInt(j));
    results.push(await log.appendAsLeader(await batchOf(ts, { valueSize }), epoch));
  }
  return results;
}

const bases = (log: Log) => log.segments.map((s) => s.baseOffset);
const segmentFiles = async () => (await readdir(dir)).filter((n) => /^\d{20}\./.test(n)).sort();

async function allBatches(log: Log): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for (const segment of log.segments) out.push(...readBatches(await segment.read(0, segment.size)));
  return out;
}

/** Every segment and index file's bytes, by name. */
async function snapshotFiles(path = dir): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of (await readdir(path)).sort()) {
    if (/^\d{20}\.(log|index|timeindex)$/.test(name))
      out.set(name, await readFile(join(path, name)));
  }
  return out;
}

describe('segment roll', () => {
  test('segment.bytes: rolls when the next batch would exceed it', async () => {
    const size = (await batchOf([1n])).length;
    const log = await openLog({ segmentBytes: 3 * size });
    await appendMany(log, 10);
    expect(bases(log)).toEqual([0n, 3n, 6n, 9n]);
    expect(log.segments.map((s) => s.size)).toEqual([3 * size, 3 * size, 3 * size, size]);
    expect(await segmentFiles()).toEqual(
      [0n, 3n, 6n, 9n].flatMap((b) =>
        ['.index', '.log', '.timeindex'].map((s) => offsetFileName(b, s)),
      ),
    );
  });

  test('segment.bytes: group-committed appends roll at the same places', async () => {
    const size = (await batchOf([1n])).length;
    const log = await openLog({ segmentBytes: 3 * size + size - 1 });
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => log.appendAsLeader(await batchOf([5n]), 0)),
    );
    expect(results.map((r) => r.firstOffset)).toEqual(
      Array.from({ length: 10 }, (_, i) => BigInt(i)),
    );
    expect(bases(log)).toEqual([0n, 3n, 6n, 9n]);
    expect((await allBatches(log)).map((b) => b.baseOffset)).toEqual(
      Array.from({ length: 10 }, (_, i) => BigInt(i)),
    );
  });

  test('segment.bytes: a batch larger than a segment gets a segment of its own', async () => {
    const log = await openLog({ segmentBytes: 300 });
    await log.appendAsLeader(await batchOf([1n], { valueSize: 50 }), 0);
    await log.appendAsLeader(await batchOf([2n], { valueSize: 1000 }), 0);
    await log.appendAsLeader(await batchOf([3n], { valueSize: 50 }), 0);
    expect(bases(log)).toEqual([0n, 1n, 2n]);
  });

  test('segment.ms: record time of a batch against the first batch of the segment', async () => {
    const log = await openLog({ segmentMs: 1000 });
    for (const ts of [10_000n, 10_500n, 11_000n, 11_001n, 11_500n, 12_001n, 12_002n]) {
      clock.advance(1_000_000); // wall-clock time is irrelevant when records carry time
      await log.appendAsLeader(await batchOf([ts]), 0);
    }
    expect(bases(log)).toEqual([0n, 3n, 6n]);
    expect(log.activeSegment.rollingBasedTimestamp).toBe(12_002n);
  });

  test('segment.ms: the jitter drawn at open shortens segment.ms', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const log = await openLog({ segmentMs: 1000, segmentJitterMs: 400 }); // 1000 - 200
    for (const ts of [10_000n, 10_800n, 10_801n]) await log.appendAsLeader(await batchOf([ts]), 0);
    expect(bases(log)).toEqual([0n, 2n]);
  });

  test('segment.ms: wall-clock age of the segment when records have no timestamp', async () => {
    const log = await openLog({ segmentMs: 1000 });
    await log.appendAsLeader(await batchOf([-1n]), 0);
    clock.advance(1000);
    await log.appendAsLeader(await batchOf([-1n]), 0);
    clock.advance(1);
    await log.appendAsLeader(await batchOf([-1n]), 0);
    expect(bases(log)).toEqual([0n, 2n]);
  });

  test('segment.index.bytes: a full offset index', async () => {
    // 24 bytes: 3 offset index entries, 2 time index entries; constant timestamps keep the
    // time index at one entry, and every batch after the first gets an offset index entry.
    const log = await openLog({ segmentIndexBytes: 24, indexIntervalBytes: 1 });
    for (let i = 0; i < 10; i++) await log.appendAsLeader(await batchOf([777n]), 0);
    expect(bases(log)).toEqual([0n, 4n, 8n]);
    for (const s of log.segments.slice(0, -1)) {
      expect(s.offsetIndex.isFull).toBe(true);
      expect(s.timeIndex.isFull).toBe(false);
    }
  });

  test('segment.index.bytes: a full time index', async () => {
    // 40 bytes: 5 offset index entries but only 3 time index entries; rising timestamps.
    const log = await openLog({ segmentIndexBytes: 40, indexIntervalBytes: 1 });
    for (let i = 0; i < 12; i++) await log.appendAsLeader(await batchOf([100n + BigInt(i)]), 0);
    expect(log.segments.length).toBeGreaterThan(2);
    for (const s of log.segments.slice(0, -1)) {
      expect(s.timeIndex.isFull).toBe(true);
      expect(s.offsetIndex.isFull).toBe(false);
      expect(s.timeIndex.entryCount).toBeLessThanOrEqual(3);
    }
    await log.close();
    const reopened = await openLog(
      { segmentIndexBytes: 40, indexIntervalBytes: 1 },
      { hadCleanShutdown: true },
    );
    expect(reopened.logEndOffset).toBe(12n);
  });

  test('relative offset overflow: a follower batch beyond base + Int32.MAX starts a segment', async () => {
    const log = await openLog();
    await log.appendAsFollower(await batchOf([1n], { baseOffset: 0n }));
    // Last offset exactly base + Int32.MAX still fits.
    await log.appendAsFollower(await batchOf([2n, 3n], { baseOffset: 0x7ffffffen }));
    expect(bases(log)).toEqual([0n]);
    await log.appendAsFollower(await batchOf([4n, 5n], { baseOffset: 0x80000000n }));
    expect(bases(log)).toEqual([0n, 0x80000000n]);
    expect(log.logEndOffset).toBe(0x80000002n);
    expect((await log.read(0x7fffffffn, 1)).firstBatchOffset).toBe(0x7ffffffen);
    expect((await log.read(0x80000001n, 1)).firstBatchOffset).toBe(0x80000000n);
    await log.close();
    const reopened = await openLog({}, { hadCleanShutdown: true });
    expect(reopened.logEndOffset).toBe(0x80000002n);
    expect(bases(reopened)).toEqual([0n, 0x80000000n]);
  });

  test('relative offset overflow: an empty log taking a far follower batch', async () => {
    const log = await openLog();
    await log.appendAsFollower(await batchOf([1n], { baseOffset: 5_000_000_000n }));
    await log.appendAsFollower(await batchOf([2n], { baseOffset: 5_000_000_001n }));
    expect(log.activeSegment.baseOffset).toBe(5_000_000_000n);
    expect(log.logEndOffset).toBe(5_000_000_002n);
    expect((await log.read(5_000_000_001n, 1)).firstBatchOffset).toBe(5_000_000_001n);
    await log.close();
    const reopened = await openLog({}, { hadCleanShutdown: false, recoveryPoint: 0n });
    expect(reopened.logEndOffset).toBe(5_000_000_002n);
  });

  test('roll() forces a new segment and moves the recovery point', async () => {
    const log = await openLog();
    await appendMany(log, 3);
    await log.roll();
    await log.roll(); // nothing to roll: the active segment is empty
    expect(bases(log)).toEqual([0n, 3n]);
    expect(log.recoveryPoint).toBe(3n);
    await appendMany(log, 2);
    expect(log.recoveryPoint).toBe(3n);
    await log.flush();
    expect(log.recoveryPoint).toBe(5n);
  });

  test('flush.messages flushes once enough messages are appended', async () => {
    const log = await openLog({ flushMessages: 4 });
    await appendMany(log, 3);
    expect(log.recoveryPoint).toBe(0n);
    await appendMany(log, 1);
    await log.withExclusive(async () => undefined); // the flush follows the commit
    expect(log.recoveryPoint).toBe(4n);
  });
});

describe('offset index and reads', () => {
  /** Batches of 1..4 records over several segments with a small index interval. */
  async function mixedLog() {
    const log = await openLog({ segmentBytes: 700, indexIntervalBytes: 100 });
    const appended: { first: bigint; last: bigint }[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await appendMany(log, 1, 1 + (i % 4));
      appended.push({ first: r[0].firstOffset, last: r[0].lastOffset });
    }
    return { log, appended };
  }

  test('entries every index.interval.bytes: (last offset, position) of real batches', async () => {
    const { log } = await mixedLog();
    expect(log.segments.length).toBeGreaterThan(4);
    for (const segment of log.segments) {
      const batches = readBatches(await segment.read(0, segment.size));
      const expected: { offset: bigint; position: number }[] = [];
      let since = 0;
      let position = 0;
      for (const b of batches) {
        if (since > 100) {
          expected.push({ offset: b.lastOffset, position });
          since = 0;
        }
        since += b.sizeInBytes;
        position += b.sizeInBytes;
      }
      const actual = Array.from({ length: segment.offsetIndex.entryCount }, (_, i) =>
        segment.offsetIndex.entry(i),
      );
      expect(actual).toEqual(expected);
    }
  });

  test('reading from every offset returns a first batch holding it', async () => {
    const { log, appended } = await mixedLog();
    for (let offset = 0n; offset < log.logEndOffset; offset++) {
      const holder = appended.find((a) => a.first <= offset && offset <= a.last)!;
      const small = await log.read(offset, 1);
      const [batch] = readBatches(small.records);
      expect(small.firstBatchOffset).toBe(holder.first);
      expect([batch.baseOffset, batch.lastOffset]).toEqual([holder.first, holder.last]);
      expect(readBatches(small.records).length).toBe(1);
    }
  });

  test('reads into a pool return what plain reads return, and reuse released memory', async () => {
    const log = await openLog(
      { segmentBytes: 700, indexIntervalBytes: 100 },
      { tailCacheBytes: 0 },
    );
    for (let i = 0; i < 40; i++) await appendMany(log, 1, 1 + (i % 4));
    const pool = new ReadBufferPool(1 << 20);
    for (let offset = 0n; offset < log.logEndOffset; offset++) {
      for (const maxBytes of [0, 1, 150, 1 << 20]) {
        const plain = await log.read(offset, maxBytes, { minOneBatch: maxBytes > 0 });
        const pooled = await log.read(offset, maxBytes, { minOneBatch: maxBytes > 0, pool });
        expect(pooled.firstBatchOffset).toBe(plain.firstBatchOffset);
        expect(pooled.records.equals(plain.records)).toBe(true);
        pool.release(pooled.records);
      }
    }
    const first = await log.read(0n, 1 << 20, { pool });
    pool.release(first.records);
    const second = await log.read(5n, 1 << 20, { pool });
    expect(second.records.buffer).toBe(first.records.buffer);
  });

  test('a sequential reader gets its next read from memory read ahead, identical to the file', async () => {
    const log = await openLog({ indexIntervalBytes: 100 }, { tailCacheBytes: 0 });
    await appendMany(log, 60, 2);
    const pool = new ReadBufferPool(1 << 20);
    const segment = log.activeSegment;
    const fileReads = vi.spyOn(segment, 'read');
    let offset = 0n;
    let hits = 0;
    let reads = 0;
    while (offset < log.logEndOffset) {
      reads++;
      const before = fileReads.mock.calls.length;
      const pooled = await log.read(offset, 500, { pool });
      if (fileReads.mock.calls.length === before) hits++;
      const plain = await log.read(offset, 500);
      expect(pooled.records.equals(plain.records)).toBe(true);
      const batches = scanBatches(pooled.records).batches;
      offset = batches.at(-1)!.lastOffset + 1n;
      pool.release(pooled.records);
      // The read ahead starts once the current answer is out, in the next turn.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Every read but the first came from a read made ahead.
    expect(reads).toBeGreaterThan(5);
    expect(hits).toBe(reads - 1);
    expect(pool.aheadByteCount).toBe(0);
  });

  test('a read ahead is dropped by truncation, and by a reader asking for another offset', async () => {
    const log = await openLog({ indexIntervalBytes: 100 }, { tailCacheBytes: 0 });
    await appendMany(log, 20, 1);
    const pool = new ReadBufferPool(1 << 20);
    const first = await log.read(0n, 200, { pool });
    const next = scanBatches(first.records).batches.at(-1)!.lastOffset + 1n;
    await new Promise((resolve) => setImmediate(resolve));
    expect(pool.aheadByteCount).toBeGreaterThan(0);
    // Replace everything from `next` on with other values.
    await log.truncateTo(next);
    expect(pool.aheadByteCount).toBe(0);
    await appendMany(log, 5, 1, 0, 33);
    const after = await log.read(next, 1 << 20, { pool });
    const plain = await log.read(next, 1 << 20);
    expect(after.records.equals(plain.records)).toBe(true);
    const [batch] = scanBatches(after.records).batches;
    expect((await batch.decodeRecords())[0].value!.length).toBe(33);

    // A reader elsewhere drops the read made ahead for the first one.
    await log.read(0n, 200, { pool });
    await new Promise((resolve) => setImmediate(resolve));
    expect(pool.aheadByteCount).toBeGreaterThan(0);
    await log.read(3n, 200, { pool });
    expect(pool.aheadByteCount).toBe(0);
  });

  test('reads served by the tail cache never hand its memory to the pool', async () => {
    const log = await openLog();
    await appendMany(log, 3);
    const pool = new ReadBufferPool(1 << 20);
    const cached = await log.read(0n, 1 << 20, { pool });
    const copy = Buffer.from(cached.records);
    pool.release(cached.records);
    expect(pool.idleByteCount).toBe(0);
    pool.acquire(cached.records.length).fill(0);
    expect(cached.records.equals(copy)).toBe(true);
  });

  test('a read stays within one segment and starts at segment boundaries exactly', async () => {
    const { log } = await mixedLog();
    for (let i = 0; i < log.segments.length; i++) {
      const segment = log.segments[i];
      const lastOffset = segment.nextOffset - 1n;
      const fromBase = await log.read(segment.baseOffset, 1 << 20);
      const batches = readBatches(fromBase.records);
      expect(batches[0].baseOffset).toBe(segment.baseOffset);
      expect(batches[batches.length - 1].lastOffset).toBe(lastOffset);
      expect(fromBase.records.length).toBe(segment.size);
      const fromLast = readBatches((await log.read(lastOffset, 1 << 20)).records);
      expect(fromLast.length).toBe(1);
      expect(fromLast[0].lastOffset).toBe(lastOffset);
      if (i + 1 < log.segments.length) {
        const next = readBatches((await log.read(lastOffset + 1n, 1)).records);
        expect(next[0].baseOffset).toBe(log.segments[i + 1].baseOffset);
      }
    }
  });

  test('maxBytes below a batch: the whole batch with minOneBatch, nothing without', async () => {
    const log = await openLog();
    await appendMany(log, 3, 2, 0, 100);
    const first = await log.read(0n, 10);
    const [batch] = readBatches(first.records);
    expect(first.records.length).toBe(batch.sizeInBytes);
    const none = await log.read(0n, 10, { minOneBatch: false });
    expect(none.records.length).toBe(0);
    expect(none.firstBatchOffset).toBe(-1n);
    const exact = await log.read(0n, batch.sizeInBytes, { minOneBatch: false });
    expect(readBatches(exact.records).length).toBe(1);
    // More than one batch: whole batches, then a partial one, as Kafka's fetch.
    const partial = await log.read(0n, batch.sizeInBytes + 10);
    const scanned = scanBatches(partial.records);
    expect(scanned.batches.length).toBe(1);
    expect(scanned.trailingBytes).toBe(10);
  });

  test('maxOffset bounds a read to the batches below it', async () => {
    const log = await openLog({ segmentBytes: 500 });
    await appendMany(log, 12, 2); // batches [0,1], [2,3], ...
    const upTo6 = readBatches((await log.read(0n, 1 << 20, { maxOffset: 6n })).records);
    expect(upTo6.map((b) => b.baseOffset)).toEqual([0n, 2n, 4n]);
    // A batch straddling maxOffset is not returned.
    const upTo5 = readBatches((await log.read(0n, 1 << 20, { maxOffset: 5n })).records);
    expect(upTo5.map((b) => b.baseOffset)).toEqual([0n, 2n]);
    expect((await log.read(6n, 1 << 20, { maxOffset: 6n })).records.length).toBe(0);
    // Across segments: the rest of the first segment.
    const far = readBatches((await log.read(0n, 1 << 20, { maxOffset: 20n })).records);
    expect(far[far.length - 1].nextOffset).toBe(log.segments[0].nextOffset);
  });

  test('offsets outside [logStartOffset, logEndOffset] throw; the log end reads empty', async () => {
    const log = await openLog();
    await appendMany(log, 3);
    const atEnd = await log.read(3n, 1000);
    expect(atEnd.records.length).toBe(0);
    expect(atEnd.firstBatchOffset).toBe(-1n);
    await expect(log.read(4n, 1000)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.read(-1n, 1000)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    const empty = await openLogIn(join(dir, 'empty'));
    expect((await empty.read(0n, 1000)).records.length).toBe(0);
    await expect(empty.read(1n, 1000)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
  });
});

async function openLogIn(path: string, overrides: Partial<LogConfig> = {}): Promise<Log> {
  await mkdir(path, { recursive: true });
  const log = await Log.open({ dir: path, config: testLogConfig(overrides), clock });
  opened.push(log);
  return log;
}

describe('group commit', () => {
  test('appends of one tick get contiguous offsets and one write', async () => {
    const log = await openLog({ segmentBytes: 1 << 20 });
    const batches = await Promise.all(
      Array.from({ length: 20 }, (_, i) => batchOf(Array(1 + (i % 3)).fill(5n))),
    );
    const write = vi.spyOn(LogSegment.prototype, 'write');
    const results = await Promise.all(batches.map((b) => log.appendAsLeader(b, 0)));
    expect(write).toHaveBeenCalledTimes(1);
    expect(write.mock.calls[0][1]).toHaveLength(20);
    let next = 0n;
    results.forEach((r, i) => {
      expect(r.firstOffset).toBe(next);
      expect(r.lastOffset).toBe(next + BigInt(i % 3));
      next = r.lastOffset + 1n;
    });
    expect(log.logEndOffset).toBe(next);
    const stored = await allBatches(log);
    expect(stored.map((b) => b.recordCount)).toEqual(batches.map((_, i) => 1 + (i % 3)));
  });

  test('appends of later ticks follow earlier ones in order', async () => {
    const log = await openLog({ segmentBytes: 1 << 20 });
    const write = vi.spyOn(LogSegment.prototype, 'write');
    const pending: Promise<{ firstOffset: bigint }>[] = [];
    const tags: number[] = [];
    for (let tick = 0; tick < 3; tick++) {
      for (let i = 0; i < 5; i++) {
        const tag = tick * 5 + i;
        tags.push(tag);
        pending.push(log.appendAsLeader(await batchOf([BigInt(tag)]), 0));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(pending);
    expect(results.map((r) => r.firstOffset)).toEqual(tags.map(BigInt));
    // Ticks that arrive while a commit is writing are committed together.
    expect(write.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(write.mock.calls.length).toBeLessThanOrEqual(3);
    const stored = await allBatches(log);
    expect(stored.map((b) => b.maxTimestamp)).toEqual(tags.map(BigInt));
  });

  test('several batches in one append get consecutive offsets', async () => {
    const log = await openLog();
    await appendMany(log, 1, 2);
    const three = Buffer.concat([
      await batchOf([1n]),
      await batchOf([2n, 3n, 4n]),
      await batchOf([5n]),
    ]);
    const r = await log.appendAsLeader(three, 0);
    expect([r.firstOffset, r.lastOffset]).toEqual([2n, 6n]);
    expect(r.maxTimestamp).toBe(5n);
    expect((await allBatches(log)).map((b) => [b.baseOffset, b.lastOffset])).toEqual([
      [0n, 1n],
      [2n, 2n],
      [3n, 5n],
      [6n, 6n],
    ]);
  });

  test('follower batches may leave offset gaps; reads inside a gap find the next batch', async () => {
    const log = await openLog();
    await log.appendAsFollower(await batchOf([1n, 2n], { baseOffset: 0n }));
    await log.appendAsFollower(await batchOf([3n], { baseOffset: 10n }));
    expect(log.logEndOffset).toBe(11n);
    for (const offset of [2n, 5n, 9n, 10n]) {
      expect((await log.read(offset, 1)).firstBatchOffset).toBe(10n);
    }
    expect((await log.appendAsLeader(await batchOf([4n]), 0)).firstOffset).toBe(11n);
  });

  test('a malformed append is rejected alone', async () => {
    const log = await openLog();
    const good = await batchOf([1n]);
    const [a, bad, c] = await Promise.allSettled([
      log.appendAsLeader(good, 0),
      log.appendAsLeader(Buffer.from('not a batch at all, definitely not'), 0),
      log.appendAsLeader(await batchOf([2n]), 0),
    ]);
    expect(a.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(c.status === 'fulfilled' && c.value.firstOffset).toBe(1n);
    await expect(log.appendAsFollower(await batchOf([3n], { baseOffset: 1n }))).rejects.toThrow(
      RangeError,
    );
    expect(log.logEndOffset).toBe(2n);
  });

  test('a closed log refuses appends and reads', async () => {
    const log = await openLog();
    await log.close();
    await expect(log.appendAsLeader(await batchOf([1n]), 0)).rejects.toBeInstanceOf(
      KafkaStorageError,
    );
    await expect(log.read(0n, 10)).rejects.toBeInstanceOf(KafkaStorageError);
  });

  test('closing the files waits for a write still in the thread pool', async () => {
    const log = await openLog({ segmentBytes: 1 << 24 });
    await appendMany(log, 1);
    // Larger than the synchronous budget of a turn, so it is written by the thread pool.
    const big = await batchOf([2000n], { valueSize: 600 * 1024 });
    let appendedFirst = false;
    const appended = log.appendAsLeader(big, 0).then((r) => {
      appendedFirst = true;
      return r;
    });
    await new Promise((resolve) => setImmediate(resolve)); // the commit has started
    await log.closeHandles();
    expect(appendedFirst).toBe(true);
    expect((await appended).firstOffset).toBe(1n);
    const stored = await allBatches(await openLog({ segmentBytes: 1 << 24 }));
    expect(stored.map((b) => b.baseOffset)).toEqual([0n, 1n]);
    expect(stored[1].sizeInBytes).toBe(big.length);
  });
});

describe('timestamps', () => {
  /** Three segments; batch i has records at 100 + 10*offset (offsets 0..17). */
  async function timedLog(overrides: Partial<LogConfig> = {}) {
    const log = await openLog(overrides);
    for (let i = 0; i < 6; i++) {
      const first = log.logEndOffset;
      await log.appendAsLeader(await batchOf([0n, 1n, 2n].map((j) => 100n + 10n * (first + j))), 0);
      if (i % 2 === 1) await log.roll();
    }
    return log;
  }

  test('offsetForTimestamp: before, between, equal to and after records, across segments', async () => {
    const log = await timedLog();
    expect(log.segments.length).toBe(4);
    expect(await log.offsetForTimestamp(0n)).toEqual({ offset: 0n, timestamp: 100n });
    expect(await log.offsetForTimestamp(100n)).toEqual({ offset: 0n, timestamp: 100n });
    expect(await log.offsetForTimestamp(101n)).toEqual({ offset: 1n, timestamp: 110n });
    expect(await log.offsetForTimestamp(150n)).toEqual({ offset: 5n, timestamp: 150n });
    expect(await log.offsetForTimestamp(151n)).toEqual({ offset: 6n, timestamp: 160n });
    for (let offset = 0n; offset < 18n; offset++) {
      expect(await log.offsetForTimestamp(100n + 10n * offset)).toEqual({
        offset,
        timestamp: 100n + 10n * offset,
      });
      expect(await log.offsetForTimestamp(95n + 10n * offset)).toEqual({
        offset,
        timestamp: 100n + 10n * offset,
      });
    }
    expect(await log.offsetForTimestamp(270n)).toEqual({ offset: 17n, timestamp: 270n });
    expect(await log.offsetForTimestamp(271n)).toBeNull();
  });

  test('offsetForTimestamp: the first record at or after the time, even out of order', async () => {
    const log = await openLog();
    await log.appendAsLeader(await batchOf([100n, 300n, 200n, 250n]), 0); // 0..3
    await log.appendAsLeader(await batchOf([150n, 400n]), 0); // 4..5
    expect(await log.offsetForTimestamp(220n)).toEqual({ offset: 1n, timestamp: 300n });
    expect(await log.offsetForTimestamp(301n)).toEqual({ offset: 5n, timestamp: 400n });
    expect(await log.offsetForTimestamp(120n)).toEqual({ offset: 1n, timestamp: 300n });
  });

  test('offsetForTimestamp never answers below the log start offset', async () => {
    const log = await openLog();
    await log.appendAsLeader(await batchOf([100n, 500n, 100n, 100n]), 0); // 0..3
    await log.appendAsLeader(await batchOf([600n, 700n]), 0); // 4..5
    await log.deleteRecordsBefore(2n);
    expect(await log.offsetForTimestamp(0n)).toEqual({ offset: 2n, timestamp: 100n });
    // Offset 1 (500) is gone; offsets 2 and 3 are older than 400: the answer is offset 4.
    expect(await log.offsetForTimestamp(400n)).toEqual({ offset: 4n, timestamp: 600n });
  });

  test('offsetForTimestamp after a reopen uses the time indexes on disk', async () => {
    const log = await timedLog({ indexIntervalBytes: 1 });
    await log.close();
    const reopened = await openLog({ indexIntervalBytes: 1 }, { hadCleanShutdown: true });
    for (let offset = 0n; offset < 18n; offset++) {
      expect((await reopened.offsetForTimestamp(95n + 10n * offset))?.offset).toBe(offset);
    }
  });

  test('offsetOfMaxTimestamp (ListOffsets -3): the first record with the largest timestamp', async () => {
    const log = await openLog();
    expect(await log.offsetOfMaxTimestamp()).toBeNull();
    await log.appendAsLeader(await batchOf([100n, 900n, 200n]), 0); // 0..2
    await log.roll();
    await log.appendAsLeader(await batchOf([300n]), 0); // 3
    await log.appendAsLeader(await batchOf([900n, 500n]), 0); // 4..5: same max, later
    await log.appendAsLeader(await batchOf([600n]), 0); // 6
    expect(await log.offsetOfMaxTimestamp()).toEqual({ offset: 1n, timestamp: 900n });
    await log.appendAsLeader(await batchOf([50n, 950n, 950n]), 0); // 7..9
    expect(await log.offsetOfMaxTimestamp()).toEqual({ offset: 8n, timestamp: 950n });
    await log.close();
    const reopened = await openLog({}, { hadCleanShutdown: true });
    expect(await reopened.offsetOfMaxTimestamp()).toEqual({ offset: 8n, timestamp: 950n });
  });

  test('LogAppendTime: batches are stamped with the broker clock and looked up by it', async () => {
    const log = await openLog({ messageTimestampType: 'LogAppendTime', segmentMs: 1000 });
    clock.ms = 50_000;
    const r0 = await log.appendAsLeader(await batchOf([100n, 200n]), 0); // 0..1
    expect(r0.logAppendTime).toBe(50_000n);
    expect(r0.maxTimestamp).toBe(50_000n);
    clock.ms = 50_900;
    await log.appendAsLeader(await batchOf([300n, 400n]), 0); // 2..3
    clock.ms = 52_000; // more than segment.ms after the first stamp: roll
    await log.appendAsLeader(await batchOf([999_999n]), 0); // 4
    expect(bases(log)).toEqual([0n, 4n]);

    const stored = await allBatches(log);
    expect(stored.map((b) => [b.timestampType, b.maxTimestamp])).toEqual([
      [TimestampType.LogAppendTime, 50_000n],
      [TimestampType.LogAppendTime, 50_900n],
      [TimestampType.LogAppendTime, 52_000n],
    ]);
    expect(stored.every((b) => b.isValid())).toBe(true);
    expect((await stored[1].decodeRecords()).map((r) => r.timestamp)).toEqual([50_900n, 50_900n]);

    expect(await log.offsetForTimestamp(0n)).toEqual({ offset: 0n, timestamp: 50_000n });
    expect(await log.offsetForTimestamp(50_001n)).toEqual({ offset: 2n, timestamp: 50_900n });
    expect(await log.offsetForTimestamp(51_000n)).toEqual({ offset: 4n, timestamp: 52_000n });
    expect(await log.offsetForTimestamp(52_001n)).toBeNull();
    expect(await log.offsetOfMaxTimestamp()).toEqual({ offset: 4n, timestamp: 52_000n });
  });
});

describe('truncation', () => {
  /** Four segments of three 2-record batches: bases 0, 6, 12, 18; LEO 24. */
  async function fourSegments() {
    const log = await openLog();
    for (let s = 0; s < 4; s++) {
      await appendMany(log, 3, 2);
      if (s < 3) await log.roll();
    }
    expect(bases(log)).toEqual([0n, 6n, 12n, 18n]);
    return log;
  }

  test('truncateTo into an earlier segment deletes later segments and continues there', async () => {
    const log = await fourSegments();
    await log.truncateTo(10n);
    expect(log.logEndOffset).toBe(10n);
    expect(bases(log)).toEqual([0n, 6n]);
    expect(await segmentFiles()).toEqual(
      [0n, 6n].flatMap((b) => ['.index', '.log', '.timeindex'].map((s) => offsetFileName(b, s))),
    );
    const r = await log.appendAsLeader(await batchOf([1n, 2n]), 0);
    expect(r.firstOffset).toBe(10n);
    const batches = await allBatches(log);
    expect(batches.map((b) => b.baseOffset)).toEqual([0n, 2n, 4n, 6n, 8n, 10n]);
    expect(await log.offsetForTimestamp(1009n)).toEqual({ offset: 9n, timestamp: 1009n });
    expect(await log.offsetForTimestamp(1010n)).toBeNull();
    expect(await log.offsetOfMaxTimestamp()).toEqual({ offset: 9n, timestamp: 1009n });
    await expect(log.read(13n, 10)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await log.close();
    const reopened = await openLog({}, { hadCleanShutdown: false, recoveryPoint: 0n });
    expect(reopened.logEndOffset).toBe(12n);
  });

  test('after truncation and more appends, the offset indexes equal a rebuild', async () => {
    const log = await openLog({ indexIntervalBytes: 100 });
    for (let s = 0; s < 3; s++) {
      await appendMany(log, 10, 1 + s);
      if (s < 2) await log.roll();
    }
    await log.truncateTo(17n); // inside the second segment (10..29)
    await appendMany(log, 12, 2);
    await log.close();
    const written = await snapshotFiles();
    for (const name of written.keys()) if (name.endsWith('.index')) await rm(join(dir, name));
    const rebuilt = await openLog(
      { indexIntervalBytes: 100 },
      { hadCleanShutdown: false, recoveryPoint: 0n },
    );
    await rebuilt.close();
    const after = await snapshotFiles();
    for (const [name, bytes] of written)
      if (name.endsWith('.index')) expect(after.get(name)).toEqual(bytes);
  });

  test('truncateTo inside a batch drops the whole batch; to a segment base drops the segment', async () => {
    const log = await fourSegments();
    await log.truncateTo(21n);
    expect(log.logEndOffset).toBe(20n);
    await log.truncateTo(12n);
    expect(log.logEndOffset).toBe(12n);
    expect(bases(log)).toEqual([0n, 6n]);
    await log.truncateTo(100n); // beyond the end: nothing
    expect(log.logEndOffset).toBe(12n);
    expect((await log.appendAsLeader(await batchOf([1n]), 0)).firstOffset).toBe(12n);
  });

  test('truncateTo keeps the log start offset at or below the new end', async () => {
    const log = await fourSegments();
    await log.deleteRecordsBefore(8n);
    expect(log.logStartOffset).toBe(8n);
    await log.truncateTo(7n); // drops batch [6, 7]
    expect(log.logEndOffset).toBe(6n);
    expect(log.logStartOffset).toBe(6n);
    expect((await log.read(6n, 100)).records.length).toBe(0);
    expect((await log.appendAsLeader(await batchOf([1n]), 0)).firstOffset).toBe(6n);
    expect((await log.read(6n, 100)).firstBatchOffset).toBe(6n);
  });

  test('truncateTo below every segment, and truncateFullyAndStartAt, empty the log', async () => {
    const log = await fourSegments();
    await log.truncateTo(0n);
    expect(log.logEndOffset).toBe(0n);
    expect(bases(log)).toEqual([0n]);
    await appendMany(log, 3, 2);

    await log.truncateFullyAndStartAt(100n);
    expect([log.logStartOffset, log.logEndOffset, log.recoveryPoint]).toEqual([100n, 100n, 100n]);
    expect(bases(log)).toEqual([100n]);
    expect(await segmentFiles()).toEqual(
      ['.index', '.log', '.timeindex'].map((s) => offsetFileName(100n, s)),
    );
    expect(log.leaderEpochCache.all).toEqual([]);
    await expect(log.read(99n, 10)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect((await log.appendAsLeader(await batchOf([1n]), 2)).firstOffset).toBe(100n);
    await log.close();
    const reopened = await openLog({}, { hadCleanShutdown: true });
    expect([reopened.logStartOffset, reopened.logEndOffset]).toEqual([100n, 101n]);
  });

  test('deleteRecordsBefore moves the log start and deletes whole segments below it', async () => {
    const log = await fourSegments();
    expect(await log.deleteRecordsBefore(8n)).toBe(8n);
    expect(bases(log)).toEqual([6n, 12n, 18n]);
    expect(await segmentFiles()).not.toContain(offsetFileName(0n, '.log'));
    await expect(log.read(7n, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect((await log.read(8n, 1)).firstBatchOffset).toBe(8n);
    expect((await log.offsetForTimestamp(0n))?.offset).toBe(8n);

    // Moving back is a no-op; exactly at a segment base deletes the segment before it.
    expect(await log.deleteRecordsBefore(3n)).toBe(8n);
    expect(await log.deleteRecordsBefore(12n)).toBe(12n);
    expect(bases(log)).toEqual([12n, 18n]);

    // Up to the log end: the active segment stays, even though nothing in it is readable.
    expect(await log.deleteRecordsBefore(24n)).toBe(24n);
    expect(bases(log)).toEqual([18n]);
    expect((await log.read(24n, 100)).records.length).toBe(0);
    await expect(log.read(23n, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.deleteRecordsBefore(25n)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect((await log.appendAsLeader(await batchOf([1n]), 0)).firstOffset).toBe(24n);
  });
});

describe('retention', () => {
  /** Segments whose records are `ages` ms old (by record time); the last one is active. */
  async function agedLog(ages: number[], overrides: Partial<LogConfig> = {}) {
    const log = await openLog(overrides);
    for (let i = 0; i < ages.length; i++) {
      const ts = BigInt(clock.now() - ages[i]);
      await log.appendAsLeader(await batchOf([ts - 5n, ts]), 0);
      if (i < ages.length - 1) await log.roll();
    }
    return log;
  }

  test('retention.ms deletes segments whose newest record is older, oldest first', async () => {
    const log = await agedLog([10_000, 6_000, 5_000, 9_000], { retentionMs: 6_000 });
    expect(await log.deleteRetainedSegments()).toBe(1);
    expect(bases(log)).toEqual([2n, 4n, 6n]); // 6000 old exactly is kept
    expect(log.logStartOffset).toBe(2n);
    expect(await segmentFiles()).not.toContain(offsetFileName(0n, '.log'));
    await expect(log.read(1n, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);

    clock.advance(2_000);
    // Now 8000 and 7000 old; the active segment (11000 old) is never deleted.
    expect(await log.deleteRetainedSegments()).toBe(2);
    expect(bases(log)).toEqual([6n]);
    clock.advance(100_000);
    expect(await log.deleteRetainedSegments()).toBe(0);
    expect(bases(log)).toEqual([6n]);
  });

  test('retention.ms stops at the first segment that is young enough', async () => {
    const log = await agedLog([10_000, 1_000, 10_000, 0], { retentionMs: 6_000 });
    expect(await log.deleteRetainedSegments()).toBe(1);
    expect(bases(log)).toEqual([2n, 4n, 6n]);
  });

  test('retention.bytes deletes the oldest segments while the log stays above the limit', async () => {
    const log = await agedLog([0, 0, 0, 0, 0], { retentionMs: -1 });
    const s = log.segments[0].size;
    expect(log.size).toBe(5 * s);
    log.config = { ...log.config, retentionBytes: 5 * s };
    expect(await log.deleteRetainedSegments()).toBe(0);
    log.config = { ...log.config, retentionBytes: 3 * s - 1 }; // excess 2s + 1
    expect(await log.deleteRetainedSegments()).toBe(2);
    expect(bases(log)).toEqual([4n, 6n, 8n]);
    expect(log.logStartOffset).toBe(4n);
    log.config = { ...log.config, retentionBytes: 0 };
    expect(await log.deleteRetainedSegments()).toBe(2);
    expect(bases(log)).toEqual([8n]);
  });

  test('cleanup.policy=compact alone never deletes; compact,delete does', async () => {
    const log = await agedLog([10_000, 10_000, 0], { retentionMs: 1, cleanupPolicy: ['compact'] });
    expect(await log.deleteRetainedSegments()).toBe(0);
    expect(bases(log)).toEqual([0n, 2n, 4n]);
    log.config = { ...log.config, cleanupPolicy: ['compact', 'delete'] };
    expect(await log.deleteRetainedSegments()).toBe(2);
  });

  test('file.delete.delay.ms renames segments to .deleted, then removes them', async () => {
    const log = await agedLog([10_000, 10_000, 0], { retentionMs: 1_000, fileDeleteDelayMs: 150 });
    expect(await log.deleteRetainedSegments()).toBe(2);
    let names = await readdir(dir);
    for (const base of [0n, 2n]) {
      for (const suffix of ['.log', '.index', '.timeindex']) {
        expect(names).toContain(`${offsetFileName(base, suffix)}.deleted`);
        expect(names).not.toContain(offsetFileName(base, suffix));
      }
    }
    expect((await log.read(4n, 100)).firstBatchOffset).toBe(4n);
    const deadline = Date.now() + 5_000;
    while (names.some((n) => n.endsWith('.deleted')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      names = await readdir(dir);
    }
    expect(names.filter((n) => n.endsWith('.deleted'))).toEqual([]);
    expect(await segmentFiles()).toEqual(
      ['.index', '.log', '.timeindex'].map((s) => offsetFileName(4n, s)),
    );
  });

  test('leftover .deleted files are removed when the log is opened', async () => {
    const log = await agedLog([10_000, 0], { retentionMs: 1_000, fileDeleteDelayMs: 600_000 });
    expect(await log.deleteRetainedSegments()).toBe(1);
    await log.close();
    expect((await readdir(dir)).some((n) => n.endsWith('.deleted'))).toBe(true);
    const reopened = await openLog({}, { hadCleanShutdown: true, logStartOffset: 2n });
    expect((await readdir(dir)).some((n) => n.endsWith('.deleted'))).toBe(false);
    expect([reopened.logStartOffset, reopened.logEndOffset]).toEqual([2n, 4n]);
  });
});

describe('reopen and recovery', () => {
  const config = { segmentBytes: 1500, indexIntervalBytes: 200 };

  async function writeLog(count = 60, path = dir) {
    const log = path === dir ? await openLog(config) : await openLogIn(path, config);
    for (let i = 0; i < count; i++) {
      const first = log.logEndOffset;
      await log.appendAsLeader(
        await batchOf(
          Array.from({ length: 1 + (i % 3) }, (_, j) => 5000n + 7n * (first + BigInt(j))),
          { valueSize: 10 + (i % 5) * 15 },
        ),
        Math.floor(i / 20),
      );
    }
    return log;
  }

  test('a clean close keeps everything', async () => {
    const log = await writeLog();
    const before = {
      bases: bases(log),
      leo: log.logEndOffset,
      records: (await allBatches(log)).map((b) => b.bytes.toString('hex')),
      max: await log.offsetOfMaxTimestamp(),
      epochs: log.leaderEpochCache.all,
    };
    await log.close();
    const reopened = await openLog(config, { hadCleanShutdown: true });
    expect(bases(reopened)).toEqual(before.bases);
    expect(reopened.logEndOffset).toBe(before.leo);
    expect(reopened.recoveryPoint).toBe(before.leo);
    expect((await allBatches(reopened)).map((b) => b.bytes.toString('hex'))).toEqual(
      before.records,
    );
    expect(await reopened.offsetOfMaxTimestamp()).toEqual(before.max);
    expect(reopened.leaderEpochCache.all).toEqual(before.epochs);
    for (let offset = 0n; offset < before.leo; offset += 7n) {
      const [b] = readBatches((await reopened.read(offset, 1)).records);
      expect(b.baseOffset <= offset && offset <= b.lastOffset).toBe(true);
    }
  });

  test('a log written over two sessions has the same files as one written in one', async () => {
    const first = await writeLog(35);
    await first.close();
    const second = await openLog(config, { hadCleanShutdown: true });
    for (let i = 35; i < 60; i++) {
      const f = second.logEndOffset;
      await second.appendAsLeader(
        await batchOf(
          Array.from({ length: 1 + (i % 3) }, (_, j) => 5000n + 7n * (f + BigInt(j))),
          { valueSize: 10 + (i % 5) * 15 },
        ),
        Math.floor(i / 20),
      );
    }
    await second.close();
    const other = join(dir, 'one-session');
    const oneSession = await writeLog(60, other);
    await oneSession.close();
    expect(await snapshotFiles()).toEqual(await snapshotFiles(other));
  });

  test('unclean open with recovery point 0 rebuilds deleted indexes byte for byte', async () => {
    const log = await writeLog();
    await log.close();
    const before = await snapshotFiles();
    expect([...before.keys()].filter((n) => n.endsWith('.index')).length).toBeGreaterThan(3);
    for (const name of before.keys()) {
      if (!name.endsWith('.log')) await rm(join(dir, name));
    }
    const recovered = await openLog(config, { hadCleanShutdown: false, recoveryPoint: 0n });
    expect(recovered.logEndOffset).toBe(log.logEndOffset);
    await recovered.close();
    expect(await snapshotFiles()).toEqual(before);
  });

  test('missing index files are rebuilt even after a clean shutdown', async () => {
    const log = await writeLog();
    await log.close();
    const before = await snapshotFiles();
    for (const name of before.keys()) if (name.endsWith('.index')) await rm(join(dir, name));
    const reopened = await openLog(config, { hadCleanShutdown: true });
    expect(reopened.logEndOffset).toBe(log.logEndOffset);
    await reopened.close();
    expect(await snapshotFiles()).toEqual(before);
  });

  test('a corrupt .index is detected and rebuilt: size not a multiple of 8, entries out of order', async () => {
    const log = await writeLog();
    await log.close();
    const before = await snapshotFiles();
    const name = offsetFileName(log.segments[1].baseOffset, '.index');
    const good = before.get(name)!;
    expect(good.length).toBeGreaterThanOrEqual(16);

    await writeFile(join(dir, name), Buffer.concat([good, Buffer.from([1, 2, 3])]));
    const a = await openLog(config, { hadCleanShutdown: true });
    expect(a.logEndOffset).toBe(log.logEndOffset);
    await a.close();
    expect(await snapshotFiles()).toEqual(before);

    const swapped = Buffer.from(good);
    good.copy(swapped, 0, 8, 16);
    good.copy(swapped, 8, 0, 8);
    await writeFile(join(dir, name), swapped);
    const b = await openLog(config, { hadCleanShutdown: true });
    for (let offset = b.segments[1].baseOffset; offset < b.segments[2].baseOffset; offset++) {
      const [batch] = readBatches((await b.read(offset, 1)).records);
      expect(batch.baseOffset <= offset && offset <= batch.lastOffset).toBe(true);
    }
    await b.close();
    expect(await snapshotFiles()).toEqual(before);
  });

  /** The last segment holds exactly five batches. */
  async function logWithFiveBatchTail() {
    const log = await openLog(config);
    await appendMany(log, 12, 2);
    await log.roll();
    await appendMany(log, 12, 2);
    await log.roll();
    await appendMany(log, 5, 2);
    expect(bases(log)).toEqual([0n, 24n, 48n]);
    await log.close();
    const last = join(dir, offsetFileName(48n, '.log'));
    const batches = readBatches(await readFile(last));
    expect(batches.length).toBe(5);
    return { last, batches };
  }

  test('a corrupt batch in the last segment: the log ends before it', async () => {
    const { last, batches } = await logWithFiveBatchTail();
    const bytes = await readFile(last);
    const third = batches[2];
    bytes[third.position + third.sizeInBytes - 3] ^= 0x5a;
    await writeFile(last, bytes);
    const recovered = await openLog(config, { hadCleanShutdown: false, recoveryPoint: 0n });
    expect(recovered.logEndOffset).toBe(batches[1].nextOffset);
    expect(recovered.recoveryPoint).toBe(batches[1].nextOffset);
    expect((await stat(last)).size).toBe(third.position);
    expect((await recovered.appendAsLeader(await batchOf([1n]), 0)).firstOffset).toBe(52n);
    expect(readBatches((await recovered.read(51n, 1000)).records).map((b) => b.baseOffset)).toEqual(
      [50n, 52n],
    );
  });

  test('a corrupt batch in an earlier segment: later segments are removed', async () => {
    const { batches } = await logWithFiveBatchTail();
    const middle = join(dir, offsetFileName(24n, '.log'));
    const mid = readBatches(await readFile(middle));
    const bytes = await readFile(middle);
    bytes[mid[2].position + 30] ^= 0xff; // inside the CRC-covered header of the 3rd batch
    await writeFile(middle, bytes);
    const recovered = await openLog(config, { hadCleanShutdown: false, recoveryPoint: 0n });
    expect(recovered.logEndOffset).toBe(mid[1].nextOffset);
    expect(bases(recovered)).toEqual([0n, 24n]);
    const names = await readdir(dir);
    expect(names).not.toContain(offsetFileName(48n, '.log'));
    expect(names).not.toContain(offsetFileName(48n, '.index'));
    expect(batches.length).toBe(5);
    await recovered.close();
    const again = await openLog(config, { hadCleanShutdown: true });
    expect(again.logEndOffset).toBe(28n);
  });

  test('a torn tail (file cut mid-batch) is truncated to the last whole batch', async () => {
    const { last, batches } = await logWithFiveBatchTail();
    await truncate(last, batches[3].position + 25);
    const recovered = await openLog(config, { hadCleanShutdown: false, recoveryPoint: 0n });
    expect(recovered.logEndOffset).toBe(batches[2].nextOffset);
    expect((await stat(last)).size).toBe(batches[3].position);
  });

  test('segments below the recovery point are trusted without a scan', async () => {
    const { last, batches } = await logWithFiveBatchTail();
    const scan = vi.spyOn(LogSegment.prototype, 'recover');
    await truncate(last, batches[3].position + 25);
    const recovered = await openLog(config, { hadCleanShutdown: false, recoveryPoint: 48n });
    expect(scan).toHaveBeenCalledTimes(1);
    expect(recovered.logEndOffset).toBe(batches[2].nextOffset);
  });
});

describe('random workloads (property)', () => {
  test('every offset is readable, and a rebuild reproduces every file byte for byte', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          segmentBytes: fc.integer({ min: 200, max: 2500 }),
          indexIntervalBytes: fc.integer({ min: 1, max: 600 }),
          segmentIndexBytes: fc.integer({ min: 20, max: 400 }),
          batches: fc.array(
            fc.record({
              count: fc.integer({ min: 1, max: 5 }),
              valueSize: fc.integer({ min: 0, max: 250 }),
              tsStep: fc.integer({ min: -50, max: 200 }),
            }),
            { minLength: 1, maxLength: 40 },
          ),
        }),
        async ({ batches, ...config }) => {
          const path = join(dir, `run-${run++}`);
          const log = await openLogIn(path, config);
          let ts = 1_000_000n;
          const ranges: [bigint, bigint][] = [];
          for (const b of batches) {
            ts += BigInt(b.tsStep);
            const stamps = Array.from({ length: b.count }, (_, j) => ts + BigInt((j * 37) % 11));
            const r = await log.appendAsLeader(
              await batchOf(stamps, { valueSize: b.valueSize }),
              0,
            );
            ranges.push([r.firstOffset, r.lastOffset]);
          }
          for (const [first, last] of ranges) {
            for (let offset = first; offset <= last; offset++) {
              expect((await log.read(offset, 1)).firstBatchOffset).toBe(first);
            }
          }
          await log.close();
          const before = await snapshotFiles(path);
          for (const name of before.keys()) if (!name.endsWith('.log')) await rm(join(path, name));
          const rebuilt = await Log.open({
            dir: path,
            config: testLogConfig(config),
            clock,
            hadCleanShutdown: false,
            recoveryPoint: 0n,
          });
          expect(rebuilt.logEndOffset).toBe(log.logEndOffset);
          await rebuilt.close();
          expect(await snapshotFiles(path)).toEqual(before);
          await rm(path, { recursive: true, force: true });
        },
      ),
      { numRuns: 25 },
    );
  });
});

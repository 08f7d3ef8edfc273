import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Log } from '../../../src/log/log.js';
import { LONG_MAX, type LogConfig } from '../../../src/log/log-config.js';
import {
  CleanerCheckpoints,
  LogCleaner,
  OffsetMap,
  selectLogToClean,
  type CleanerConfig,
} from '../../../src/log/cleaner/index.js';
import {
  CompressionType,
  type CompressionTypeId,
} from '../../../src/protocol/compression/index.js';
import {
  buildControlBatch,
  buildRecordBatch,
  readBatches,
  type RecordBatch,
} from '../../../src/protocol/records/index.js';

const T0 = 1_700_000_000_000;
const DELETE_RETENTION_MS = 10_000;

const baseConfig: LogConfig = {
  segmentBytes: 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentJitterMs: 0,
  segmentIndexBytes: 1024 * 1024,
  indexIntervalBytes: 128,
  retentionMs: -1,
  retentionBytes: -1,
  cleanupPolicy: ['compact'],
  deleteRetentionMs: DELETE_RETENTION_MS,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: LONG_MAX,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: LONG_MAX,
  messageTimestampAfterMaxMs: LONG_MAX,
  maxMessageBytes: 1048588,
  flushMessages: LONG_MAX,
  flushMs: LONG_MAX,
  fileDeleteDelayMs: 0,
};

const smallCleaner: Partial<CleanerConfig> = { dedupeBufferBytes: 64 * 1024, ioBufferBytes: 4096 };

let root: string;
let opened: Log[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cleaner-'));
  opened = [];
});

afterEach(async () => {
  for (const log of opened) await log.close().catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function openLog(config: Partial<LogConfig> = {}, name = 'topic-0'): Promise<Log> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const log = await Log.open({ dir, config: { ...baseConfig, ...config }, hadCleanShutdown: true });
  opened.push(log);
  return log;
}

async function reopen(dir: string, config: Partial<LogConfig> = {}): Promise<Log> {
  // As after a crash: no clean-shutdown marker, so every segment is validated.
  const log = await Log.open({
    dir,
    config: { ...baseConfig, ...config },
    hadCleanShutdown: false,
    recoveryPoint: 0n,
  });
  opened.push(log);
  return log;
}

type Entry = [key: string | null, value: string | null];

interface BatchOptions {
  compression?: CompressionTypeId;
  timestamp?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
}

async function append(log: Log, entries: Entry[], options: BatchOptions = {}): Promise<bigint> {
  const timestamp = BigInt(options.timestamp ?? T0);
  const batch = await buildRecordBatch({
    compression: options.compression,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: options.baseSequence,
    isTransactional: options.isTransactional,
    records: entries.map(([key, value]) => ({
      key: key === null ? null : Buffer.from(key),
      value: value === null ? null : Buffer.from(value),
      timestamp,
    })),
  });
  return (await log.appendAsLeader(batch, 0)).firstOffset;
}

async function appendMarker(
  log: Log,
  type: 'commit' | 'abort',
  producerId: bigint,
  producerEpoch: number,
): Promise<bigint> {
  const marker = buildControlBatch({
    type,
    coordinatorEpoch: 0,
    producerId,
    producerEpoch,
    timestamp: BigInt(T0),
  });
  return (await log.appendAsLeader(marker, 0)).firstOffset;
}

/** Every batch of the log through `Log.read`, each checked for a valid CRC. */
async function readAllBatches(log: Log): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, 1024 * 1024);
    if (records.length === 0) break;
    for (const batch of readBatches(records)) {
      expect(batch.isValid()).toBe(true);
      batches.push(batch);
      offset = batch.lastOffset + 1n;
    }
  }
  return batches;
}

interface ReadRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
}

async function readAllRecords(log: Log): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  for (const batch of await readAllBatches(log)) {
    if (batch.isControl) continue;
    for (const record of await batch.decodeRecords()) {
      out.push({
        offset: record.offset,
        key: record.key?.toString() ?? null,
        value: record.value?.toString() ?? null,
      });
    }
  }
  return out;
}

function latestByKey(records: ReadRecord[]): Map<string | null, string | null> {
  const latest = new Map<string | null, string | null>();
  for (const record of records) latest.set(record.key, record.value);
  return latest;
}

function cleanerFor(log: Log, config: Partial<CleanerConfig> = smallCleaner): LogCleaner {
  return new LogCleaner({ logs: () => [log], config });
}

describe('compaction', () => {
  test('keeps the latest value of each key at its original offset; reads stay valid', async () => {
    const log = await openLog();
    await append(log, [
      ['k1', 'v1'],
      ['k2', 'v1'],
      ['k3', 'v1'],
    ]); // 0-2
    await append(log, [
      ['k1', 'v2'],
      ['k2', 'v2'],
    ]); // 3-4
    await append(log, [['k1', 'v3']]); // 5
    await log.roll();
    await append(log, [
      ['k3', 'v4'],
      ['k3', 'v5'],
    ]); // 6-7, active
    const before = await readAllRecords(log);

    const outcome = await cleanerFor(log).cleanOnce(T0);
    expect(outcome).not.toBeNull();
    expect(outcome!.endOffset).toBe(6n);

    expect(await readAllRecords(log)).toEqual([
      { offset: 2n, key: 'k3', value: 'v1' },
      { offset: 4n, key: 'k2', value: 'v2' },
      { offset: 5n, key: 'k1', value: 'v3' },
      { offset: 6n, key: 'k3', value: 'v4' },
      { offset: 7n, key: 'k3', value: 'v5' },
    ]);
    // Batches keep their offset range, so producer state and offsets stay right.
    const batches = await readAllBatches(log);
    expect(batches.map((b) => [b.baseOffset, b.lastOffset])).toEqual([
      [0n, 2n],
      [3n, 4n],
      [5n, 5n],
      [6n, 7n],
    ]);
    expect(latestByKey(await readAllRecords(log))).toEqual(latestByKey(before));
    // Reading from an offset whose record was removed lands on the next one.
    const { records, firstBatchOffset } = await log.read(1n, 1024);
    expect(firstBatchOffset).toBe(0n);
    expect(readBatches(records)[0].lastOffset).toBe(2n);
    expect(log.logEndOffset).toBe(8n);
  });

  test('survives a reopen with the compacted data', async () => {
    const log = await openLog();
    for (let i = 0; i < 20; i++) await append(log, [[`k${i % 4}`, `v${i}`]]);
    await log.roll();
    await cleanerFor(log).cleanOnce(T0);
    const compacted = await readAllRecords(log);
    expect(compacted.map((r) => r.value)).toEqual(['v16', 'v17', 'v18', 'v19']);
    await log.close();
    const again = await reopen(log.dir);
    expect(await readAllRecords(again)).toEqual(compacted);
    expect(again.logEndOffset).toBe(20n);
  });

  test('never touches the active segment', async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0 });
    await append(log, [['k', 'a']]);
    await append(log, [['k', 'b']]);
    const cleaner = cleanerFor(log);
    expect(await cleaner.cleanOnce(T0)).toBeNull();
    expect((await readAllRecords(log)).map((r) => r.value)).toEqual(['a', 'b']);

    await log.roll();
    await append(log, [['k', 'c']]);
    await append(log, [['k', 'd']]);
    const outcome = await cleaner.cleanOnce(T0);
    expect(outcome?.endOffset).toBe(2n);
    // Only the sealed segment was compacted: its older duplicate went, the active one kept both.
    expect((await readAllRecords(log)).map((r) => r.value)).toEqual(['b', 'c', 'd']);
  });

  test('drops records without a key, as Kafka does', async () => {
    const log = await openLog();
    await append(log, [
      [null, 'no key'],
      ['k', 'a'],
    ]);
    await log.roll();
    await cleanerFor(log).cleanOnce(T0);
    expect(await readAllRecords(log)).toEqual([{ offset: 1n, key: 'k', value: 'a' }]);
  });

  test('groups small segments into cleaned segments within segment.bytes', async () => {
    const log = await openLog({ segmentBytes: 2048, minCleanableDirtyRatio: 0 });
    for (let i = 0; i < 120; i++) await append(log, [[`k${i % 10}`, `value-${i}`.padEnd(60, '.')]]);
    await log.roll();
    const segmentsBefore = log.segments.length;
    expect(segmentsBefore).toBeGreaterThan(5);
    const cleaner = cleanerFor(log);
    // Full segments cannot be merged; once compacted they are small enough to be.
    await cleaner.cleanOnce(T0);
    await append(log, [['k0', 'latest']]);
    await log.roll();
    const before = await readAllRecords(log);
    await cleaner.cleanOnce(T0);
    expect(log.segments.map((segment) => segment.baseOffset)).toEqual([0n, 121n]);
    for (const segment of log.segments) expect(segment.size).toBeLessThanOrEqual(2048);
    const after = await readAllRecords(log);
    expect(after.length).toBeLessThan(before.length);
    expect(latestByKey(after)).toEqual(latestByKey(before));
    const files = await readdir(log.dir);
    expect(files.filter((f) => /\.(cleaned|swap|deleted)$/.test(f))).toEqual([]);
  });
});

describe('tombstones', () => {
  test('are kept with a delete horizon, then removed once delete.retention.ms has passed', async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0 });
    await append(log, [
      ['k1', 'v1'],
      ['k2', 'v1'],
    ]); // 0-1
    await append(log, [['k1', null]]); // 2: tombstone
    await log.roll();
    await append(log, [['k3', 'x']]);
    const cleaner = cleanerFor(log);

    await cleaner.cleanOnce(T0);
    expect(await readAllRecords(log)).toEqual([
      { offset: 1n, key: 'k2', value: 'v1' },
      { offset: 2n, key: 'k1', value: null },
      { offset: 3n, key: 'k3', value: 'x' },
    ]);
    const tombstoneBatch = (await readAllBatches(log)).find((b) => b.baseOffset === 2n)!;
    expect(tombstoneBatch.hasDeleteHorizon).toBe(true);
    expect(tombstoneBatch.deleteHorizonMs).toBe(BigInt(T0 + DELETE_RETENTION_MS));
    // The record keeps its timestamp, now stored relative to the horizon.
    expect((await tombstoneBatch.decodeRecords())[0].timestamp).toBe(BigInt(T0));

    // Before the horizon: still there.
    await log.roll();
    await append(log, [['k4', 'y']]);
    await cleaner.cleanOnce(T0 + DELETE_RETENTION_MS - 1);
    expect((await readAllRecords(log)).some((r) => r.key === 'k1')).toBe(true);

    // After it: gone.
    await log.roll();
    await append(log, [['k5', 'z']]);
    await cleaner.cleanOnce(T0 + DELETE_RETENTION_MS + 1);
    const keys = (await readAllRecords(log)).map((r) => r.key);
    expect(keys).toEqual(['k2', 'k3', 'k4', 'k5']);
  });
});

describe('when to clean', () => {
  test('respects min.cleanable.dirty.ratio', async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0.5 });
    for (let i = 0; i < 10; i++) await append(log, [[`k${i}`, 'x'.repeat(100)]]);
    await log.roll();
    const cleaner = cleanerFor(log);
    expect(await cleaner.cleanOnce(T0)).not.toBeNull(); // everything dirty: ratio 1

    // A small dirty section next to a large clean one stays below the ratio.
    await append(log, [['k0', 'y'.repeat(100)]]);
    await log.roll();
    const measure = await cleaner.selectLogToClean(T0);
    expect(measure).toBeNull();
    expect(await cleaner.cleanOnce(T0)).toBeNull();
    expect((await readAllRecords(log)).filter((r) => r.key === 'k0')).toHaveLength(2);

    // Enough dirty bytes push it over.
    for (let i = 0; i < 12; i++) await append(log, [[`k${i}`, 'z'.repeat(100)]]);
    await log.roll();
    const chosen = selectLogToClean([{ log, lastCleanOffset: cleaner.checkpoints.get(log) }], T0);
    expect(chosen?.cleanableRatio).toBeGreaterThan(0.5);
    expect(await cleaner.cleanOnce(T0)).not.toBeNull();
    expect((await readAllRecords(log)).filter((r) => r.key === 'k0')).toHaveLength(1);
  });

  test('respects min.compaction.lag.ms', async () => {
    const log = await openLog({ minCompactionLagMs: 10_000, minCleanableDirtyRatio: 0 });
    await append(log, [['k', 'old']], { timestamp: T0 });
    await append(log, [['k', 'older-segment-update']], { timestamp: T0 });
    await log.roll();
    await append(log, [['k', 'recent']], { timestamp: T0 + 15_000 });
    await log.roll();
    await append(log, [['other', 'x']], { timestamp: T0 + 15_000 });
    const cleaner = cleanerFor(log);

    expect(await cleaner.cleanOnce(T0 + 5_000)).toBeNull(); // every segment too young
    expect(await readAllRecords(log)).toHaveLength(4);

    // The first segment is old enough, the second is not: only the first is cleaned.
    const outcome = await cleaner.cleanOnce(T0 + 20_000);
    expect(outcome?.endOffset).toBe(2n);
    expect((await readAllRecords(log)).map((r) => r.value)).toEqual([
      'older-segment-update',
      'recent',
      'x',
    ]);
  });

  test('max.compaction.lag.ms forces cleaning below the dirty ratio', async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0.9, maxCompactionLagMs: 60_000 });
    for (let i = 0; i < 10; i++) await append(log, [[`k${i}`, 'x'.repeat(100)]]);
    await log.roll();
    const cleaner = cleanerFor(log);
    expect(await cleaner.cleanOnce(T0)).not.toBeNull();

    await append(log, [['k0', 'new']], { timestamp: T0 + 1_000 });
    await log.roll();
    expect(await cleaner.cleanOnce(T0 + 2_000)).toBeNull();
    const outcome = await cleaner.cleanOnce(T0 + 1_000 + 60_001);
    expect(outcome).not.toBeNull();
    expect(outcome!.cleanableRatio).toBeLessThan(0.9);
    expect((await readAllRecords(log)).filter((r) => r.key === 'k0')).toEqual([
      { offset: 10n, key: 'k0', value: 'new' },
    ]);
  });

  test('picks the dirtiest log', async () => {
    const a = await openLog({ minCleanableDirtyRatio: 0 }, 'a-0');
    const b = await openLog({ minCleanableDirtyRatio: 0 }, 'b-0');
    for (let i = 0; i < 4; i++) await append(a, [[`k${i}`, 'x']]);
    await a.roll();
    await new LogCleaner({ logs: () => [a], config: smallCleaner }).cleanOnce(T0);
    await append(a, [['k0', 'y']]);
    await a.roll();
    await append(b, [['k0', 'y']]);
    await b.roll();
    const cleaner = new LogCleaner({ logs: () => [a, b], config: smallCleaner });
    await cleaner.checkpoints.load(root);
    expect((await cleaner.selectLogToClean(T0))?.log).toBe(b);
  });
});

describe('compressed batches', () => {
  for (const [name, codec] of [
    ['gzip', CompressionType.Gzip],
    ['zstd', CompressionType.Zstd],
  ] as const) {
    test(`${name} batches are recompressed with ${name}`, async () => {
      const log = await openLog();
      await append(
        log,
        [
          ['a', '1'],
          ['b', '1'],
          ['c', '1'],
        ],
        { compression: codec },
      );
      await append(log, [['a', '2']], { compression: codec });
      await log.roll();
      await cleanerFor(log).cleanOnce(T0);
      const batches = await readAllBatches(log);
      expect(batches.map((b) => b.compression)).toEqual([codec, codec]);
      expect(batches[0].lastOffset).toBe(2n);
      expect(await readAllRecords(log)).toEqual([
        { offset: 1n, key: 'b', value: '1' },
        { offset: 2n, key: 'c', value: '1' },
        { offset: 3n, key: 'a', value: '2' },
      ]);
    });
  }
});

describe('transactions and producers', () => {
  test('keep producer fields and markers; aborted records go and never shadow committed ones', async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0 });
    const pid = 1000n;
    const txn = { producerId: pid, producerEpoch: 3, isTransactional: true };
    await append(
      log,
      [
        ['k1', 'committed'],
        ['k2', 'committed'],
      ],
      { ...txn, baseSequence: 0 },
    ); // 0-1
    await appendMarker(log, 'commit', pid, 3); // 2
    await append(log, [['k1', 'aborted']], { ...txn, baseSequence: 2 }); // 3
    await appendMarker(log, 'abort', pid, 3); // 4
    await append(log, [['k2', 'plain']]); // 5
    await log.roll();
    await append(log, [['x', 'y']]);

    await cleanerFor(log).cleanOnce(T0);
    const batches = await readAllBatches(log);
    expect(batches.map((b) => [b.baseOffset, b.lastOffset, b.isControl, b.recordCount])).toEqual([
      [0n, 1n, false, 1],
      [2n, 2n, true, 1],
      [3n, 3n, false, 0], // the producer's last data batch survives as an empty header
      [4n, 4n, true, 1],
      [5n, 5n, false, 1],
      [6n, 6n, false, 1],
    ]);
    for (const batch of batches.slice(0, 4)) {
      expect(batch.producerId).toBe(pid);
      expect(batch.producerEpoch).toBe(3);
      expect(batch.isTransactional).toBe(true);
    }
    expect(batches[0].baseSequence).toBe(0);
    expect(batches[0].lastSequence).toBe(1);
    expect(batches[2].baseSequence).toBe(2);
    expect(await readAllRecords(log)).toEqual([
      { offset: 0n, key: 'k1', value: 'committed' },
      { offset: 5n, key: 'k2', value: 'plain' },
      { offset: 6n, key: 'x', value: 'y' },
    ]);
  });

  test("a producer's earlier aborted transaction does not hide its later committed one", async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0 });
    const txn = { producerId: 5n, producerEpoch: 0, isTransactional: true };
    await append(log, [['k', 'old']]); // 0
    await append(log, [['x', 'aborted']], { ...txn, baseSequence: 0 }); // 1
    await appendMarker(log, 'abort', 5n, 0); // 2
    await log.roll();
    const cleaner = cleanerFor(log);
    expect((await cleaner.cleanOnce(T0))?.endOffset).toBe(3n);

    await append(log, [['k', 'new']], { ...txn, baseSequence: 1 }); // 3
    await appendMarker(log, 'commit', 5n, 0); // 4
    await log.roll();
    expect((await cleaner.cleanOnce(T0))?.endOffset).toBe(5n);
    expect(await readAllRecords(log)).toEqual([{ offset: 3n, key: 'k', value: 'new' }]);
  });

  test('a commit marker outlives its data, then goes after its delete horizon', async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0 });
    const pid = 7n;
    const txn = { producerId: pid, producerEpoch: 0, isTransactional: true };
    await append(log, [['k1', 'a']], { ...txn, baseSequence: 0 }); // 0
    await appendMarker(log, 'commit', pid, 0); // 1
    await append(log, [['k5', 'z']], { ...txn, baseSequence: 1 }); // 2
    await appendMarker(log, 'commit', pid, 0); // 3
    await append(log, [['k1', 'b']]); // 4
    await log.roll();
    const cleaner = cleanerFor(log);
    const markers = async () =>
      (await readAllBatches(log)).filter((b) => b.isControl).map((b) => b.baseOffset);

    await cleaner.cleanOnce(T0); // k1@0 goes; its batch is not the producer's last
    expect(await markers()).toEqual([1n, 3n]);
    expect((await readAllBatches(log)).some((b) => b.baseOffset === 0n)).toBe(false);

    await append(log, [['k6', 'w']]);
    await log.roll();
    await cleaner.cleanOnce(T0 + 1); // no data left before marker 1: it gets a horizon
    const marker = (await readAllBatches(log)).find((b) => b.baseOffset === 1n)!;
    expect(marker.hasDeleteHorizon).toBe(true);
    expect(marker.deleteHorizonMs).toBe(BigInt(T0 + 1 + DELETE_RETENTION_MS));

    await append(log, [['k7', 'v']]);
    await log.roll();
    await cleaner.cleanOnce(T0 + 2 + DELETE_RETENTION_MS);
    expect(await markers()).toEqual([3n]);
  });

  test("an idempotent producer's last batch is kept as an empty batch", async () => {
    const log = await openLog();
    await append(log, [['k', 'a']], { producerId: 42n, producerEpoch: 1, baseSequence: 5 });
    await append(log, [['k', 'b']]);
    await log.roll();
    await cleanerFor(log).cleanOnce(T0);
    const [first, second] = await readAllBatches(log);
    expect(first.recordCount).toBe(0);
    expect([first.baseOffset, first.lastOffset]).toEqual([0n, 0n]);
    expect([first.producerId, first.producerEpoch, first.baseSequence]).toEqual([42n, 1, 5]);
    expect((await second.decodeRecords())[0].value?.toString()).toBe('b');
  });

  test('once the producer id expired, its last batch goes like any other', async () => {
    const log = await openLog();
    await append(log, [['k', 'a']], { producerId: 42n, producerEpoch: 1, baseSequence: 5 });
    await append(log, [['k', 'b']]);
    await log.roll();
    await cleanerFor(log, { ...smallCleaner, producerIdExpirationMs: 60_000 }).cleanOnce(
      T0 + 60_000,
    );
    const batches = await readAllBatches(log);
    expect(batches.map((b) => [b.baseOffset, b.recordCount])).toEqual([[1n, 1]]);
  });

  test('an open transaction stops cleaning before its segment', async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0 });
    await append(log, [['k', 'a']]);
    await append(log, [['k', 'b']]);
    await log.roll();
    await append(log, [['k', 'open']], { producerId: 9n, producerEpoch: 0, isTransactional: true });
    await log.roll();
    await append(log, [['k', 'c']]);
    await log.roll();
    const outcome = await cleanerFor(log).cleanOnce(T0);
    expect(outcome?.endOffset).toBe(2n);
    // The open transaction's record is kept, and so is everything after it.
    expect((await readAllRecords(log)).map((r) => r.value)).toEqual(['b', 'open', 'c']);
  });
});

describe('offset map', () => {
  test('maps keys to their latest offsets', () => {
    const map = new OffsetMap(24 * 100);
    map.put(Buffer.from('a'), 1n);
    map.put(Buffer.from('b'), 2n);
    map.put(Buffer.from('a'), 3n);
    expect(map.size).toBe(2);
    expect(map.get(Buffer.from('a'))).toBe(3n);
    expect(map.get(Buffer.from('b'))).toBe(2n);
    expect(map.get(Buffer.from('c'))).toBe(-1n);
    expect(map.latestOffset).toBe(3n);
    map.clear();
    expect([map.size, map.get(Buffer.from('a')), map.latestOffset]).toEqual([0, -1n, -1n]);
  });

  test('a full map limits a pass to the offsets it covered; later passes finish the job', async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0 });
    for (let i = 0; i < 30; i++) await append(log, [[`k${i}`, 'v1']]);
    await log.roll();
    for (let i = 0; i < 30; i++) await append(log, [[`k${i}`, 'v2']]);
    await log.roll();
    // Room for 10 keys at load factor 0.9: 9 keys per pass.
    const cleaner = cleanerFor(log, { dedupeBufferBytes: 24 * 10, ioBufferBytes: 4096 });
    const first = await cleaner.cleanOnce(T0);
    expect(first?.endOffset).toBe(9n);
    expect(await readAllRecords(log)).toHaveLength(60);
    let previous = first!.endOffset;
    for (let pass = 0; pass < 20; pass++) {
      const outcome = await cleaner.cleanOnce(T0);
      if (!outcome) break;
      expect(outcome.endOffset).toBeGreaterThan(previous);
      previous = outcome.endOffset;
    }
    expect(previous).toBe(60n);
    const records = await readAllRecords(log);
    expect(records).toHaveLength(30);
    expect(records.every((r) => r.value === 'v2')).toBe(true);
  });
});

describe('living with the log', () => {
  test('appends made during a pass are neither lost nor reordered', async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0 });
    for (let i = 0; i < 200; i++) await append(log, [[`k${i % 20}`, `v${i}`]]);
    await log.roll();
    const cleaner = cleanerFor(log, { ...smallCleaner, yieldEveryBytes: 512 });
    const pass = cleaner.cleanOnce(T0);
    const appends = Promise.all(
      Array.from({ length: 50 }, (_, i) => append(log, [[`k${i % 20}`, `new${i}`]])),
    );
    const [outcome] = await Promise.all([pass, appends]);
    expect(outcome?.endOffset).toBe(200n);
    const records = await readAllRecords(log);
    expect(records.slice(0, 20).map((r) => r.value)).toEqual(
      Array.from({ length: 20 }, (_, i) => `v${180 + i}`),
    );
    expect(records.slice(20).map((r) => r.offset)).toEqual(
      Array.from({ length: 50 }, (_, i) => BigInt(200 + i)),
    );
  });

  test('abortAndPause stops a pass and keeps the cleaner off the log until resume', async () => {
    const log = await openLog({ minCleanableDirtyRatio: 0 });
    for (let i = 0; i < 300; i++) {
      await append(log, [[`k${i % 7}`, `v${i}`]]);
      if (i % 50 === 49) await log.roll();
    }
    const before = await readAllRecords(log);
    const cleaner = cleanerFor(log, { ...smallCleaner, yieldEveryBytes: 256 });
    const pass = cleaner.cleanOnce(T0);
    await new Promise((resolve) => setImmediate(resolve));
    await cleaner.abortAndPause(log);
    expect(await pass).toBeNull();
    expect(await readAllRecords(log)).toEqual(before);
    expect((await readdir(log.dir)).filter((f) => /\.(cleaned|swap)$/.test(f))).toEqual([]);
    expect(await cleaner.cleanOnce(T0)).toBeNull();
    cleaner.resume(log);
    expect(await cleaner.cleanOnce(T0)).not.toBeNull();
    expect(latestByKey(await readAllRecords(log))).toEqual(latestByKey(before));
  });

  test('LogAppendTime batches keep their timestamp type and time', async () => {
    const log = await openLog({ messageTimestampType: 'LogAppendTime' });
    await append(log, [
      ['k1', 'a'],
      ['k2', 'b'],
    ]);
    await append(log, [['k1', 'c']]);
    await log.roll();
    const appendTime = (await readAllBatches(log))[0].maxTimestamp;
    await cleanerFor(log).cleanOnce(Date.now());
    const [first] = await readAllBatches(log);
    expect(first.timestampType).toBe(1);
    expect(first.maxTimestamp).toBe(appendTime);
    const [record] = await first.decodeRecords();
    expect([record.key?.toString(), record.timestamp]).toEqual(['k2', appendTime]);
  });
});

describe('cleaner checkpoint', () => {
  test('is persisted in the log dir in Kafka checkpoint format', async () => {
    const log = await openLog();
    await append(log, [['k', 'a']]);
    await append(log, [['k', 'b']]);
    await log.roll();
    const cleaner = cleanerFor(log);
    await cleaner.cleanOnce(T0);
    const text = await readFile(join(root, 'cleaner-offset-checkpoint'), 'utf8');
    expect(text).toBe('0\n1\ntopic 0 2\n');

    const fresh = new CleanerCheckpoints();
    await fresh.load(root);
    expect(fresh.get(log)).toBe(2n);
    await fresh.truncate(log, 1n);
    expect(await readFile(join(root, 'cleaner-offset-checkpoint'), 'utf8')).toBe(
      '0\n1\ntopic 0 1\n',
    );
  });

  test('a checkpoint beyond the log end is reset to the log start', async () => {
    const log = await openLog();
    await writeFile(join(root, 'cleaner-offset-checkpoint'), '0\n1\ntopic 0 99\n');
    await append(log, [['k', 'a']]);
    await append(log, [['k', 'b']]);
    await log.roll();
    const cleaner = cleanerFor(log);
    const outcome = await cleaner.cleanOnce(T0);
    expect(outcome?.firstDirtyOffset).toBe(0n);
    expect(cleaner.checkpoints.get(log)).toBe(2n);
  });
});

describe('periodic cleaning', () => {
  test('start() cleans in the background and stop() ends it', async () => {
    const log = await openLog();
    await append(log, [['k', 'a']]);
    await append(log, [['k', 'b']]);
    await log.roll();
    const cleaner = cleanerFor(log);
    cleaner.start(5);
    for (let i = 0; i < 200 && cleaner.checkpoints.get(log) === undefined; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await cleaner.stop();
    expect(cleaner.checkpoints.get(log)).toBe(2n);
    expect((await readAllRecords(log)).map((r) => r.value)).toEqual(['b']);
  });
});

describe('crash safety', () => {
  /**
   * Builds the same log in two dirs, compacts the first, and returns the compacted
   * segment's files so a test can plant them in the second as a crash would leave them.
   */
  async function twinLogs() {
    const config: Partial<LogConfig> = {};
    const fill = async (log: Log) => {
      for (let i = 0; i < 80; i++) {
        await append(log, [[`k${i % 8}`, `value-${i}`.padEnd(40)]]);
        if (i % 20 === 19) await log.roll();
      }
      await append(log, [['tail', 'active']]);
    };
    const cleaned = await openLog(config, 'cleaned-0');
    const crashed = await openLog(config, 'crashed-0');
    await fill(cleaned);
    await fill(crashed);
    const original = await readAllRecords(crashed);
    const oldSegments = crashed.segments.slice(0, -1).map((s) => s.baseOffset);
    await cleanerFor(cleaned).cleanOnce(T0);
    const compacted = await readAllRecords(cleaned);
    expect(cleaned.segments.length).toBe(2); // one compacted segment and the active one
    await cleaned.close();
    await crashed.close();
    const name = '00000000000000000000';
    const plant = async (suffix: string, files = ['.log', '.index', '.timeindex']) => {
      for (const file of files)
        await cp(join(cleaned.dir, name + file), join(crashed.dir, name + file + suffix));
    };
    return { crashed, original, compacted, oldSegments, plant, config };
  }

  test('after the cleaned files were written: reopening drops them, data intact', async () => {
    const { crashed, original, plant, config } = await twinLogs();
    await plant('.cleaned');
    const log = await reopen(crashed.dir, config);
    expect(await readAllRecords(log)).toEqual(original);
    expect((await readdir(crashed.dir)).filter((f) => f.endsWith('.cleaned'))).toEqual([]);
  });

  test('mid-commit (indexes renamed to .swap, log file not yet): old data intact', async () => {
    const { crashed, original, plant, config } = await twinLogs();
    await plant('.swap', ['.index', '.timeindex']);
    await plant('.cleaned', ['.log']);
    const log = await reopen(crashed.dir, config);
    expect(await readAllRecords(log)).toEqual(original);
    expect((await readdir(crashed.dir)).filter((f) => /\.(swap|cleaned)$/.test(f))).toEqual([]);
  });

  test('after the .swap rename: reopening completes the swap, nothing lost', async () => {
    const { crashed, original, compacted, oldSegments, plant, config } = await twinLogs();
    expect(oldSegments.length).toBeGreaterThan(1);
    await plant('.swap');
    const log = await reopen(crashed.dir, config);
    expect(await readAllRecords(log)).toEqual(compacted);
    expect(latestByKey(compacted)).toEqual(latestByKey(original));
    expect(log.segments.length).toBe(2);
    expect(log.logEndOffset).toBe(81n);
    const files = await readdir(crashed.dir);
    expect(files.filter((f) => /\.(swap|cleaned|deleted)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.log'))).toHaveLength(2);
  });

  test('mid-swap (old segments renamed .deleted, indexes in place): reopening completes it', async () => {
    const { crashed, compacted, oldSegments, plant, config } = await twinLogs();
    for (const base of oldSegments) {
      const name = base.toString().padStart(20, '0');
      for (const suffix of ['.log', '.index', '.timeindex']) {
        await cp(join(crashed.dir, name + suffix), join(crashed.dir, name + suffix + '.deleted'));
        await rm(join(crashed.dir, name + suffix));
      }
    }
    await plant('', ['.index', '.timeindex']);
    await plant('.swap', ['.log']);
    const log = await reopen(crashed.dir, config);
    expect(await readAllRecords(log)).toEqual(compacted);
  });
});

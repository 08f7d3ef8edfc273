import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { LogSegment, tailCacheEntry, type SegmentOptions } from '../../../src/log/log-segment.js';
import { buildRecordBatch, RecordBatch, readBatches } from '../../../src/protocol/records/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segment-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NOW = 1_700_000_000_000;
const options = (overrides: Partial<SegmentOptions> = {}): SegmentOptions => ({
  indexIntervalBytes: 200,
  maxIndexBytes: 1024 * 1024,
  tailCacheBytes: 1024 * 1024,
  ...overrides,
});

interface Appended {
  view: RecordBatch;
  position: number;
}

/** A batch of `count` records starting at `baseOffset`, one timestamp per record. */
async function makeBatch(
  baseOffset: bigint,
  timestamps: bigint[],
  { epoch = 0, valueSize = 30 } = {},
): Promise<RecordBatch> {
  const bytes = await buildRecordBatch({
    baseOffset,
    partitionLeaderEpoch: epoch,
    records: timestamps.map((timestamp, i) => ({
      key: Buffer.from(`k${baseOffset + BigInt(i)}`),
      value: Buffer.alloc(valueSize, i),
      timestamp,
    })),
  });
  return RecordBatch.at(bytes);
}

/** Registers and writes batches, as Log's group commit does. */
async function append(segment: LogSegment, batches: RecordBatch[]): Promise<Appended[]> {
  const start = segment.size;
  const out = batches.map((view) => ({
    view,
    position: segment.registerAppend(view.sizeInBytes, view.lastOffset, view.maxTimestamp),
  }));
  await segment.write(
    start,
    batches.map((b) => b.bytes),
  );
  return out;
}

/** `count` batches of `perBatch` records from `baseOffset`, timestamps 1000 + offset. */
async function fill(
  segment: LogSegment,
  count: number,
  perBatch = 2,
  baseOffset = segment.nextOffset,
): Promise<Appended[]> {
  const batches: RecordBatch[] = [];
  let offset = baseOffset;
  for (let i = 0; i < count; i++) {
    batches.push(
      await makeBatch(
        offset,
        Array.from({ length: perBatch }, (_, j) => 1000n + offset + BigInt(j)),
      ),
    );
    offset += BigInt(perBatch);
  }
  return append(segment, batches);
}

/** Kafka's rule: an entry (last offset, position) for a batch once more than `interval` bytes were appended since the previous entry. */
function expectedIndexEntries(appended: Appended[], interval: number) {
  const entries: { offset: bigint; position: number }[] = [];
  let since = 0;
  for (const { view, position } of appended) {
    if (since > interval) {
      entries.push({ offset: view.lastOffset, position });
      since = 0;
    }
    since += view.sizeInBytes;
  }
  return entries;
}

function offsetIndexEntries(segment: LogSegment) {
  return Array.from({ length: segment.offsetIndex.entryCount }, (_, i) =>
    segment.offsetIndex.entry(i),
  );
}

function timeIndexEntries(segment: LogSegment) {
  return Array.from({ length: segment.timeIndex.entryCount }, (_, i) => segment.timeIndex.entry(i));
}

describe('append and index entries', () => {
  test('an index entry is added every index.interval.bytes, pointing at the batch start', async () => {
    const segment = await LogSegment.create(dir, 100n, options(), NOW);
    const appended = await fill(segment, 30, 2);
    const expected = expectedIndexEntries(appended, 200);
    expect(expected.length).toBeGreaterThan(5);
    expect(offsetIndexEntries(segment)).toEqual(expected);
    expect(segment.nextOffset).toBe(160n);
    expect(segment.size).toBe(appended.reduce((n, a) => n + a.view.sizeInBytes, 0));
    expect(segment.writtenSize).toBe(segment.size);
    expect((await stat(segment.paths.log)).size).toBe(segment.size);
    // The time index follows the offset index with (max timestamp so far, its offset).
    for (const entry of timeIndexEntries(segment)) {
      const batch = appended.find((a) => a.view.lastOffset === entry.offset)!;
      expect(batch.view.maxTimestamp).toBe(entry.timestamp);
    }
    await segment.close();
  });

  test('tracks max timestamp, its offset and the rolling timestamp of the first batch', async () => {
    const segment = await LogSegment.create(dir, 0n, options(), NOW);
    await append(segment, [
      await makeBatch(0n, [500n, 700n]),
      await makeBatch(2n, [900n, 100n, 200n]),
      await makeBatch(5n, [300n]),
    ]);
    expect(segment.maxTimestampSoFar).toBe(900n);
    expect(segment.offsetOfMaxTimestampSoFar).toBe(4n);
    expect(segment.rollingBasedTimestamp).toBe(700n);
    await segment.close();
  });

  test('reads are served from the tail cache and from the file identically', async () => {
    const cached = await LogSegment.create(dir, 0n, options({ tailCacheBytes: 600 }), NOW);
    await fill(cached, 20);
    const onDisk = await readFile(cached.paths.log);
    for (const [position, length] of [
      [0, 50],
      [onDisk.length - 700, 700],
      [onDisk.length - 100, 100],
      [onDisk.length - 10, 1000],
      [onDisk.length, 10],
    ]) {
      const got = await cached.read(position, length);
      expect(got).toEqual(onDisk.subarray(position, Math.min(position + length, onDisk.length)));
    }
    await cached.close();
  });
});

describe('tail cache entries', () => {
  test('slices of small allocations are kept and charged the allocation; big ones are copied', () => {
    const frame = Buffer.allocUnsafeSlow(40 * 1024);
    const inFrame = tailCacheEntry(frame.subarray(100, 16_100));
    expect(inFrame.buf.buffer).toBe(frame.buffer);
    expect(inFrame.charge).toBe(40 * 1024);

    const own = Buffer.allocUnsafeSlow(200 * 1024);
    expect(tailCacheEntry(own)).toEqual({ buf: own, charge: 200 * 1024 });

    const big = Buffer.allocUnsafeSlow(1024 * 1024);
    const slice = big.subarray(0, 16_000);
    const copied = tailCacheEntry(slice);
    expect(copied.buf.buffer).not.toBe(big.buffer);
    expect(copied.buf).toEqual(slice);
    expect(copied.charge).toBe(16_000);
  });
});

describe('translateOffset and timestamp lookups', () => {
  test('finds the batch holding every offset, at and between index entries', async () => {
    const segment = await LogSegment.create(dir, 50n, options({ indexIntervalBytes: 150 }), NOW);
    const appended = await fill(segment, 25, 3);
    expect(segment.offsetIndex.entryCount).toBeGreaterThan(3);
    for (let offset = 50n; offset < segment.nextOffset; offset++) {
      const found = await segment.translateOffset(offset);
      const expected = appended.find(
        (a) => a.view.baseOffset <= offset && offset <= a.view.lastOffset,
      )!;
      expect(found).toMatchObject({
        position: expected.position,
        size: expected.view.sizeInBytes,
        baseOffset: expected.view.baseOffset,
        lastOffset: expected.view.lastOffset,
      });
    }
    // Below the base: the first batch; beyond the last offset: nothing.
    expect((await segment.translateOffset(0n))?.baseOffset).toBe(50n);
    expect(await segment.translateOffset(segment.nextOffset)).toBeNull();
    // A starting position skips earlier batches.
    const third = appended[3];
    expect((await segment.translateOffset(50n, third.position))?.baseOffset).toBe(
      third.view.baseOffset,
    );
    await segment.close();
  });

  test('findBatchByTimestamp returns the first batch whose max timestamp reaches the target', async () => {
    const segment = await LogSegment.create(dir, 0n, options({ indexIntervalBytes: 100 }), NOW);
    await append(segment, [
      await makeBatch(0n, [100n, 120n]),
      await makeBatch(2n, [110n, 130n]),
      await makeBatch(4n, [200n, 150n]),
      await makeBatch(6n, [160n, 170n]),
      await makeBatch(8n, [300n, 310n]),
    ]);
    expect((await segment.findBatchByTimestamp(0n, 0n))?.baseOffset).toBe(0n);
    expect((await segment.findBatchByTimestamp(120n, 0n))?.baseOffset).toBe(0n);
    expect((await segment.findBatchByTimestamp(121n, 0n))?.baseOffset).toBe(2n);
    expect((await segment.findBatchByTimestamp(165n, 0n))?.baseOffset).toBe(4n);
    expect((await segment.findBatchByTimestamp(201n, 0n))?.baseOffset).toBe(8n);
    expect(await segment.findBatchByTimestamp(311n, 0n)).toBeNull();
    // Never a batch wholly below the starting offset.
    expect((await segment.findBatchByTimestamp(0n, 5n))?.baseOffset).toBe(4n);
    await segment.close();
  });
});

describe('shouldRoll', () => {
  const MAX = Number.MAX_SAFE_INTEGER;

  test('not for an empty segment, however large or late the batch', async () => {
    const segment = await LogSegment.create(dir, 0n, options(), NOW);
    expect(segment.shouldRoll(10_000, 0n, 1000n, 100, 0, NOW + 1e9)).toBe(false);
  });

  test('segment.bytes: when the batch would take the segment past the limit', async () => {
    const segment = await LogSegment.create(dir, 0n, options(), NOW);
    await fill(segment, 1);
    const size = segment.size;
    expect(segment.shouldRoll(100, 2n, 1000n, size + 100, MAX, NOW)).toBe(false);
    expect(segment.shouldRoll(101, 2n, 1000n, size + 100, MAX, NOW)).toBe(true);
  });

  test('segment.ms: record time of the new batch against the first batch', async () => {
    const segment = await LogSegment.create(dir, 0n, options(), NOW);
    await append(segment, [await makeBatch(0n, [10_000n, 10_050n])]);
    expect(segment.rollingBasedTimestamp).toBe(10_050n);
    // Wall-clock time does not matter when batches carry timestamps.
    expect(segment.shouldRoll(100, 2n, 11_050n, MAX, 1000, NOW + 1e9)).toBe(false);
    expect(segment.shouldRoll(100, 2n, 11_051n, MAX, 1000, NOW)).toBe(true);
  });

  test('segment.ms: wall-clock time since creation when batches carry no timestamp', async () => {
    const segment = await LogSegment.create(dir, 0n, options(), NOW);
    await append(segment, [await makeBatch(0n, [-1n])]);
    expect(segment.shouldRoll(100, 1n, -1n, MAX, 1000, NOW + 1000)).toBe(false);
    expect(segment.shouldRoll(100, 1n, -1n, MAX, 1000, NOW + 1001)).toBe(true);
  });

  test('a full offset index or time index', async () => {
    // 24 bytes: the offset index holds 3 entries, the time index 2.
    const offsetFull = await LogSegment.create(
      dir,
      0n,
      options({ indexIntervalBytes: 1, maxIndexBytes: 24 }),
      NOW,
    );
    // Constant timestamps: the time index keeps a single entry, the offset index fills.
    await append(offsetFull, [
      await makeBatch(0n, [5n]),
      await makeBatch(1n, [5n]),
      await makeBatch(2n, [5n]),
      await makeBatch(3n, [5n]),
    ]);
    expect(offsetFull.offsetIndex.entryCount).toBe(3);
    expect(offsetFull.timeIndex.entryCount).toBe(1);
    expect(offsetFull.offsetIndex.isFull).toBe(true);
    expect(offsetFull.timeIndex.isFull).toBe(false);
    expect(offsetFull.shouldRoll(10, 4n, 5n, MAX, MAX, NOW)).toBe(true);
    await offsetFull.close();

    const sub = join(dir, 'time');
    await mkdir(sub);
    const timeFull = await LogSegment.create(
      sub,
      0n,
      options({ indexIntervalBytes: 1, maxIndexBytes: 40 }),
      NOW,
    );
    // Offset index holds 5 entries, time index 3; rising timestamps fill the time index first.
    const appended: RecordBatch[] = [];
    for (let i = 0; !timeFull.timeIndex.isFull; i++) {
      appended.push(await makeBatch(BigInt(i), [BigInt(100 + i)]));
      await append(timeFull, [appended[i]]);
    }
    expect(timeFull.offsetIndex.isFull).toBe(false);
    expect(timeFull.shouldRoll(10, timeFull.nextOffset, 1000n, MAX, MAX, NOW)).toBe(true);
    await timeFull.close();
  });

  test('a last offset that does not fit a relative (int32) offset', async () => {
    const segment = await LogSegment.create(dir, 0n, options(), NOW);
    await fill(segment, 1, 1);
    expect(segment.shouldRoll(100, 0x7fffffffn, 1000n, MAX, MAX, NOW)).toBe(false);
    expect(segment.shouldRoll(100, 0x80000000n, 1000n, MAX, MAX, NOW)).toBe(true);
    // Even an empty segment cannot take such a batch (Kafka rolls then too).
    const empty = await LogSegment.create(dir, 10n, options(), NOW);
    expect(empty.shouldRoll(100, 10n + 0x80000000n, 1000n, MAX, MAX, NOW)).toBe(true);
    await segment.close();
  });
});

describe('truncateTo', () => {
  test('drops the batch holding the offset and everything after it, with index entries', async () => {
    const segment = await LogSegment.create(dir, 0n, options({ indexIntervalBytes: 100 }), NOW);
    const appended = await fill(segment, 20, 3);
    const target = appended[12];
    const removed = await segment.truncateTo(target.view.baseOffset + 1n); // inside batch 12
    expect(removed).toBe(appended.slice(12).reduce((n, a) => n + a.view.sizeInBytes, 0));
    expect(segment.size).toBe(target.position);
    expect((await stat(segment.paths.log)).size).toBe(target.position);
    expect(segment.nextOffset).toBe(target.view.baseOffset);
    expect(offsetIndexEntries(segment)).toEqual(expectedIndexEntries(appended.slice(0, 12), 100));
    for (const entry of timeIndexEntries(segment))
      expect(entry.offset).toBeLessThan(target.view.baseOffset);
    expect(segment.maxTimestampSoFar).toBe(appended[11].view.maxTimestamp);
    expect(segment.offsetOfMaxTimestampSoFar).toBe(appended[11].view.lastOffset);

    // Appending again continues at the truncation point with the same index rule.
    const more = await fill(segment, 8, 3);
    expect(offsetIndexEntries(segment)).toEqual(
      expectedIndexEntries([...appended.slice(0, 12), ...more], 100),
    );
    // Truncating past the end does nothing; to the base empties the segment.
    expect(await segment.truncateTo(segment.nextOffset + 10n)).toBe(0);
    await segment.truncateTo(0n);
    expect(segment.size).toBe(0);
    expect(segment.nextOffset).toBe(0n);
    expect(segment.offsetIndex.entryCount).toBe(0);
    expect(segment.timeIndex.entryCount).toBe(0);
    await segment.close();
  });
});

describe('open and recover', () => {
  async function writeClosedSegment(interval = 150) {
    const segment = await LogSegment.create(
      dir,
      0n,
      options({ indexIntervalBytes: interval }),
      NOW,
    );
    const appended = await fill(segment, 20, 2);
    segment.seal();
    await segment.flush();
    await segment.close();
    return { segment, appended };
  }

  test('a flushed segment reopens with its indexes and tail state', async () => {
    const { segment, appended } = await writeClosedSegment();
    const { segment: reopened, indexesValid } = await LogSegment.open(
      dir,
      0n,
      options({ indexIntervalBytes: 150 }),
      NOW,
    );
    expect(indexesValid).toBe(true);
    expect(reopened.nextOffset).toBe(40n);
    expect(reopened.size).toBe(segment.size);
    expect(reopened.maxTimestampSoFar).toBe(segment.maxTimestampSoFar);
    expect(reopened.offsetOfMaxTimestampSoFar).toBe(segment.offsetOfMaxTimestampSoFar);
    expect(reopened.rollingBasedTimestamp).toBe(appended[0].view.maxTimestamp);
    expect(offsetIndexEntries(reopened)).toEqual(offsetIndexEntries(segment));
    // New appends keep Kafka's index spacing across the reopen.
    const more = await fill(reopened, 10, 2);
    expect(offsetIndexEntries(reopened)).toEqual(expectedIndexEntries([...appended, ...more], 150));
    await reopened.close();
  });

  test('recover rebuilds both indexes byte for byte', async () => {
    const { segment } = await writeClosedSegment();
    const indexBytes = await readFile(segment.paths.index);
    const timeBytes = await readFile(segment.paths.timeIndex);
    expect(indexBytes.length).toBeGreaterThan(0);
    await rm(segment.paths.index);
    await rm(segment.paths.timeIndex);
    const { segment: reopened } = await LogSegment.open(
      dir,
      0n,
      options({ indexIntervalBytes: 150 }),
      NOW,
    );
    const result = await reopened.recover(1 << 20);
    expect(result).toMatchObject({ batches: 20, truncatedBytes: 0, firstInvalidOffset: null });
    expect(result.epochs).toEqual([[0, 0n]]);
    await reopened.flush();
    expect(await readFile(segment.paths.index)).toEqual(indexBytes);
    expect(await readFile(segment.paths.timeIndex)).toEqual(timeBytes);
    expect(reopened.nextOffset).toBe(40n);
    await reopened.close();
  });

  test('a corrupt index is reported as invalid', async () => {
    const { segment } = await writeClosedSegment();
    const indexBytes = await readFile(segment.paths.index);
    const opts = options({ indexIntervalBytes: 150 });

    await writeFile(segment.paths.index, indexBytes.subarray(0, indexBytes.length - 3));
    expect((await LogSegment.open(dir, 0n, opts, NOW)).indexesValid).toBe(false);

    const swapped = Buffer.from(indexBytes);
    indexBytes.copy(swapped, 0, 8, 16);
    indexBytes.copy(swapped, 8, 0, 8);
    await writeFile(segment.paths.index, swapped);
    expect((await LogSegment.open(dir, 0n, opts, NOW)).indexesValid).toBe(false);

    // An entry pointing past the end of the log.
    const beyond = Buffer.from(indexBytes);
    beyond.writeInt32BE(segment.size + 10, beyond.length - 4);
    await writeFile(segment.paths.index, beyond);
    expect((await LogSegment.open(dir, 0n, opts, NOW)).indexesValid).toBe(false);
  });

  test('recover truncates at the first corrupt batch and at a torn tail', async () => {
    const { segment, appended } = await writeClosedSegment();
    const original = await readFile(segment.paths.log);
    const opts = options({ indexIntervalBytes: 150 });

    // Flip a byte inside the records of batch 7.
    const corrupt = Buffer.from(original);
    corrupt[appended[7].position + appended[7].view.sizeInBytes - 5] ^= 0xff;
    await writeFile(segment.paths.log, corrupt);
    const { segment: a } = await LogSegment.open(dir, 0n, opts, NOW);
    const ra = await a.recover(1 << 20);
    expect(ra).toMatchObject({
      batches: 7,
      validBytes: appended[7].position,
      truncatedBytes: original.length - appended[7].position,
      firstInvalidOffset: appended[7].view.baseOffset,
    });
    expect((await stat(segment.paths.log)).size).toBe(appended[7].position);
    expect(a.nextOffset).toBe(appended[7].view.baseOffset);
    expect(offsetIndexEntries(a)).toEqual(expectedIndexEntries(appended.slice(0, 7), 150));
    await a.close();

    // Torn tail: the file ends 20 bytes into batch 10.
    await writeFile(segment.paths.log, original);
    await truncate(segment.paths.log, appended[10].position + 20);
    const { segment: b } = await LogSegment.open(dir, 0n, opts, NOW);
    const rb = await b.recover(1 << 20);
    expect(rb).toMatchObject({ batches: 10, truncatedBytes: 20 });
    expect(b.nextOffset).toBe(appended[10].view.baseOffset);
    expect(readBatches(await b.read(0, b.size)).length).toBe(10);
    await b.close();

    // A tail shorter than a batch header.
    await writeFile(segment.paths.log, Buffer.concat([original, Buffer.alloc(5, 1)]));
    const { segment: c } = await LogSegment.open(dir, 0n, opts, NOW);
    expect(await c.recover(1 << 20)).toMatchObject({ batches: 20, truncatedBytes: 5 });
    await c.close();
  });

  test('recover rejects a batch whose offsets go backwards', async () => {
    const segment = await LogSegment.create(dir, 0n, options(), NOW);
    await fill(segment, 3, 2);
    // Write a valid batch at offset 2 after offset 5 (bypassing the log's checks).
    const stale = await makeBatch(2n, [1n, 2n]);
    await segment.write(segment.size, [stale.bytes]);
    await segment.close();
    const { segment: reopened } = await LogSegment.open(dir, 0n, options(), NOW);
    const result = await reopened.recover(1 << 20);
    expect(result.batches).toBe(3);
    expect(result.truncatedBytes).toBe(stale.sizeInBytes);
    await reopened.close();
  });
});

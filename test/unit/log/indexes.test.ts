import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { IndexCorruptError, OffsetIndex, TimeIndex } from '../../../src/log/indexes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'indexes-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BASE = 1000n;

function offsetIndexBytes(entries: [number, number][]): Buffer {
  const buf = Buffer.alloc(entries.length * 8);
  entries.forEach(([rel, pos], i) => {
    buf.writeInt32BE(rel, i * 8);
    buf.writeInt32BE(pos, i * 8 + 4);
  });
  return buf;
}

function timeIndexBytes(entries: [bigint, number][]): Buffer {
  const buf = Buffer.alloc(entries.length * 12);
  entries.forEach(([ts, rel], i) => {
    buf.writeBigInt64BE(ts, i * 12);
    buf.writeInt32BE(rel, i * 12 + 8);
  });
  return buf;
}

describe('OffsetIndex', () => {
  function filled(): OffsetIndex {
    const index = new OffsetIndex(join(dir, 'a.index'), BASE, 1024);
    // Entries (offset → position): 1005→100, 1010→200, 1020→400
    index.append(1005n, 100);
    index.append(1010n, 200);
    index.append(1020n, 400);
    return index;
  }

  test('lookup returns the greatest entry at or below the offset, else the segment start', () => {
    const index = filled();
    expect(index.lookup(BASE)).toEqual({ offset: BASE, position: 0 });
    expect(index.lookup(999n)).toEqual({ offset: BASE, position: 0 });
    expect(index.lookup(1004n)).toEqual({ offset: BASE, position: 0 });
    expect(index.lookup(1005n)).toEqual({ offset: 1005n, position: 100 });
    expect(index.lookup(1009n)).toEqual({ offset: 1005n, position: 100 });
    expect(index.lookup(1010n)).toEqual({ offset: 1010n, position: 200 });
    expect(index.lookup(1019n)).toEqual({ offset: 1010n, position: 200 });
    expect(index.lookup(1020n)).toEqual({ offset: 1020n, position: 400 });
    expect(index.lookup(1n << 40n)).toEqual({ offset: 1020n, position: 400 });
    expect(index.lastOffset).toBe(1020n);
    expect(index.entryCount).toBe(3);
    expect(index.sizeInBytes).toBe(24);
  });

  test('an empty index maps everything to the segment start', () => {
    const index = new OffsetIndex(join(dir, 'e.index'), BASE, 1024);
    expect(index.lookup(5000n)).toEqual({ offset: BASE, position: 0 });
    expect(index.lastOffset).toBe(BASE);
  });

  test('lookupPosition finds the greatest entry at or below a file position', () => {
    const index = filled();
    expect(index.lookupPosition(0)).toEqual({ offset: BASE, position: 0 });
    expect(index.lookupPosition(99)).toEqual({ offset: BASE, position: 0 });
    expect(index.lookupPosition(100)).toEqual({ offset: 1005n, position: 100 });
    expect(index.lookupPosition(399)).toEqual({ offset: 1010n, position: 200 });
    expect(index.lookupPosition(10_000)).toEqual({ offset: 1020n, position: 400 });
  });

  test('appending an offset that is not larger than the last entry throws', () => {
    const index = filled();
    expect(() => index.append(1020n, 500)).toThrow(RangeError);
    expect(() => index.append(1019n, 500)).toThrow(RangeError);
    expect(index.entryCount).toBe(3);
  });

  test('offsets outside [base, base + Int32.MAX] cannot be indexed', () => {
    const index = new OffsetIndex(join(dir, 'r.index'), BASE, 1024);
    expect(() => index.append(BASE - 1n, 0)).toThrow(RangeError);
    expect(() => index.append(BASE + 0x80000000n, 0)).toThrow(RangeError);
    index.append(BASE + 0x7fffffffn, 10);
    expect(index.lookup(BASE + 0x7fffffffn).position).toBe(10);
  });

  test('is full at floor(maxIndexBytes / 8) entries and refuses more', () => {
    const index = new OffsetIndex(join(dir, 'f.index'), BASE, 8 * 3 + 7);
    expect(index.maxEntries).toBe(3);
    for (let i = 1; i <= 3; i++) {
      expect(index.isFull).toBe(false);
      index.append(BASE + BigInt(i), i * 10);
    }
    expect(index.isFull).toBe(true);
    expect(() => index.append(BASE + 10n, 100)).toThrow(RangeError);
  });

  test('truncateTo drops entries at or above the offset', () => {
    const exact = filled();
    exact.truncateTo(1010n);
    expect(exact.entryCount).toBe(1);
    expect(exact.lastOffset).toBe(1005n);

    const between = filled();
    between.truncateTo(1015n);
    expect(between.entryCount).toBe(2);
    expect(between.lastOffset).toBe(1010n);

    const beyond = filled();
    beyond.truncateTo(5000n);
    expect(beyond.entryCount).toBe(3);

    const all = filled();
    all.truncateTo(BASE);
    expect(all.entryCount).toBe(0);
    const below = filled();
    below.truncateTo(0n);
    expect(below.entryCount).toBe(0);
  });

  test('flush writes 8-byte big-endian entries and load reads them back', async () => {
    const index = filled();
    await index.flush(false);
    const bytes = await readFile(index.path);
    expect(bytes).toEqual(
      offsetIndexBytes([
        [5, 100],
        [10, 200],
        [20, 400],
      ]),
    );

    // Appends after a flush are appended to the file.
    index.append(1030n, 600);
    await index.flush(true);
    expect(await readFile(index.path)).toEqual(
      offsetIndexBytes([
        [5, 100],
        [10, 200],
        [20, 400],
        [30, 600],
      ]),
    );

    const loaded = await OffsetIndex.load(index.path, BASE, 1024);
    expect(loaded.entryCount).toBe(4);
    expect(loaded.lookup(1029n)).toEqual({ offset: 1020n, position: 400 });
    expect(loaded.entry(3)).toEqual({ offset: 1030n, position: 600 });
  });

  test('flush after a truncation rewrites the whole file', async () => {
    const index = filled();
    await index.flush(false);
    index.truncateTo(1010n);
    index.append(1012n, 250);
    await index.flush(false);
    expect(await readFile(index.path)).toEqual(
      offsetIndexBytes([
        [5, 100],
        [12, 250],
      ]),
    );
    index.reset();
    await index.flush(false);
    expect((await readFile(index.path)).length).toBe(0);
  });

  test('a missing file loads as an empty index', async () => {
    const index = await OffsetIndex.load(join(dir, 'missing.index'), BASE, 1024);
    expect(index.entryCount).toBe(0);
  });

  test('a file whose size is not a multiple of 8 is corrupt', async () => {
    const path = join(dir, 'c.index');
    await writeFile(path, Buffer.concat([offsetIndexBytes([[1, 10]]), Buffer.alloc(3)]));
    await expect(OffsetIndex.load(path, BASE, 1024)).rejects.toBeInstanceOf(IndexCorruptError);
  });

  test('entries out of order are corrupt', async () => {
    const path = join(dir, 'o.index');
    await writeFile(
      path,
      offsetIndexBytes([
        [5, 100],
        [3, 200],
      ]),
    );
    await expect(OffsetIndex.load(path, BASE, 1024)).rejects.toBeInstanceOf(IndexCorruptError);
    await writeFile(
      path,
      offsetIndexBytes([
        [5, 100],
        [5, 200],
      ]),
    );
    await expect(OffsetIndex.load(path, BASE, 1024)).rejects.toBeInstanceOf(IndexCorruptError);
    await writeFile(path, offsetIndexBytes([[5, -1]]));
    await expect(OffsetIndex.load(path, BASE, 1024)).rejects.toBeInstanceOf(IndexCorruptError);
  });

  test('a file with more entries than the index may hold is corrupt', async () => {
    const path = join(dir, 'big.index');
    await writeFile(
      path,
      offsetIndexBytes([
        [1, 10],
        [2, 20],
        [3, 30],
      ]),
    );
    await expect(OffsetIndex.load(path, BASE, 16)).rejects.toBeInstanceOf(IndexCorruptError);
  });

  test('lookup agrees with a linear search (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 100_000 }), { maxLength: 60 }),
        fc.array(fc.integer({ min: -10, max: 100_010 }), { minLength: 1, maxLength: 20 }),
        (rels, targets) => {
          const sorted = [...rels].sort((a, b) => a - b);
          const index = new OffsetIndex(join(dir, 'p.index'), BASE, 8 * 64);
          sorted.forEach((rel, i) => index.append(BASE + BigInt(rel), i * 7));
          for (const t of targets) {
            let expected = { offset: BASE, position: 0 };
            sorted.forEach((rel, i) => {
              if (rel <= t) expected = { offset: BASE + BigInt(rel), position: i * 7 };
            });
            expect(index.lookup(BASE + BigInt(t))).toEqual(expected);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('TimeIndex', () => {
  function filled(): TimeIndex {
    const index = new TimeIndex(join(dir, 'a.timeindex'), BASE, 1200);
    index.maybeAppend(100n, 1004n);
    index.maybeAppend(200n, 1009n);
    index.maybeAppend(300n, 1019n);
    return index;
  }

  test('only timestamps larger than the last entry are appended', () => {
    const index = filled();
    index.maybeAppend(300n, 1025n);
    index.maybeAppend(250n, 1030n);
    expect(index.entryCount).toBe(3);
    index.maybeAppend(301n, 1030n);
    expect(index.entryCount).toBe(4);
    expect(index.lastEntry).toEqual({ timestamp: 301n, offset: 1030n });
  });

  test('an empty index ignores NO_TIMESTAMP (-1), as Kafka (its last entry is (-1, base))', () => {
    const index = new TimeIndex(join(dir, 'n.timeindex'), BASE, 1200);
    index.maybeAppend(-1n, BASE);
    expect(index.entryCount).toBe(0);
    index.maybeAppend(0n, BASE);
    expect(index.entryCount).toBe(1);
  });

  test('lookup returns the greatest entry with timestamp <= target, else (-1, base)', () => {
    const index = filled();
    expect(index.lookup(99n)).toEqual({ timestamp: -1n, offset: BASE });
    expect(index.lookup(100n)).toEqual({ timestamp: 100n, offset: 1004n });
    expect(index.lookup(199n)).toEqual({ timestamp: 100n, offset: 1004n });
    expect(index.lookup(200n)).toEqual({ timestamp: 200n, offset: 1009n });
    expect(index.lookup(10_000n)).toEqual({ timestamp: 300n, offset: 1019n });
  });

  test('truncateTo drops entries whose offset is at or above the offset', () => {
    const exact = filled();
    exact.truncateTo(1009n);
    expect(exact.lastEntry).toEqual({ timestamp: 100n, offset: 1004n });
    const between = filled();
    between.truncateTo(1010n);
    expect(between.lastEntry).toEqual({ timestamp: 200n, offset: 1009n });
    const all = filled();
    all.truncateTo(1004n);
    expect(all.entryCount).toBe(0);
    expect(all.lastEntry).toBeNull();
  });

  test('is full at its capacity and never grows past it', () => {
    const index = new TimeIndex(join(dir, 'f.timeindex'), BASE, 12 * 3 + 11);
    expect(index.maxEntries).toBe(3);
    for (let i = 1; i <= 5; i++) index.maybeAppend(BigInt(i * 10), BASE + BigInt(i));
    expect(index.isFull).toBe(true);
    expect(index.entryCount).toBeLessThanOrEqual(3);
  });

  test('flush writes 12-byte entries (int64 timestamp, int32 relative offset)', async () => {
    const index = filled();
    await index.flush(true);
    expect(await readFile(index.path)).toEqual(
      timeIndexBytes([
        [100n, 4],
        [200n, 9],
        [300n, 19],
      ]),
    );
    const loaded = await TimeIndex.load(index.path, BASE, 1200);
    expect(loaded.entryCount).toBe(3);
    expect(loaded.lookup(250n)).toEqual({ timestamp: 200n, offset: 1009n });
  });

  test('corrupt files are detected', async () => {
    const path = join(dir, 'c.timeindex');
    await writeFile(path, Buffer.alloc(13));
    await expect(TimeIndex.load(path, BASE, 1200)).rejects.toBeInstanceOf(IndexCorruptError);
    await writeFile(
      path,
      timeIndexBytes([
        [200n, 5],
        [100n, 6],
      ]),
    );
    await expect(TimeIndex.load(path, BASE, 1200)).rejects.toBeInstanceOf(IndexCorruptError);
    await writeFile(
      path,
      timeIndexBytes([
        [100n, 6],
        [200n, 5],
      ]),
    );
    await expect(TimeIndex.load(path, BASE, 1200)).rejects.toBeInstanceOf(IndexCorruptError);
  });
});

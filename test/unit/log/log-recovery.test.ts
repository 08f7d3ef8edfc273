/**
 * Deterministic recovery cases: corrupt bytes and torn writes in segment files. A log of
 * 80 batches over several segments is written once; each case copies it, damages the
 * copy, reopens it after an "unclean shutdown" and checks that recovery keeps exactly the
 * batches before the first damaged one, cuts the file there, drops later segments, and
 * leaves a log that takes appends and reopens cleanly.
 */
import {
  appendFile,
  cp,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Log } from '../../../src/log/log.js';
import type { LogConfig } from '../../../src/log/log-config.js';
import {
  buildUncompressedRecordBatch,
  readBatches,
  scanBatches,
} from '../../../src/protocol/records/index.js';

const config: LogConfig = {
  segmentBytes: 16 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 512,
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
  maxMessageBytes: 1024 * 1024,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  fileDeleteDelayMs: 0,
};

const BATCHES = 80;

/** mulberry32 */
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

function epochOf(i: number): number {
  return i < 30 ? 0 : i < 55 ? 2 : 5;
}

function makeBatch(i: number): Buffer {
  const next = random(1000 + i);
  const count = 1 + Math.floor(next() * 5);
  return buildUncompressedRecordBatch({
    records: Array.from({ length: count }, (_, r) => ({
      key: Buffer.from(`k${i}.${r}`),
      value: Buffer.alloc(20 + Math.floor(next() * 900), (i * 7 + r) & 0xff),
      timestamp: 1_000_000n + BigInt(i * 10 + r),
    })),
  });
}

/** Where each batch of the pristine log lies. */
interface Placed {
  file: string;
  /** Base offset of the segment holding it. */
  segment: bigint;
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  bytes: Buffer;
  epoch: number;
}

let root: string;
let pristine: string;
let layout: Placed[];
let segmentFiles: string[];
let logEnd: bigint;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'log-recovery-'));
  pristine = join(root, 'pristine');
  await mkdir(pristine);
  const log = await Log.open({ dir: pristine, config });
  for (let i = 0; i < BATCHES; i++) await log.appendAsLeader(makeBatch(i), epochOf(i));
  logEnd = log.logEndOffset;
  await log.close();
  segmentFiles = (await readdir(pristine)).filter((n) => n.endsWith('.log')).sort();
  layout = [];
  for (const file of segmentFiles) {
    const data = await readFile(join(pristine, file));
    const segment = BigInt(file.slice(0, -4));
    for (const b of readBatches(data)) {
      layout.push({
        file,
        segment,
        position: b.position,
        size: b.sizeInBytes,
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        bytes: Buffer.from(b.bytes),
        epoch: b.partitionLeaderEpoch,
      });
    }
  }
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

let trialCount = 0;
async function copyOfLog(): Promise<string> {
  const dir = join(root, `trial-${trialCount++}`);
  await cp(pristine, dir, { recursive: true });
  return dir;
}

async function xorByte(path: string, position: number, mask: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await handle.read(b, 0, 1, position);
    b[0] ^= mask;
    await handle.write(b, 0, 1, position);
  } finally {
    await handle.close();
  }
}

/**
 * Opens `dir` after an unclean shutdown and checks the log was cut right before batch
 * `firstLost` (or kept whole when it is BATCHES); then appends, reopens, and checks again.
 */
async function expectRecoveredBefore(
  dir: string,
  firstLost: number,
  recoveryPoint: bigint,
): Promise<void> {
  const cut = firstLost < layout.length ? layout[firstLost] : null;
  const end = cut ? cut.baseOffset : logEnd;
  const log = await Log.open({ dir, config, hadCleanShutdown: false, recoveryPoint });
  try {
    expect(log.logEndOffset).toBe(end);
    expect(log.recoveryPoint <= end).toBe(true);
    // The files: later segments are gone; the damaged one ends at the cut.
    const files = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
    if (cut) {
      const kept = segmentFiles.filter((f) => BigInt(f.slice(0, -4)) <= cut.segment);
      expect(files).toEqual(kept);
      expect((await stat(join(dir, cut.file))).size).toBe(cut.position);
    } else {
      expect(files).toEqual(segmentFiles);
    }
    await expectBatches(log, firstLost);
    expect(log.leaderEpochCache.all.map((e) => ({ ...e }))).toEqual(epochEntries(firstLost));
    // Appendable, and a clean reopen sees the same log plus the new batch.
    const added = await log.appendAsLeader(makeBatch(1000), 9);
    expect(added.firstOffset).toBe(end);
  } finally {
    await log.close();
  }
  const reopened = await Log.open({ dir, config, hadCleanShutdown: true });
  try {
    await expectBatches(reopened, firstLost);
    const tail = readBatches((await reopened.read(end, 1 << 20)).records);
    expect(tail.length).toBe(1);
    expect(tail[0].baseOffset).toBe(end);
    expect(tail[0].partitionLeaderEpoch).toBe(9);
    expect(tail[0].isValid()).toBe(true);
  } finally {
    await reopened.close();
  }
  await rm(dir, { recursive: true, force: true });
}

/** The first `count` batches of the pristine log, read back by offset, byte for byte. */
async function expectBatches(log: Log, count: number): Promise<void> {
  let offset = 0n;
  let i = 0;
  while (i < count) {
    const { records } = await log.read(offset, 8192);
    const { batches } = scanBatches(records);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) {
      if (i >= count) break;
      expect(b.isValid()).toBe(true);
      expect(b.bytes.equals(layout[i].bytes)).toBe(true);
      offset = b.nextOffset;
      i++;
    }
  }
  // Random offsets through the (rebuilt) index.
  const next = random(count);
  for (let k = 0; k < 10 && count > 0; k++) {
    const j = Math.floor(next() * count);
    const target =
      layout[j].baseOffset +
      BigInt(Math.floor(next() * Number(layout[j].lastOffset - layout[j].baseOffset + 1n)));
    const [first] = readBatches((await log.read(target, 1)).records);
    expect(first.baseOffset).toBe(layout[j].baseOffset);
  }
}

function epochEntries(count: number): { epoch: number; startOffset: bigint }[] {
  const out: { epoch: number; startOffset: bigint }[] = [];
  for (let i = 0; i < count; i++) {
    const last = out[out.length - 1];
    if (!last || layout[i].epoch > last.epoch)
      out.push({ epoch: layout[i].epoch, startOffset: layout[i].baseOffset });
  }
  return out;
}

describe('recovery of damaged segments', () => {
  test('the pristine log spans several segments', () => {
    expect(segmentFiles.length).toBeGreaterThanOrEqual(4);
    expect(layout.length).toBe(BATCHES);
  });

  test('a flipped byte in the CRC-covered bytes or the framing truncates at that batch', async () => {
    const next = random(0xf11b);
    for (let trial = 0; trial < 24; trial++) {
      const victim = Math.floor(next() * BATCHES);
      const batch = layout[victim];
      // batchLength (8-11) frames the batch; magic onward (16-) is covered by the CRC or is
      // the CRC. baseOffset and partitionLeaderEpoch are outside the CRC, as in Kafka.
      const inBatch =
        next() < 0.15 ? 8 + Math.floor(next() * 4) : 16 + Math.floor(next() * (batch.size - 16));
      const mask = 1 + Math.floor(next() * 255);
      // Any recovery point at or before the damaged batch must lead to its detection.
      const recoveryPoint = BigInt(Math.floor(next() * (Number(batch.baseOffset) + 1)));
      const dir = await copyOfLog();
      await xorByte(join(dir, batch.file), batch.position + inBatch, mask);
      try {
        await expectRecoveredBefore(dir, victim, recoveryPoint);
      } catch (err) {
        (err as Error).message =
          `trial ${trial}: batch ${victim} byte ${inBatch} ^ ${mask}, recovery point ${recoveryPoint}: ` +
          (err as Error).message;
        throw err;
      }
    }
  });

  test('a torn write (file cut mid-batch) is truncated to the last whole batch', async () => {
    const lastSegment = segmentFiles[segmentFiles.length - 1];
    const inLast = layout.map((b, i) => [b, i] as const).filter(([b]) => b.file === lastSegment);
    const [lastBatch, lastIndex] = inLast[inLast.length - 1];
    const [firstBatch, firstIndex] = inLast[0];
    const cases: [number, number][] = [1, 11, 12, 17, 40, 60, 61, 62]
      .map((at): [number, number] => [lastIndex, at])
      .concat([
        [lastIndex, Math.floor(lastBatch.size / 2)],
        [lastIndex, lastBatch.size - 1],
        // Cut inside the first batch of the last segment: it ends up empty.
        [firstIndex, Math.floor(firstBatch.size / 2)],
      ]);
    for (const [index, keep] of cases) {
      const batch = layout[index];
      const dir = await copyOfLog();
      await truncate(join(dir, batch.file), batch.position + keep);
      try {
        await expectRecoveredBefore(dir, index, batch.segment);
      } catch (err) {
        (err as Error).message =
          `batch ${index} cut after ${keep} bytes: ${(err as Error).message}`;
        throw err;
      }
    }
  });

  test('a cut on a batch boundary loses nothing before it', async () => {
    const batch = layout[BATCHES - 1];
    const dir = await copyOfLog();
    await truncate(join(dir, batch.file), batch.position);
    await expectRecoveredBefore(dir, BATCHES - 1, 0n);
  });

  test('a torn segment before the last one drops every later segment', async () => {
    const file = segmentFiles[1];
    const inSecond = layout.map((b, i) => [b, i] as const).filter(([b]) => b.file === file);
    const [batch, index] = inSecond[Math.floor(inSecond.length / 2)];
    const dir = await copyOfLog();
    await truncate(join(dir, file), batch.position + Math.floor(batch.size / 3));
    await expectRecoveredBefore(dir, index, 0n);
  });

  test('a zero-filled tail (preallocated or unwritten pages) is dropped', async () => {
    const dir = await copyOfLog();
    await appendFile(join(dir, segmentFiles[segmentFiles.length - 1]), Buffer.alloc(4096));
    await expectRecoveredBefore(dir, BATCHES, logEnd);
  });

  test('stale bytes after the recovery point are dropped even when they frame as an older batch', async () => {
    // The tail of the active segment past the recovery point was never flushed: after a
    // power loss it can hold anything, e.g. an old batch with valid CRC but lower offsets.
    const dir = await copyOfLog();
    await appendFile(join(dir, segmentFiles[segmentFiles.length - 1]), layout[3].bytes);
    await expectRecoveredBefore(dir, BATCHES, logEnd);
  });

  test.each([
    ['after a clean shutdown', true],
    ['below the recovery point', false],
  ])(
    'a broken index is rebuilt %s, keeping the epochs of later segments',
    async (_name, hadCleanShutdown) => {
      // Segment 1 holds only epoch 0; the epochs starting in later segments must survive
      // the rebuild of its index.
      expect(layout.filter((b) => b.file === segmentFiles[1]).every((b) => b.epoch === 0)).toBe(
        true,
      );
      const dir = await copyOfLog();
      const index = join(dir, segmentFiles[1].replace(/\.log$/, '.index'));
      const size = (await stat(index)).size;
      expect(size).toBeGreaterThan(8);
      await truncate(index, size - 3);
      const log = await Log.open({ dir, config, hadCleanShutdown, recoveryPoint: logEnd });
      try {
        expect(log.logEndOffset).toBe(logEnd);
        await expectBatches(log, BATCHES);
        expect(log.leaderEpochCache.all.map((e) => ({ ...e }))).toEqual(epochEntries(BATCHES));
      } finally {
        await log.close();
      }
      await rm(dir, { recursive: true, force: true });
    },
  );
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CheckpointFormatError } from '../../../src/log/checkpoint-file.js';
import { LEADER_EPOCH_CHECKPOINT, LeaderEpochCache } from '../../../src/log/leader-epoch-cache.js';
import { Log } from '../../../src/log/log.js';
import { buildRecordBatch } from '../../../src/protocol/records/index.js';
import { testLogConfig } from '../../harness/log-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epoch-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const checkpointPath = () => join(dir, LEADER_EPOCH_CHECKPOINT);

/** Entries (2,6), (3,8), (4,11), as in Kafka's cache tests. */
async function cacheWith(entries: [number, bigint][]): Promise<LeaderEpochCache> {
  const cache = await LeaderEpochCache.load(dir);
  for (const [epoch, offset] of entries) cache.assign(epoch, offset);
  return cache;
}

const simple = (cache: LeaderEpochCache) => cache.all.map((e) => [e.epoch, e.startOffset]);

describe('assign', () => {
  test('records the first offset of each new epoch', async () => {
    const cache = await cacheWith([
      [2, 6n],
      [3, 8n],
      [4, 11n],
    ]);
    expect(simple(cache)).toEqual([
      [2, 6n],
      [3, 8n],
      [4, 11n],
    ]);
    expect(cache.latest).toEqual({ epoch: 4, startOffset: 11n });
  });

  test('a repeated epoch keeps its first offset', async () => {
    const cache = await cacheWith([
      [2, 6n],
      [2, 7n],
      [2, 10n],
    ]);
    expect(simple(cache)).toEqual([[2, 6n]]);
  });

  test('unknown (-1), older epochs and offsets going backwards are ignored', async () => {
    const cache = await cacheWith([
      [-1, 0n],
      [3, 8n],
      [2, 9n],
      [4, 5n],
    ]);
    expect(simple(cache)).toEqual([[3, 8n]]);
  });
});

describe('endOffsetFor (OffsetForLeaderEpoch), as LeaderEpochFileCache', () => {
  const LEO = 20n;

  test('an empty cache answers (-1, -1)', async () => {
    const cache = await cacheWith([]);
    expect(cache.endOffsetFor(0, LEO)).toEqual({ epoch: -1, endOffset: -1n });
  });

  test('the latest epoch ends at the log end offset', async () => {
    const cache = await cacheWith([
      [2, 6n],
      [3, 8n],
      [4, 11n],
    ]);
    expect(cache.endOffsetFor(4, LEO)).toEqual({ epoch: 4, endOffset: LEO });
  });

  test('an earlier epoch ends where the next larger epoch starts', async () => {
    const cache = await cacheWith([
      [2, 6n],
      [3, 8n],
      [4, 11n],
    ]);
    expect(cache.endOffsetFor(2, LEO)).toEqual({ epoch: 2, endOffset: 8n });
    expect(cache.endOffsetFor(3, LEO)).toEqual({ epoch: 3, endOffset: 11n });
  });

  test('an unknown epoch between known ones answers with the largest smaller epoch', async () => {
    const cache = await cacheWith([
      [2, 6n],
      [5, 8n],
      [7, 11n],
    ]);
    expect(cache.endOffsetFor(3, LEO)).toEqual({ epoch: 2, endOffset: 8n });
    expect(cache.endOffsetFor(6, LEO)).toEqual({ epoch: 5, endOffset: 11n });
  });

  test('an epoch below every known one answers (requested epoch, first start offset)', async () => {
    const cache = await cacheWith([
      [2, 6n],
      [3, 8n],
    ]);
    expect(cache.endOffsetFor(1, LEO)).toEqual({ epoch: 1, endOffset: 6n });
    expect(cache.endOffsetFor(0, LEO)).toEqual({ epoch: 0, endOffset: 6n });
  });

  test('an epoch above the latest, or the undefined epoch, answers (-1, -1)', async () => {
    const cache = await cacheWith([
      [2, 6n],
      [3, 8n],
    ]);
    expect(cache.endOffsetFor(4, LEO)).toEqual({ epoch: -1, endOffset: -1n });
    expect(cache.endOffsetFor(-1, LEO)).toEqual({ epoch: -1, endOffset: -1n });
  });
});

describe('truncation', () => {
  const entries: [number, bigint][] = [
    [2, 6n],
    [3, 8n],
    [4, 11n],
  ];

  test('truncateFromEnd drops epochs starting at or after the offset', async () => {
    const a = await cacheWith(entries);
    a.truncateFromEnd(11n);
    expect(simple(a)).toEqual([
      [2, 6n],
      [3, 8n],
    ]);
    const b = await cacheWith(entries);
    b.truncateFromEnd(9n);
    expect(simple(b)).toEqual([
      [2, 6n],
      [3, 8n],
    ]);
    const c = await cacheWith(entries);
    c.truncateFromEnd(12n);
    expect(simple(c)).toEqual(entries);
    const d = await cacheWith(entries);
    d.truncateFromEnd(6n);
    expect(simple(d)).toEqual([]);
  });

  test('truncateFromStart keeps the epoch covering the new start, moved up to it', async () => {
    const a = await cacheWith(entries);
    a.truncateFromStart(8n);
    expect(simple(a)).toEqual([
      [3, 8n],
      [4, 11n],
    ]);
    const b = await cacheWith(entries);
    b.truncateFromStart(9n);
    expect(simple(b)).toEqual([
      [3, 9n],
      [4, 11n],
    ]);
    const c = await cacheWith(entries);
    c.truncateFromStart(5n);
    expect(simple(c)).toEqual(entries);
    const d = await cacheWith(entries);
    d.truncateFromStart(100n);
    expect(simple(d)).toEqual([[4, 100n]]);
  });
});

describe('checkpoint file', () => {
  test('is written as "0\\n<count>\\n<epoch> <offset>\\n..." and loads back', async () => {
    const cache = await cacheWith([
      [2, 6n],
      [3, 8n],
      [4, 11n],
    ]);
    await cache.flush();
    expect(await readFile(checkpointPath(), 'utf8')).toBe('0\n3\n2 6\n3 8\n4 11\n');
    const loaded = await LeaderEpochCache.load(dir);
    expect(simple(loaded)).toEqual(simple(cache));

    cache.truncateFromEnd(0n);
    await cache.flush();
    expect(await readFile(checkpointPath(), 'utf8')).toBe('0\n0\n');
  });

  test('a missing file is an empty cache; a malformed one is rejected', async () => {
    expect((await LeaderEpochCache.load(dir)).all).toEqual([]);
    await writeFile(checkpointPath(), '0\n2\n1 0\n');
    await expect(LeaderEpochCache.load(dir)).rejects.toBeInstanceOf(CheckpointFormatError);
    await writeFile(checkpointPath(), '1\n0\n');
    await expect(LeaderEpochCache.load(dir)).rejects.toBeInstanceOf(CheckpointFormatError);
  });
});

describe('in a Log', () => {
  const config = testLogConfig({ segmentBytes: 600 });
  const batch = (n: number, epoch = -1, baseOffset = 0n) =>
    buildRecordBatch({
      baseOffset,
      partitionLeaderEpoch: epoch,
      records: Array.from({ length: n }, (_, i) => ({
        value: Buffer.alloc(40, i),
        timestamp: 1_000n + BigInt(i),
      })),
    });

  test('leader appends assign epochs; truncation, DeleteRecords and recovery maintain them', async () => {
    const log = await Log.open({ dir, config });
    await log.appendAsLeader(await batch(3), 1); // 0..2
    await log.appendAsLeader(await batch(2), 1); // 3..4
    await log.appendAsLeader(await batch(2), 3); // 5..6
    await log.appendAsLeader(await batch(4), 4); // 7..10
    await log.appendAsLeader(await batch(1), 4); // 11
    expect(simple(log.leaderEpochCache)).toEqual([
      [1, 0n],
      [3, 5n],
      [4, 7n],
    ]);
    expect(await readFile(checkpointPath(), 'utf8')).toBe('0\n3\n1 0\n3 5\n4 7\n');
    expect(log.leaderEpochCache.endOffsetFor(3, log.logEndOffset)).toEqual({
      epoch: 3,
      endOffset: 7n,
    });
    expect(log.leaderEpochCache.endOffsetFor(4, log.logEndOffset)).toEqual({
      epoch: 4,
      endOffset: 12n,
    });

    await log.truncateTo(7n);
    expect(simple(log.leaderEpochCache)).toEqual([
      [1, 0n],
      [3, 5n],
    ]);
    expect(await readFile(checkpointPath(), 'utf8')).toBe('0\n2\n1 0\n3 5\n');

    await log.appendAsLeader(await batch(2), 6); // 7..8
    await log.deleteRecordsBefore(6n);
    expect(simple(log.leaderEpochCache)).toEqual([
      [3, 6n],
      [6, 7n],
    ]);
    await log.close();

    // Clean reopen reads the checkpoint.
    const reopened = await Log.open({ dir, config, hadCleanShutdown: true, logStartOffset: 6n });
    expect(simple(reopened.leaderEpochCache)).toEqual([
      [3, 6n],
      [6, 7n],
    ]);
    await reopened.close();

    // Recovery rebuilds epochs from the batches when the checkpoint is gone.
    await rm(checkpointPath());
    const recovered = await Log.open({ dir, config, hadCleanShutdown: false, recoveryPoint: 0n });
    expect(recovered.leaderEpochCache.latest).toEqual({ epoch: 6, startOffset: 7n });
    expect(simple(recovered.leaderEpochCache).slice(-2)).toEqual([
      [3, 5n],
      [6, 7n],
    ]);
    await recovered.close();
  });

  test('follower appends keep the epochs the leader stamped', async () => {
    const log = await Log.open({ dir, config });
    await log.appendAsFollower(await batch(2, 0, 0n));
    await log.appendAsFollower(await batch(2, 2, 2n));
    await log.appendAsFollower(await batch(2, 2, 4n));
    await log.appendAsFollower(await batch(2, 5, 6n));
    expect(simple(log.leaderEpochCache)).toEqual([
      [0, 0n],
      [2, 2n],
      [5, 6n],
    ]);
    await log.truncateFullyAndStartAt(100n);
    expect(log.leaderEpochCache.all).toEqual([]);
    expect(await readFile(checkpointPath(), 'utf8')).toBe('0\n0\n');
    await log.close();
  });
});

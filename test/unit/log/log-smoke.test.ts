import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { Log } from '../../../src/log/log.js';
import { buildRecordBatch, readBatches } from '../../../src/protocol/records/index.js';
import { testLogConfig } from '../../harness/log-config.js';

const config = testLogConfig();
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('append, read, roll, reopen', async () => {
  const log = await Log.open({ dir, config });
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      buildRecordBatch({
        records: [
          { key: Buffer.from(`k${i}`), value: Buffer.alloc(100, i), timestamp: 1000n + BigInt(i) },
          { value: Buffer.from('x'), timestamp: 1000n + BigInt(i) },
        ],
      }).then((b) => log.appendAsLeader(b, 3)),
    ),
  );
  expect(results.map((r) => r.firstOffset)).toEqual(
    Array.from({ length: 50 }, (_, i) => BigInt(i * 2)),
  );
  expect(log.logEndOffset).toBe(100n);
  expect(log.segments.length).toBeGreaterThan(1);
  const read = await log.read(37n, 10000);
  const batches = readBatches(read.records.subarray(0, read.records.length));
  expect(batches[0].baseOffset).toBe(36n);
  expect((await log.offsetForTimestamp(1020n))?.offset).toBe(40n);
  await log.close();
  const reopened = await Log.open({ dir, config, hadCleanShutdown: true });
  expect(reopened.logEndOffset).toBe(100n);
  expect(reopened.segments.length).toBe(log.segments.length);
  const again = await reopened.read(99n, 10);
  expect(readBatches(again.records)[0].lastOffset).toBe(99n);
  await reopened.close();
  const recovered = await Log.open({ dir, config, hadCleanShutdown: false, recoveryPoint: 0n });
  expect(recovered.logEndOffset).toBe(100n);
  await recovered.truncateTo(51n);
  expect(recovered.logEndOffset).toBe(50n);
  expect(recovered.leaderEpochCache.all).toEqual([{ epoch: 3, startOffset: 0n }]);
  await recovered.close();
  console.log(await readdir(dir));
});

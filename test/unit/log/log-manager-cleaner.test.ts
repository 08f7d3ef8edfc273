import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { LogManager } from '../../../src/log/log-manager.js';
import { formatLogDir } from '../../../src/log/meta-properties.js';
import { buildRecordBatch, readBatches } from '../../../src/protocol/records/index.js';
import { testLogConfig } from '../../harness/log-config.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'manager-cleaner-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

test('the manager compacts compacted topics and keeps the cleaner checkpoint across restarts', async () => {
  const logDir = join(root, 'data');
  await formatLogDir(logDir, { clusterId: 'AAAAAAAAAAAAAAAAAAAAAQ', nodeId: 1 });
  const config = testLogConfig({
    cleanupPolicy: ['compact'],
    segmentBytes: 512,
    minCleanableDirtyRatio: 0.1,
  });
  const open = () => LogManager.open({ logDirs: [logDir], configFor: () => config });

  const manager = await open();
  const log = await manager.getOrCreateLog('compacted', 0);
  for (let round = 0; round < 10; round++) {
    for (let key = 0; key < 4; key++) {
      const batch = await buildRecordBatch({
        records: [
          {
            key: Buffer.from(`key-${key}`),
            value: Buffer.from(`value-${round}-${key}`),
            timestamp: 1000n,
          },
        ],
      });
      await log.appendAsLeader(batch, 0);
    }
  }
  expect(log.segments.length).toBeGreaterThan(2);
  const outcome = await manager.cleaner!.cleanOnce();
  expect(outcome?.log).toBe(log);

  const latest = new Map<string, string>();
  let kept = 0;
  // A read returns batches of one segment at a time, as a Kafka fetch does.
  for (let offset = log.logStartOffset; offset < log.logEndOffset;) {
    const { records } = await log.read(offset, 1 << 20);
    expect(records.length, `read at ${offset} returned nothing`).toBeGreaterThan(0);
    for (const batch of readBatches(records)) {
      for (const record of await batch.decodeRecords()) {
        kept++;
        latest.set(record.key!.toString(), record.value!.toString());
      }
      offset = batch.nextOffset;
    }
  }
  // Every key keeps its latest value; older values below the active segment are gone.
  expect(latest.get('key-0')).toBe('value-9-0');
  expect(kept).toBeLessThan(40);
  await manager.shutdown();

  const checkpoint = await readFile(join(logDir, 'cleaner-offset-checkpoint'), 'utf8');
  expect(checkpoint).toMatch(new RegExp(`^0\\n1\\ncompacted 0 ${outcome!.endOffset}\\n$`));
  const reopened = await open();
  expect(await reopened.cleaner!.cleanOnce()).toBeNull();
  await reopened.shutdown();
});

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Log } from '../../../src/log/log.js';
import { checkClientBatch } from '../../../src/producer/producer-append-check.js';
import {
  CorruptSnapshotError,
  decodeSnapshot,
  encodeSnapshot,
  listSnapshotOffsets,
  snapshotPath,
} from '../../../src/producer/producer-snapshot-file.js';
import {
  BatchMetadata,
  decrementSequence,
  ProducerStateEntry,
} from '../../../src/producer/producer-state-entry.js';
import { ProducerStateManager } from '../../../src/producer/producer-state-manager.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { crc32c } from '../../../src/protocol/crc32c.js';
import type { ProducerEntry } from '../../../src/protocol/messages/generated/producer-snapshot.js';
import { buildRecordBatch } from '../../../src/protocol/records/index.js';
import { ManualClock, testLogConfig } from '../../harness/log-config.js';

const INT32_MAX = 2147483647;

function entryWith(
  epoch: number,
  ...ranges: [firstSeq: number, lastSeq: number, lastOffset: bigint][]
) {
  const entry = new ProducerStateEntry(7n);
  for (const [first, last, lastOffset] of ranges) {
    const delta = last >= first ? last - first : INT32_MAX - first + last + 1;
    entry.addBatch(epoch, new BatchMetadata(last, lastOffset, delta, 1000n));
  }
  return entry;
}

const batch = (producerEpoch: number, baseSequence: number, lastSequence: number) => ({
  producerId: 7n,
  producerEpoch,
  baseSequence,
  lastSequence,
});

describe('client batch checks', () => {
  test('duplicates of retained batches, in-sequence batches, gaps', () => {
    const entry = entryWith(0, [0, 4, 4n], [5, 9, 12n]);
    expect(checkClientBatch(entry, batch(0, 0, 4))).toMatchObject({ kind: 'duplicate' });
    const dup = checkClientBatch(entry, batch(0, 5, 9));
    expect(dup.kind === 'duplicate' && [dup.batch.firstOffset, dup.batch.lastOffset]).toEqual([
      8n,
      12n,
    ]);
    expect(checkClientBatch(entry, batch(0, 10, 12))).toEqual({ kind: 'append' });
    expect(checkClientBatch(entry, batch(0, 11, 12))).toMatchObject({
      kind: 'reject',
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    // Same start, other end: not the same batch.
    expect(checkClientBatch(entry, batch(0, 5, 8))).toMatchObject({ kind: 'reject' });
  });

  test('epochs: older fenced, newer must start at 0, unknown producers accept any sequence', () => {
    const entry = entryWith(3, [0, 0, 0n]);
    expect(checkClientBatch(entry, batch(2, 1, 1))).toMatchObject({
      errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
    });
    expect(checkClientBatch(entry, batch(4, 1, 1))).toMatchObject({
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    expect(checkClientBatch(entry, batch(4, 0, 3))).toEqual({ kind: 'append' });
    expect(checkClientBatch(undefined, batch(0, 77, 80))).toEqual({ kind: 'append' });
  });

  test('sequences wrap from int32 max to 0', () => {
    expect(decrementSequence(2, 5)).toBe(INT32_MAX - 2);
    const entry = entryWith(0, [INT32_MAX - 1, INT32_MAX, 1n]);
    expect(checkClientBatch(entry, batch(0, 0, 3))).toEqual({ kind: 'append' });
    const wrapped = entryWith(0, [INT32_MAX - 1, 1, 3n]);
    expect(wrapped.batches[0].firstSeq).toBe(INT32_MAX - 1);
    expect(checkClientBatch(wrapped, batch(0, INT32_MAX - 1, 1))).toMatchObject({
      kind: 'duplicate',
    });
  });

  test('only five batches are retained, and a new epoch forgets them', () => {
    const entry = new ProducerStateEntry(1n);
    for (let i = 0; i < 6; i++) entry.addBatch(0, new BatchMetadata(i, BigInt(i), 0, 0n));
    expect(entry.batches.map((b) => b.lastSeq)).toEqual([1, 2, 3, 4, 5]);
    entry.addBatch(1, new BatchMetadata(0, 6n, 0, 0n));
    expect(entry.batches).toHaveLength(1);
  });
});

describe('snapshot file format', () => {
  const entry: ProducerEntry = {
    producerId: 0x0102030405060708n,
    epoch: 3,
    lastSequence: 41,
    lastOffset: 99n,
    offsetDelta: 4,
    timestamp: 1_700_000_000_123n,
    coordinatorEpoch: -1,
    currentTxnFirstOffset: -1n,
  };

  test("Kafka's layout: version, CRC-32C of the rest, then the entry array", () => {
    const file = encodeSnapshot([entry]);
    expect(file.readInt16BE(0)).toBe(1);
    expect(file.readUInt32BE(2)).toBe(crc32c(file.subarray(6)));
    expect(file.readInt32BE(6)).toBe(1);
    const at = 10;
    expect(file.length).toBe(at + 46);
    expect(file.readBigInt64BE(at)).toBe(entry.producerId);
    expect(file.readInt16BE(at + 8)).toBe(3);
    expect(file.readInt32BE(at + 10)).toBe(41);
    expect(file.readBigInt64BE(at + 14)).toBe(99n);
    expect(file.readInt32BE(at + 22)).toBe(4);
    expect(file.readBigInt64BE(at + 26)).toBe(entry.timestamp);
    expect(file.readInt32BE(at + 34)).toBe(-1);
    expect(file.readBigInt64BE(at + 38)).toBe(-1n);
    expect(decodeSnapshot(file)).toEqual([entry]);
  });

  test('corruption and unknown versions are detected', () => {
    const file = encodeSnapshot([entry]);
    const flipped = Buffer.from(file);
    flipped[20] ^= 1;
    expect(() => decodeSnapshot(flipped)).toThrow(CorruptSnapshotError);
    const version = Buffer.from(file);
    version.writeInt16BE(2, 0);
    expect(() => decodeSnapshot(version)).toThrow(CorruptSnapshotError);
    expect(() => decodeSnapshot(Buffer.alloc(3))).toThrow(CorruptSnapshotError);
  });
});

describe('ProducerStateManager', () => {
  let dir: string;
  let clock: ManualClock;
  let log: Log;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'producer-state-'));
    clock = new ManualClock();
    log = await Log.open({ dir, config: testLogConfig(), clock });
  });

  afterEach(async () => {
    await log.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  async function appendIdempotent(
    producerId: bigint,
    baseSequence: number,
    count = 2,
  ): Promise<void> {
    const records = await buildRecordBatch({
      producerId,
      producerEpoch: 0,
      baseSequence,
      records: Array.from({ length: count }, () => ({
        value: Buffer.from('v'),
        timestamp: BigInt(clock.now()),
      })),
    });
    await log.appendAsLeader(records, 0);
  }

  const load = (producerIdExpirationMs?: number) =>
    ProducerStateManager.load({ dir, clock, producerIdExpirationMs }, log);

  test('rebuilds from the log and snapshots at the log end', async () => {
    for (let i = 0; i < 3; i++) await appendIdempotent(5n, i * 2);
    await appendIdempotent(6n, 0);
    const state = await load();
    expect(state.mapEndOffset).toBe(8n);
    expect(state.lastEntry(5n)!.batches.map((b) => [b.firstSeq, b.firstOffset])).toEqual([
      [0, 0n],
      [2, 2n],
      [4, 4n],
    ]);
    expect(await listSnapshotOffsets(dir)).toEqual([8n]);
  });

  test('an unreadable newest snapshot falls back to the previous one and the log after it', async () => {
    await appendIdempotent(5n, 0);
    const early = await load();
    expect(early.snapshots).toEqual([2n]);
    await appendIdempotent(5n, 2);
    await writeFile(snapshotPath(dir, 4n), Buffer.from('garbage'));
    const state = await load();
    expect(state.lastEntry(5n)!.lastSeq).toBe(3);
    expect(state.lastEntry(5n)!.batches).toHaveLength(2);
    expect(await listSnapshotOffsets(dir)).toEqual([2n, 4n]);
  });

  test('snapshots beyond the log end are stale and deleted', async () => {
    await appendIdempotent(5n, 0);
    await writeFile(snapshotPath(dir, 50n), encodeSnapshot([]));
    await load();
    expect(await listSnapshotOffsets(dir)).toEqual([2n]);
  });

  test('producers idle for producer.id.expiration.ms are removed, also when loading a snapshot', async () => {
    await appendIdempotent(5n, 0);
    const state = await load(10_000);
    expect(state.producerCount).toBe(1);
    clock.advance(9_999);
    expect(state.removeExpiredProducers()).toBe(0);
    clock.advance(1);
    expect(state.removeExpiredProducers()).toBe(1);
    const reloaded = await load(10_000);
    expect(reloaded.producerCount).toBe(0);
  });

  test('keeps only the newest snapshot files', async () => {
    const state = await load();
    for (let i = 0; i < 4; i++) {
      await appendIdempotent(5n, i * 2);
      state.updateMapEndOffset(log.logEndOffset);
      await state.takeSnapshot();
    }
    expect((await readdir(dir)).filter((n) => n.endsWith('.snapshot'))).toEqual([
      '00000000000000000006.snapshot',
      '00000000000000000008.snapshot',
    ]);
  });
});

import { describe, expect, test } from 'vitest';
import { compress, CompressionType } from '../../../src/protocol/compression/index.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import {
  buildLegacyMessageSet,
  TimestampType,
  writeLegacyEntry,
  type LegacyMagic,
} from '../../../src/protocol/records/index.js';
import {
  batchesOf,
  brokersPerTest,
  fetchParams,
  fetchPartition,
  lead,
  produce,
  START_MS,
  type TestBroker,
} from './replica-kit.js';

const brokers = brokersPerTest();

const inputs = [0, 1, 2].map((i) => ({
  offset: BigInt(i),
  timestamp: BigInt(START_MS - 10 + i),
  key: Buffer.from(`k${i}`),
  value: Buffer.from(`v${i}`),
}));

function legacySet(magic: LegacyMagic, compression: number = CompressionType.None) {
  return buildLegacyMessageSet(inputs, {
    magic,
    compression,
    timestampType: TimestampType.CreateTime,
  });
}

async function stored(b: TestBroker, topic = 't') {
  const [fetched] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition(topic, 0n)]));
  return batchesOf(fetched!.records);
}

describe('Produce v0-2 with legacy message sets', () => {
  test.each([
    [0, 0],
    [1, 1],
    [2, 1],
  ] as const)('v%i with magic %i is stored as one v2 batch', async (apiVersion, magic) => {
    const b = await brokers.start();
    await lead(b, 't');
    const result = await produce(b, 't', await legacySet(magic), { apiVersion });
    expect(result).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const [batch, ...rest] = await stored(b);
    expect(rest).toEqual([]);
    expect(batch!.magic).toBe(2);
    expect(batch!.compression).toBe(CompressionType.None);
    expect(batch!.hasProducerId).toBe(false);
    const records = await batch!.decodeRecords();
    expect(records.map((r) => [r.offset, r.key?.toString(), r.value?.toString()])).toEqual([
      [0n, 'k0', 'v0'],
      [1n, 'k1', 'v1'],
      [2n, 'k2', 'v2'],
    ]);
    // Magic 0 has no timestamps; magic 1 keeps the producer's.
    expect(records.map((r) => r.timestamp)).toEqual(
      magic === 0 ? [-1n, -1n, -1n] : inputs.map((i) => i.timestamp),
    );
  });

  test('a compressed wrapper keeps its codec under compression.type=producer', async () => {
    const b = await brokers.start();
    await lead(b, 't');
    const set = await legacySet(1, CompressionType.Snappy);
    expect((await produce(b, 't', set, { apiVersion: 2 })).errorCode).toBe(0);
    const [batch] = await stored(b);
    expect(batch!.compression).toBe(CompressionType.Snappy);
    expect((await batch!.decodeRecords()).map((r) => r.value?.toString())).toEqual([
      'v0',
      'v1',
      'v2',
    ]);
  });

  test("the topic's compression.type applies to converted messages", async () => {
    const b = await brokers.start();
    b.configs.set('t', { compressionType: CompressionType.Lz4 });
    await lead(b, 't');
    expect((await produce(b, 't', await legacySet(0), { apiVersion: 1 })).errorCode).toBe(0);
    const [batch] = await stored(b);
    expect(batch!.compression).toBe(CompressionType.Lz4);
    expect(await batch!.decodeRecords()).toHaveLength(3);
  });

  test('Produce v3+ still refuses legacy messages with INVALID_RECORD', async () => {
    const b = await brokers.start();
    await lead(b, 't');
    const result = await produce(b, 't', await legacySet(1), { apiVersion: 3 });
    expect(result.errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  test('bad CRC, mixed formats, oversized messages, zstd and stray compression are refused; nothing is appended', async () => {
    const b = await brokers.start();
    b.configs.set('t', { maxMessageBytes: 200 });
    await lead(b, 't');
    const corrupt = await legacySet(0);
    corrupt[29] ^= 0x01; // the first message's value
    const mixed = Buffer.concat([
      writeLegacyEntry(0, 0n, 0, -1n, null, Buffer.from('a')),
      writeLegacyEntry(1, 1n, 0, 1n, null, Buffer.from('b')),
    ]);
    const oversized = writeLegacyEntry(1, 0n, 0, 1n, null, Buffer.alloc(300));
    const compressedAmongOthers = Buffer.concat([
      await legacySet(1, CompressionType.Gzip),
      writeLegacyEntry(1, 3n, 0, 1n, null, Buffer.from('x')),
    ]);
    const innerCompressed = writeLegacyEntry(
      1,
      0n,
      CompressionType.Gzip,
      1n,
      null,
      await compress(
        CompressionType.Gzip,
        writeLegacyEntry(1, 0n, CompressionType.Gzip, 1n, null, Buffer.from('nested')),
      ),
    );
    const zstd = writeLegacyEntry(
      1,
      0n,
      CompressionType.Zstd,
      1n,
      null,
      await compress(CompressionType.Zstd, writeLegacyEntry(1, 0n, 0, 1n, null, Buffer.from('z'))),
    );
    const cases: [Buffer, number][] = [
      [zstd, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE],
      [corrupt, ErrorCode.CORRUPT_MESSAGE],
      [mixed, ErrorCode.INVALID_RECORD],
      [oversized, ErrorCode.MESSAGE_TOO_LARGE],
      [compressedAmongOthers, ErrorCode.INVALID_RECORD],
      [innerCompressed, ErrorCode.INVALID_RECORD],
    ];
    for (const [records, code] of cases) {
      expect((await produce(b, 't', records, { apiVersion: 2 })).errorCode).toBe(code);
    }
    expect(b.replicaManager.getPartition('t', 0)!.log.logEndOffset).toBe(0n);
  });

  test('the record rules apply: keys on compacted topics, timestamp bounds, LogAppendTime from clients', async () => {
    const b = await brokers.start();
    b.configs.set('c', { cleanupPolicy: ['compact'] });
    b.configs.set('t', { messageTimestampBeforeMaxMs: 1000, messageTimestampAfterMaxMs: 1000 });
    await lead(b, 'c');
    await lead(b, 't');
    const keyless = writeLegacyEntry(0, 0n, 0, -1n, null, Buffer.from('v'));
    expect((await produce(b, 'c', keyless, { apiVersion: 1 })).errorCode).toBe(
      ErrorCode.INVALID_RECORD,
    );
    const future = writeLegacyEntry(1, 0n, 0, BigInt(START_MS + 5000), null, Buffer.from('v'));
    expect((await produce(b, 't', future, { apiVersion: 2 })).errorCode).toBe(
      ErrorCode.INVALID_TIMESTAMP,
    );
    const appendTime = writeLegacyEntry(1, 0n, 0x08, -1n, null, Buffer.from('v'));
    expect((await produce(b, 't', appendTime, { apiVersion: 2 })).errorCode).toBe(
      ErrorCode.INVALID_TIMESTAMP,
    );
    // Magic 0 has no timestamp to check.
    const noTimestamp = writeLegacyEntry(0, 0n, 0, -1n, null, Buffer.from('v'));
    expect((await produce(b, 't', noTimestamp, { apiVersion: 1 })).errorCode).toBe(0);
  });
});

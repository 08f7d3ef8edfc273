import { describe, expect, test } from 'vitest';
import {
  compress,
  CompressionError,
  CompressionType,
  decompress,
} from '../../../src/protocol/compression/index.js';
import {
  buildLegacyMessageSet,
  buildRecordBatch,
  buildControlBatch,
  CorruptRecordError,
  downConvertBatches,
  InvalidRecordError,
  isLegacyMessageSet,
  scanLegacyMessages,
  TimestampType,
  unwrapLegacyMessage,
  UnsupportedLegacyCompressionError,
  writeLegacyEntry,
  type LegacyMagic,
  type LegacyMessage,
} from '../../../src/protocol/records/index.js';

/** Bitwise CRC-32 (IEEE), written out so the tests do not trust the code they test. */
function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const records = [
  { offset: 10n, timestamp: 1_700_000_000_001n, key: Buffer.from('k0'), value: Buffer.from('v0') },
  { offset: 11n, timestamp: 1_700_000_000_005n, key: null, value: Buffer.from('value one') },
  { offset: 12n, timestamp: 1_700_000_000_003n, key: Buffer.from('k2'), value: null },
];

function plain(messages: LegacyMessage[]) {
  return messages.map((m) => ({
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key?.toString() ?? null,
    value: m.value?.toString() ?? null,
  }));
}

describe('legacy message layout', () => {
  test('a magic 0 message is offset, size, CRC-32, magic, attributes, key, value', () => {
    const entry = writeLegacyEntry(0, 5n, 0, -1n, Buffer.from('k'), Buffer.from('v'));
    // magic 0, attributes 0, key length 1, "k", value length 1, "v"
    const message = Buffer.from('0000' + '000000016b' + '0000000176', 'hex');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(referenceCrc32(message));
    const expected = Buffer.concat([
      Buffer.from('0000000000000005' + '00000010', 'hex'),
      crc,
      message,
    ]);
    expect(entry.toString('hex')).toBe(expected.toString('hex'));
  });

  test('a magic 1 message adds the timestamp after the attributes and the type bit', () => {
    const entry = writeLegacyEntry(1, 7n, 0x08, 1234n, null, Buffer.from('abc'));
    expect(entry.readInt32BE(8)).toBe(22 + 3);
    expect(entry.readInt8(16)).toBe(1);
    expect(entry.readUInt8(17)).toBe(0x08);
    expect(entry.readBigInt64BE(18)).toBe(1234n);
    expect(entry.readInt32BE(26)).toBe(-1); // null key
    expect(entry.readInt32BE(30)).toBe(3);
    expect(entry.readUInt32BE(12)).toBe(referenceCrc32(entry.subarray(16)));
    const [message] = scanLegacyMessages(entry).messages;
    expect(message).toMatchObject({
      offset: 7n,
      magic: 1,
      timestampType: TimestampType.LogAppendTime,
      timestamp: 1234n,
      key: null,
      crcMatches: true,
    });
  });

  test('isLegacyMessageSet reads the magic byte at the same place as a v2 batch', async () => {
    expect(isLegacyMessageSet(await buildLegacyMessageSet(records, legacyOptions(0)))).toBe(true);
    expect(isLegacyMessageSet(await buildLegacyMessageSet(records, legacyOptions(1)))).toBe(true);
    expect(isLegacyMessageSet(await buildRecordBatch({ records: [{ value: null }] }))).toBe(false);
    expect(isLegacyMessageSet(null)).toBe(false);
    expect(isLegacyMessageSet(Buffer.alloc(5))).toBe(false);
  });
});

function legacyOptions(magic: LegacyMagic, compression: number = CompressionType.None) {
  return { magic, compression, timestampType: TimestampType.CreateTime };
}

describe('building and reading legacy message sets', () => {
  test.each([0, 1] as const)('uncompressed magic %i: one message per record', async (magic) => {
    const set = await buildLegacyMessageSet(records, legacyOptions(magic));
    const { messages, trailingBytes } = scanLegacyMessages(set);
    expect(trailingBytes).toBe(0);
    expect(messages.every((m) => m.crcMatches && m.magic === magic)).toBe(true);
    expect(plain(messages)).toEqual(
      records.map((r) => ({
        offset: r.offset,
        timestamp: magic === 0 ? -1n : r.timestamp,
        key: r.key?.toString() ?? null,
        value: r.value?.toString() ?? null,
      })),
    );
  });

  const codecs = [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4];
  test.each(([0, 1] as const).flatMap((magic) => codecs.map((codec) => [magic, codec])))(
    'compressed magic %i codec %i: one wrapper at the last offset with the largest timestamp',
    async (magic, codec) => {
      const set = await buildLegacyMessageSet(records, legacyOptions(magic as LegacyMagic, codec));
      const [wrapper, ...rest] = scanLegacyMessages(set).messages;
      expect(rest).toEqual([]);
      expect(wrapper).toMatchObject({
        offset: 12n,
        compression: codec,
        key: null,
        crcMatches: true,
      });
      expect(wrapper!.timestamp).toBe(magic === 0 ? -1n : 1_700_000_000_005n);
      const inner = await unwrapLegacyMessage(wrapper!);
      expect(plain(inner).map((m) => m.offset)).toEqual([10n, 11n, 12n]);
      expect(plain(inner).map((m) => m.value)).toEqual(['v0', 'value one', null]);
    },
  );

  test('magic 1 wrappers store inner offsets relative to the first record', async () => {
    const set = await buildLegacyMessageSet(records, legacyOptions(1, CompressionType.Gzip));
    const [wrapper] = scanLegacyMessages(set).messages;
    const innerBytes = await import('node:zlib').then((z) => z.gunzipSync(wrapper!.value!));
    expect(scanLegacyMessages(innerBytes).messages.map((m) => m.offset)).toEqual([0n, 1n, 2n]);
  });

  test('LogAppendTime stamps every magic 1 message with the append time and the type bit', async () => {
    const set = await buildLegacyMessageSet(records, {
      magic: 1,
      compression: CompressionType.None,
      timestampType: TimestampType.LogAppendTime,
      logAppendTime: 99n,
    });
    for (const m of scanLegacyMessages(set).messages) {
      expect(m).toMatchObject({ timestamp: 99n, timestampType: TimestampType.LogAppendTime });
    }
  });

  test('a magic 0 LZ4 wrapper with the old miscomputed header checksum still decodes', async () => {
    const inner = Buffer.concat(
      records.map((r) => writeLegacyEntry(0, r.offset, 0, -1n, r.key, r.value)),
    );
    const frame = await compress(CompressionType.Lz4, inner);
    frame[6] ^= 0x5a; // the header checksum byte (no content size)
    await expect(decompress(CompressionType.Lz4, frame)).rejects.toThrow(CompressionError);
    const wrapper = writeLegacyEntry(0, 12n, CompressionType.Lz4, -1n, null, frame);
    const [message] = scanLegacyMessages(wrapper).messages;
    expect((await unwrapLegacyMessage(message!)).map((m) => m.offset)).toEqual([10n, 11n, 12n]);
  });

  test('a trailing partial message is left out and counted', async () => {
    const set = await buildLegacyMessageSet(records, legacyOptions(1));
    const { messages, trailingBytes } = scanLegacyMessages(set.subarray(0, set.length - 3));
    expect(messages).toHaveLength(2);
    expect(trailingBytes).toBe(set.length - 3 - sizes(messages));
  });

  test('a flipped byte fails the CRC', async () => {
    const set = await buildLegacyMessageSet(records, legacyOptions(0));
    const firstSize = scanLegacyMessages(set).messages[0]!.sizeInBytes;
    set[firstSize - 1] ^= 0x01; // inside the first value
    const { messages } = scanLegacyMessages(set);
    expect(messages.map((m) => m.crcMatches)).toEqual([false, true, true]);
  });

  test('impossible sizes and key lengths are corrupt; a v2 batch inside is invalid', async () => {
    const entry = writeLegacyEntry(0, 0n, 0, -1n, Buffer.from('key'), Buffer.from('value'));
    const tooSmall = Buffer.from(entry);
    tooSmall.writeInt32BE(10, 8);
    expect(() => scanLegacyMessages(tooSmall)).toThrow(CorruptRecordError);
    const badKey = Buffer.from(entry);
    badKey.writeInt32BE(1000, 18);
    expect(() => scanLegacyMessages(badKey)).toThrow(CorruptRecordError);
    const badMagic = Buffer.from(entry);
    badMagic.writeInt8(7, 16);
    expect(() => scanLegacyMessages(badMagic)).toThrow(CorruptRecordError);
    const v2 = await buildRecordBatch({ records: [{ value: Buffer.from('x') }] });
    expect(() => scanLegacyMessages(Buffer.concat([entry, v2]))).toThrow(InvalidRecordError);
  });

  test('a wrapper holding another magic, or junk, is rejected', async () => {
    const innerV1 = writeLegacyEntry(1, 0n, 0, 5n, null, Buffer.from('x'));
    const mixed = writeLegacyEntry(
      0,
      0n,
      CompressionType.Gzip,
      -1n,
      null,
      await compress(CompressionType.Gzip, innerV1),
    );
    const [message] = scanLegacyMessages(mixed).messages;
    await expect(unwrapLegacyMessage(message!)).rejects.toThrow(InvalidRecordError);
    const junk = writeLegacyEntry(0, 0n, CompressionType.Gzip, -1n, null, Buffer.from('junk'));
    const [junkMessage] = scanLegacyMessages(junk).messages;
    await expect(unwrapLegacyMessage(junkMessage!)).rejects.toThrow(CompressionError);
  });
});

function sizes(messages: LegacyMessage[]): number {
  return messages.reduce((sum, m) => sum + m.sizeInBytes, 0);
}

describe('down-conversion of stored batches (Fetch v0-3)', () => {
  async function storedBatches() {
    const uncompressed = await buildRecordBatch({
      baseOffset: 0n,
      records: [0, 1, 2].map((i) => ({
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`v${i}`),
        timestamp: 1000n + BigInt(i),
        headers: [{ key: 'h', value: Buffer.from('dropped') }],
      })),
    });
    const marker = buildControlBatch({
      baseOffset: 3n,
      producerId: 7n,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      type: 'commit',
      timestamp: 1003n,
    });
    const compressed = await buildRecordBatch({
      baseOffset: 4n,
      compression: CompressionType.Gzip,
      records: [4, 5].map((i) => ({ value: Buffer.from(`v${i}`), timestamp: 1000n + BigInt(i) })),
    });
    return Buffer.concat([uncompressed, marker, compressed]);
  }

  test('magic 1: messages from the fetch offset, control batches dropped, wrappers whole', async () => {
    const converted = await downConvertBatches(await storedBatches(), 1, 1n);
    const top = scanLegacyMessages(converted).messages;
    expect(top.map((m) => [m.offset, m.compression])).toEqual([
      [1n, 0],
      [2n, 0],
      [5n, CompressionType.Gzip],
    ]);
    expect(plain(top.slice(0, 2))).toEqual([
      { offset: 1n, timestamp: 1001n, key: 'k1', value: 'v1' },
      { offset: 2n, timestamp: 1002n, key: 'k2', value: 'v2' },
    ]);
    expect(plain(await unwrapLegacyMessage(top[2]!))).toEqual([
      { offset: 4n, timestamp: 1004n, key: null, value: 'v4' },
      { offset: 5n, timestamp: 1005n, key: null, value: 'v5' },
    ]);
  });

  test('magic 0 carries no timestamps', async () => {
    const converted = await downConvertBatches(await storedBatches(), 0, 0n);
    const top = scanLegacyMessages(converted).messages;
    expect(top.every((m) => m.magic === 0 && m.timestamp === -1n && m.crcMatches)).toBe(true);
    expect(top.map((m) => m.offset)).toEqual([0n, 1n, 2n, 5n]);
  });

  test('LogAppendTime batches keep their append time and type', async () => {
    const stored = await buildRecordBatch({
      timestampType: TimestampType.LogAppendTime,
      maxTimestamp: 5555n,
      records: [{ value: Buffer.from('a'), timestamp: 1n }],
    });
    const [message] = scanLegacyMessages(await downConvertBatches(stored, 1, 0n)).messages;
    expect(message).toMatchObject({ timestamp: 5555n, timestampType: TimestampType.LogAppendTime });
  });

  test('the output stays within the bytes read, or the whole first converted batch', async () => {
    const tiny = (baseOffset: bigint) =>
      buildRecordBatch({
        baseOffset,
        records: Array.from({ length: 50 }, (_, i) => ({ value: Buffer.alloc(10, i) })),
      });
    // 50 tiny v2 records take fewer bytes than 50 legacy messages (26 + 10 bytes each).
    const one = await tiny(0n);
    const whole = await downConvertBatches(one, 0, 0n);
    expect(whole.length).toBe(50 * 36);
    expect(whole.length).toBeGreaterThan(one.length);
    // The second batch gets only what is left of the size read: not one whole message.
    const stored = Buffer.concat([one, await tiny(50n)]);
    const converted = await downConvertBatches(stored, 0, 0n);
    expect(stored.length - 50 * 36).toBeLessThan(36);
    expect(scanLegacyMessages(converted).messages.map((m) => m.offset)).toEqual(
      Array.from({ length: 50 }, (_, i) => BigInt(i)),
    );
    // Later batches are cut at a message boundary within the size read.
    const large = await buildRecordBatch({
      baseOffset: 100n,
      records: [{ value: Buffer.alloc(4000, 1) }, { value: Buffer.alloc(4000, 2) }],
    });
    const mixed = await downConvertBatches(Buffer.concat([stored, large]), 1, 0n);
    const offsets = scanLegacyMessages(mixed).messages.map((m) => m.offset);
    expect(mixed.length).toBeLessThanOrEqual(stored.length + large.length);
    expect(offsets.at(-1)).toBe(100n);
  });

  test('a partial batch at the end is dropped; zstd cannot be converted', async () => {
    const stored = await storedBatches();
    const converted = await downConvertBatches(stored.subarray(0, stored.length - 5), 1, 0n);
    expect(scanLegacyMessages(converted).messages.map((m) => m.offset)).toEqual([0n, 1n, 2n]);
    const zstd = await buildRecordBatch({
      compression: CompressionType.Zstd,
      records: [{ value: Buffer.from('z') }],
    });
    await expect(downConvertBatches(zstd, 1, 0n)).rejects.toThrow(
      UnsupportedLegacyCompressionError,
    );
  });
});

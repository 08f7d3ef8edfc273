import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c } from '../../../src/protocol/crc32c.js';
import { DecodeError } from '../../../src/protocol/primitives/decode-error.js';
import {
  CompressionError,
  CompressionType,
  type CompressionTypeId,
} from '../../../src/protocol/compression/index.js';
import {
  RecordBatch,
  TimestampType,
  CorruptRecordError,
  InvalidRecordError,
  UnsupportedMagicError,
  buildRecordBatch,
  buildUncompressedRecordBatch,
  buildControlBatch,
  scanBatches,
  readBatches,
  readEndTransactionMarker,
  readControlRecordType,
  ControlRecordType,
  type RecordInput,
  type KafkaRecord,
} from '../../../src/protocol/records/index.js';

const CODECS: [string, CompressionTypeId][] = [
  ['none', CompressionType.None],
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
  ['zstd', CompressionType.Zstd],
];

const T0 = 1_700_000_000_000n;

function sampleRecords(): RecordInput[] {
  return [
    { key: Buffer.from('key-0'), value: Buffer.from('value-0'), timestamp: T0 },
    { key: null, value: Buffer.from('no key'), timestamp: T0 + 5n },
    { key: Buffer.from('tombstone'), value: null, timestamp: T0 - 2n },
    {
      value: Buffer.from('with headers'),
      timestamp: T0 + 1000n,
      headers: [
        { key: 'trace-id', value: Buffer.from('abc') },
        { key: 'null-header', value: null },
        { key: 'ünïcödé', value: Buffer.alloc(0) },
      ],
    },
    { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: T0 + 7n },
  ];
}

/** Hex (or null) keeps large-buffer comparisons fast and failure messages readable. */
function hex(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('hex');
}

function expectRecordsMatch(
  records: KafkaRecord[],
  inputs: RecordInput[],
  baseOffset: bigint,
): void {
  expect(records).toHaveLength(inputs.length);
  records.forEach((record, i) => {
    const input = inputs[i];
    expect(record.offsetDelta).toBe(input.offsetDelta ?? i);
    expect(record.offset).toBe(baseOffset + BigInt(record.offsetDelta));
    expect(record.timestamp).toBe(input.timestamp);
    expect(record.attributes).toBe(0);
    expect(hex(record.key)).toBe(hex(input.key ?? null));
    expect(hex(record.value)).toBe(hex(input.value));
    expect(record.headers.map((h) => [h.key, hex(h.value)])).toEqual(
      (input.headers ?? []).map((h) => [h.key, hex(h.value)]),
    );
  });
}

/** Hand-encoded record bytes (zig-zag varints written out literally), independent of Writer. */
// prettier-ignore
const GOLDEN_RECORDS = Buffer.from([
  // record 0: body 13 bytes -> zigzag 26
  0x1a,
  0x00, // attributes
  0x00, // timestampDelta 0
  0x00, // offsetDelta 0
  0x02, 0x6b, // key length 1, "k"
  0x04, 0x76, 0x31, // value length 2, "v1"
  0x02, // one header
  0x02, 0x68, // header key length 1, "h"
  0x02, 0x78, // header value length 1, "x"
  // record 1: body 6 bytes -> zigzag 12
  0x0c,
  0x00, // attributes
  0x06, // timestampDelta 3
  0x02, // offsetDelta 1
  0x01, // key null (-1)
  0x01, // value null (-1)
  0x00, // no headers
]);

function goldenBatch(): Buffer {
  const out = Buffer.alloc(61 + GOLDEN_RECORDS.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setBigInt64(0, 5n); // baseOffset
  view.setInt32(8, out.length - 12); // batchLength
  view.setInt32(12, 3); // partitionLeaderEpoch
  view.setInt8(16, 2); // magic
  view.setInt16(21, 0x10); // attributes: transactional, no compression, CreateTime
  view.setInt32(23, 1); // lastOffsetDelta
  view.setBigInt64(27, T0); // baseTimestamp
  view.setBigInt64(35, T0 + 3n); // maxTimestamp
  view.setBigInt64(43, 42n); // producerId
  view.setInt16(51, 1); // producerEpoch
  view.setInt32(53, 7); // baseSequence
  view.setInt32(57, 2); // recordsCount
  GOLDEN_RECORDS.copy(out, 61);
  view.setUint32(17, crc32c(out.subarray(21)));
  return out;
}

async function expectRejects(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(type);
}

describe('crc32c', () => {
  it('is the Castagnoli polynomial', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('RecordBatch builder and view', () => {
  for (const [name, codec] of CODECS) {
    it(`round-trips header fields and records with ${name} compression`, async () => {
      const inputs = sampleRecords();
      const bytes = await buildRecordBatch({
        baseOffset: 1234n,
        partitionLeaderEpoch: 9,
        compression: codec,
        producerId: 77n,
        producerEpoch: 3,
        baseSequence: 100,
        isTransactional: true,
        records: inputs,
      });
      const batch = RecordBatch.at(bytes);
      expect(batch.baseOffset).toBe(1234n);
      expect(batch.batchLength).toBe(bytes.length - 12);
      expect(batch.sizeInBytes).toBe(bytes.length);
      expect(batch.partitionLeaderEpoch).toBe(9);
      expect(batch.magic).toBe(2);
      expect(batch.compression).toBe(codec);
      expect(batch.isCompressed).toBe(codec !== 0);
      expect(batch.timestampType).toBe(TimestampType.CreateTime);
      expect(batch.isTransactional).toBe(true);
      expect(batch.isControl).toBe(false);
      expect(batch.hasDeleteHorizon).toBe(false);
      expect(batch.deleteHorizonMs).toBeNull();
      expect(batch.lastOffsetDelta).toBe(4);
      expect(batch.baseTimestamp).toBe(T0);
      expect(batch.maxTimestamp).toBe(T0 + 1000n);
      expect(batch.producerId).toBe(77n);
      expect(batch.hasProducerId).toBe(true);
      expect(batch.producerEpoch).toBe(3);
      expect(batch.baseSequence).toBe(100);
      expect(batch.lastSequence).toBe(104);
      expect(batch.recordCount).toBe(5);
      expect(batch.lastOffset).toBe(1238n);
      expect(batch.nextOffset).toBe(1239n);
      expect(batch.crc).toBe(batch.computeCrc());
      expect(batch.isValid()).toBe(true);
      expect(() => batch.verify({ requireContiguousOffsets: true })).not.toThrow();

      expectRecordsMatch(
        await batch.decodeRecords({ requireContiguousOffsets: true }),
        inputs,
        1234n,
      );
      const streamed: KafkaRecord[] = [];
      for await (const record of batch) streamed.push(record);
      expectRecordsMatch(streamed, inputs, 1234n);
      if (codec === 0) {
        expectRecordsMatch(Array.from(batch.records()), inputs, 1234n);
      } else {
        expect(() => batch.records()).toThrow(/compressed/);
      }
    });
  }

  it('returns zero-copy slices of the batch buffer for uncompressed records', async () => {
    const bytes = await buildRecordBatch({
      records: [{ key: Buffer.from('k'), value: Buffer.from('v') }],
    });
    const [record] = RecordBatch.at(bytes).records();
    expect(record.value!.buffer).toBe(bytes.buffer);
    bytes[bytes.length - 2] = 0x77; // the value byte, just before the header count
    expect(record.value!.toString()).toBe('w');
  });

  it('handles many records, large values and every codec', async () => {
    const inputs: RecordInput[] = Array.from({ length: 2000 }, (_, i) => ({
      key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
      value: i % 7 === 0 ? null : Buffer.alloc((i * 37) % 300, i & 0xff),
      timestamp: T0 + BigInt(i * 13),
      headers: i % 5 === 0 ? [{ key: `h${i}`, value: Buffer.from([i & 0xff]) }] : undefined,
    }));
    inputs.push({ value: Buffer.alloc(100_000, 7), timestamp: T0 });
    for (const [, codec] of CODECS) {
      const batch = RecordBatch.at(await buildRecordBatch({ compression: codec, records: inputs }));
      expect(batch.isValid()).toBe(true);
      expect(batch.recordCount).toBe(inputs.length);
      expectRecordsMatch(await batch.decodeRecords(), inputs, 0n);
    }
  });

  it('applies defaults', async () => {
    const before = BigInt(Date.now());
    const batch = RecordBatch.at(
      await buildRecordBatch({ records: [{ value: Buffer.from('x') }] }),
    );
    const after = BigInt(Date.now());
    expect(batch.baseOffset).toBe(0n);
    expect(batch.partitionLeaderEpoch).toBe(-1);
    expect(batch.compression).toBe(0);
    expect(batch.producerId).toBe(-1n);
    expect(batch.hasProducerId).toBe(false);
    expect(batch.producerEpoch).toBe(-1);
    expect(batch.baseSequence).toBe(-1);
    expect(batch.lastSequence).toBe(-1);
    expect(batch.baseTimestamp >= before && batch.baseTimestamp <= after).toBe(true);
    expect(batch.maxTimestamp).toBe(batch.baseTimestamp);
    const [record] = batch.records();
    expect(record.key).toBeNull();
    expect(record.headers).toEqual([]);
    expect(record.timestamp).toBe(batch.baseTimestamp);
  });

  it('keeps explicit offset-delta gaps (compacted batches) and rejects them under produce rules', async () => {
    const batch = RecordBatch.at(
      await buildRecordBatch({
        lastOffsetDelta: 9,
        records: [
          { value: Buffer.from('a'), offsetDelta: 2, timestamp: T0 },
          { value: Buffer.from('b'), offsetDelta: 5, timestamp: T0 },
        ],
      }),
    );
    expect(batch.lastOffsetDelta).toBe(9);
    expect(Array.from(batch.records(), (r) => r.offset)).toEqual([2n, 5n]);
    expect(batch.isValid()).toBe(true);
    expect(() => batch.verify({ requireContiguousOffsets: true })).toThrow(InvalidRecordError);
    expect(() => Array.from(batch.records({ requireContiguousOffsets: true }))).toThrow(
      InvalidRecordError,
    );
  });

  it('computes lastSequence with Kafka wrap-around', async () => {
    const wrapAt = async (baseSequence: number, count: number) =>
      RecordBatch.at(
        await buildRecordBatch({
          producerId: 1n,
          producerEpoch: 0,
          baseSequence,
          records: Array.from({ length: count }, () => ({ value: null, timestamp: T0 })),
        }),
      ).lastSequence;
    expect(await wrapAt(0x7fffffff, 1)).toBe(0x7fffffff);
    expect(await wrapAt(0x7fffffff, 2)).toBe(0);
    expect(await wrapAt(0x7ffffffe, 4)).toBe(1);
    expect(await wrapAt(10, 3)).toBe(12);
  });

  it('matches a hand-computed golden batch byte for byte', async () => {
    const built = await buildRecordBatch({
      baseOffset: 5n,
      partitionLeaderEpoch: 3,
      isTransactional: true,
      producerId: 42n,
      producerEpoch: 1,
      baseSequence: 7,
      records: [
        {
          key: Buffer.from('k'),
          value: Buffer.from('v1'),
          timestamp: T0,
          headers: [{ key: 'h', value: Buffer.from('x') }],
        },
        { key: null, value: null, timestamp: T0 + 3n },
      ],
    });
    const golden = goldenBatch();
    expect(built.toString('hex')).toBe(golden.toString('hex'));
    expect(
      buildUncompressedRecordBatch({
        baseOffset: 5n,
        partitionLeaderEpoch: 3,
        isTransactional: true,
        producerId: 42n,
        producerEpoch: 1,
        baseSequence: 7,
        records: [
          {
            key: Buffer.from('k'),
            value: Buffer.from('v1'),
            timestamp: T0,
            headers: [{ key: 'h', value: Buffer.from('x') }],
          },
          { key: null, value: null, timestamp: T0 + 3n },
        ],
      }),
    ).toEqual(golden);

    const batch = RecordBatch.at(golden);
    expect(batch.isValid()).toBe(true);
    const [first, second] = batch.records();
    expect(first).toMatchObject({ offset: 5n, timestamp: T0, timestampDelta: 0 });
    expect(first.key!.toString()).toBe('k');
    expect(first.headers[0].key).toBe('h');
    expect(second).toMatchObject({
      offset: 6n,
      offsetDelta: 1,
      timestamp: T0 + 3n,
      key: null,
      value: null,
      headers: [],
    });
  });
});

describe('in-place patching', () => {
  it('writes every base offset as the int64 it is, small, large and beyond 2^53', async () => {
    const batch = new RecordBatch(await buildRecordBatch({ records: sampleRecords() }));
    for (const offset of [
      0n,
      1n,
      0xffffffffn,
      0x1_0000_0000n,
      2n ** 53n - 1n,
      2n ** 53n + 1n,
      -1n,
    ]) {
      batch.setBaseOffset(offset);
      expect(batch.baseOffset).toBe(offset);
      expect(batch.buf.readBigInt64BE(0)).toBe(offset);
    }
  });

  it('hands out a batch that fills its buffer as that buffer, and a batch inside one as a slice', async () => {
    const bytes = await buildRecordBatch({ records: sampleRecords() });
    expect(new RecordBatch(bytes).bytes).toBe(bytes);
    const container = Buffer.concat([Buffer.alloc(3), bytes]);
    const inner = new RecordBatch(container, 3).bytes;
    expect(inner).not.toBe(container);
    expect(inner.equals(bytes)).toBe(true);
  });

  it('patches baseOffset and partitionLeaderEpoch without touching the CRC', async () => {
    const bytes = await buildRecordBatch({
      records: sampleRecords(),
      compression: CompressionType.Gzip,
    });
    // Embed the batch inside a larger buffer to exercise non-zero positions.
    const container = Buffer.concat([Buffer.alloc(13, 0xee), bytes, Buffer.alloc(5, 0xee)]);
    const batch = new RecordBatch(container, 13);
    const crcBefore = batch.crc;
    batch.setBaseOffset(9_000_000_000n);
    batch.setPartitionLeaderEpoch(17);
    expect(batch.baseOffset).toBe(9_000_000_000n);
    expect(batch.partitionLeaderEpoch).toBe(17);
    expect(batch.crc).toBe(crcBefore);
    expect(batch.isValid()).toBe(true);
    expect(batch.lastOffset).toBe(9_000_000_004n);
    expect((await batch.decodeRecords()).map((r) => r.offset)).toEqual([
      9_000_000_000n,
      9_000_000_001n,
      9_000_000_002n,
      9_000_000_003n,
      9_000_000_004n,
    ]);
    expect(container.subarray(0, 13).every((b) => b === 0xee)).toBe(true);
    expect(container.subarray(13 + bytes.length).every((b) => b === 0xee)).toBe(true);
    expect(batch.bytes.buffer).toBe(container.buffer);
  });

  it('stamps LogAppendTime and recomputes the CRC', async () => {
    const bytes = await buildRecordBatch({ records: sampleRecords() });
    const batch = RecordBatch.at(bytes);
    const crcBefore = batch.crc;
    const appendTime = T0 + 999_999n;
    batch.setLogAppendTime(appendTime);
    expect(batch.timestampType).toBe(TimestampType.LogAppendTime);
    expect(batch.maxTimestamp).toBe(appendTime);
    expect(batch.crc).not.toBe(crcBefore);
    expect(batch.isValid()).toBe(true);
    // Under LogAppendTime every record reports the append time, as in Kafka.
    for (const record of batch.records()) expect(record.timestamp).toBe(appendTime);
    // Other attribute bits survive.
    expect(batch.isTransactional).toBe(false);
    expect(batch.compression).toBe(0);

    batch.setMaxTimestamp(T0 + 1000n, TimestampType.CreateTime);
    expect(batch.timestampType).toBe(TimestampType.CreateTime);
    expect(batch.isValid()).toBe(true);
    expect(batch.crc).toBe(crcBefore);
  });

  it('setMaxTimestamp keeps the current timestamp type by default', async () => {
    const batch = RecordBatch.at(
      await buildRecordBatch({
        records: sampleRecords(),
        timestampType: TimestampType.LogAppendTime,
      }),
    );
    expect(batch.timestampType).toBe(TimestampType.LogAppendTime);
    batch.setMaxTimestamp(5n);
    expect(batch.timestampType).toBe(TimestampType.LogAppendTime);
    expect(batch.maxTimestamp).toBe(5n);
    expect(batch.isValid()).toBe(true);
  });

  it('verifies a 1 MiB batch without decoding records', async () => {
    const value = Buffer.alloc(1024, 1);
    const bytes = await buildRecordBatch({
      records: Array.from({ length: 1024 }, () => ({ value, timestamp: T0 })),
    });
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    const start = performance.now();
    for (let i = 0; i < 20; i++) {
      const batch = RecordBatch.at(bytes);
      batch.verify({ requireContiguousOffsets: true });
      batch.setBaseOffset(BigInt(i));
      batch.setLogAppendTime(T0 + BigInt(i));
    }
    // Two CRC passes per iteration; generous bound, it is about a millisecond in practice.
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('control batches', () => {
  for (const type of ['commit', 'abort'] as const) {
    it(`round-trips a ${type} marker`, async () => {
      const bytes = buildControlBatch({
        type,
        coordinatorEpoch: 12,
        producerId: 555n,
        producerEpoch: 4,
        baseOffset: 80n,
        timestamp: T0,
        partitionLeaderEpoch: 2,
      });
      const batch = RecordBatch.at(bytes);
      expect(batch.isValid()).toBe(true);
      expect(batch.isControl).toBe(true);
      expect(batch.isTransactional).toBe(true);
      expect(batch.producerId).toBe(555n);
      expect(batch.producerEpoch).toBe(4);
      expect(batch.baseSequence).toBe(-1);
      expect(batch.baseOffset).toBe(80n);
      expect(batch.partitionLeaderEpoch).toBe(2);
      expect(batch.recordCount).toBe(1);
      expect(batch.lastOffsetDelta).toBe(0);
      expect(batch.baseTimestamp).toBe(T0);
      expect(batch.maxTimestamp).toBe(T0);
      const records = await batch.decodeRecords();
      expect(records).toHaveLength(1);
      const [record] = records;
      expect(record.key!.toString('hex')).toBe(type === 'commit' ? '00000001' : '00000000');
      expect(record.value!.toString('hex')).toBe('00000000000c');
      expect(readControlRecordType(record.key)).toBe(
        type === 'commit' ? ControlRecordType.Commit : ControlRecordType.Abort,
      );
      expect(readEndTransactionMarker(record)).toEqual({ type, version: 0, coordinatorEpoch: 12 });
    });
  }

  it('rejects malformed control records', () => {
    expect(() => readControlRecordType(null)).toThrow(InvalidRecordError);
    expect(() => readControlRecordType(Buffer.from([0, 0, 1]))).toThrow(InvalidRecordError);
    expect(() =>
      readEndTransactionMarker({ key: Buffer.from([0, 0, 0, 2]), value: Buffer.alloc(6) }),
    ).toThrow(InvalidRecordError);
    expect(() =>
      readEndTransactionMarker({ key: Buffer.from([0, 0, 0, 1]), value: Buffer.alloc(5) }),
    ).toThrow(InvalidRecordError);
  });
});

describe('batch iteration', () => {
  it('iterates concatenated batches as views over the same buffer', async () => {
    const parts = [
      await buildRecordBatch({ baseOffset: 0n, records: sampleRecords() }),
      await buildRecordBatch({
        baseOffset: 5n,
        records: sampleRecords(),
        compression: CompressionType.Lz4,
      }),
      buildControlBatch({
        type: 'commit',
        coordinatorEpoch: 0,
        producerId: 1n,
        producerEpoch: 0,
        baseOffset: 10n,
      }),
    ];
    const all = Buffer.concat(parts);
    const batches = readBatches(all);
    expect(batches.map((b) => b.baseOffset)).toEqual([0n, 5n, 10n]);
    expect(batches.map((b) => b.position)).toEqual([
      0,
      parts[0].length,
      parts[0].length + parts[1].length,
    ]);
    expect(batches.every((b) => b.buf === all && b.isValid())).toBe(true);
    expect(readBatches(all, { start: parts[0].length }).length).toBe(2);
    expect(readBatches(Buffer.alloc(0))).toEqual([]);
  });

  it('reports a truncated trailing batch or rejects it in strict mode', async () => {
    const one = await buildRecordBatch({ records: sampleRecords() });
    const two = await buildRecordBatch({ baseOffset: 5n, records: sampleRecords() });
    for (const cut of [1, 10, 16, 17, 40, 61, two.length - 1]) {
      const truncated = Buffer.concat([one, two.subarray(0, cut)]);
      const scan = scanBatches(truncated);
      expect(scan.batches).toHaveLength(1);
      expect(scan.trailingBytes).toBe(cut);
      expect(() => readBatches(truncated)).toThrow(CorruptRecordError);
      expect(() => RecordBatch.at(two.subarray(0, cut))).toThrow(DecodeError);
    }
    expect(scanBatches(Buffer.concat([one, two]))).toMatchObject({ trailingBytes: 0 });
  });

  it('rejects batch lengths below the minimum, negative or above a limit', async () => {
    const bytes = await buildRecordBatch({ records: sampleRecords() });
    for (const length of [-1, -0x80000000, 0, 48]) {
      const bad = Buffer.from(bytes);
      bad.writeInt32BE(length, 8);
      expect(() => readBatches(bad)).toThrow(CorruptRecordError);
      expect(() => scanBatches(bad)).toThrow(CorruptRecordError);
      expect(() => RecordBatch.at(bad)).toThrow(CorruptRecordError);
    }
    const huge = Buffer.from(bytes);
    huge.writeInt32BE(0x7fffffff, 8);
    expect(() => readBatches(huge)).toThrow(CorruptRecordError);
    expect(scanBatches(huge)).toMatchObject({ batches: [], trailingBytes: huge.length });
    expect(() => readBatches(bytes, { maxBatchSize: bytes.length - 1 })).toThrow(
      CorruptRecordError,
    );
  });

  it('detects legacy message sets and unknown magic', async () => {
    // A magic-1 message: offset, size, crc, magic 1, attributes, timestamp, key -1, value "hi".
    const legacy = Buffer.alloc(12 + 4 + 1 + 1 + 8 + 4 + 4 + 2);
    legacy.writeInt32BE(legacy.length - 12, 8);
    legacy.writeInt8(1, 16);
    legacy.writeInt32BE(-1, 26);
    legacy.writeInt32BE(2, 30);
    legacy.write('hi', 34);
    for (const magic of [0, 1]) {
      legacy.writeInt8(magic, 16);
      expect(() => readBatches(legacy)).toThrow(UnsupportedMagicError);
      expect(() => scanBatches(legacy)).toThrow(UnsupportedMagicError);
      expect(() => RecordBatch.at(legacy)).toThrow(UnsupportedMagicError);
      try {
        readBatches(legacy);
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError);
        expect((error as UnsupportedMagicError).magic).toBe(magic);
        expect((error as UnsupportedMagicError).errorCode).toBe(35);
      }
    }
    const bytes = await buildRecordBatch({ records: sampleRecords() });
    const future = Buffer.from(bytes);
    future.writeInt8(3, 16);
    expect(() => readBatches(future)).toThrow(CorruptRecordError);
    // A v2 batch followed by a legacy message is still rejected.
    expect(() => readBatches(Buffer.concat([bytes, legacy]))).toThrow(UnsupportedMagicError);
  });

  it('validates range options', () => {
    expect(() => readBatches(Buffer.alloc(4), { start: 5 })).toThrow(RangeError);
    expect(() => readBatches(Buffer.alloc(4), { end: 5 })).toThrow(RangeError);
  });
});

/** Rebuilds an uncompressed batch around hand-made record bytes, with a correct CRC. */
function batchWithRecordBytes(
  recordBytes: Buffer,
  recordCount: number,
  lastOffsetDelta = recordCount - 1,
): RecordBatch {
  const out = Buffer.alloc(61 + recordBytes.length);
  out.writeBigInt64BE(0n, 0);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(-1, 12);
  out.writeInt8(2, 16);
  out.writeInt32BE(lastOffsetDelta, 23);
  out.writeBigInt64BE(T0, 27);
  out.writeBigInt64BE(T0, 35);
  out.writeBigInt64BE(-1n, 43);
  out.writeInt16BE(-1, 51);
  out.writeInt32BE(-1, 53);
  out.writeInt32BE(recordCount, 57);
  recordBytes.copy(out, 61);
  out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  const batch = RecordBatch.at(out);
  expect(batch.isValid()).toBe(true);
  return batch;
}

describe('corrupt input', () => {
  it('notices any flipped byte in the CRC span', async () => {
    const bytes = await buildRecordBatch({
      records: sampleRecords(),
      compression: CompressionType.Snappy,
    });
    for (let i = 17; i < bytes.length; i++) {
      const bad = Buffer.from(bytes);
      bad[i] ^= 0x01;
      const batch = RecordBatch.at(bad);
      expect(batch.isValid()).toBe(false);
      expect(() => batch.verify()).toThrow(CorruptRecordError);
    }
  });

  it('rejects record count mismatches', () => {
    const records = GOLDEN_RECORDS;
    expect(() => Array.from(batchWithRecordBytes(records, 3, 2).records())).toThrow(
      InvalidRecordError,
    );
    expect(() => Array.from(batchWithRecordBytes(records, 1, 1).records())).toThrow(/remain after/);
    expect(() => Array.from(batchWithRecordBytes(records, 0, 1).records())).toThrow(
      InvalidRecordError,
    );
    expect(() => Array.from(batchWithRecordBytes(records, -1, 1).records())).toThrow(
      InvalidRecordError,
    );
    expect(() => batchWithRecordBytes(records, -1, 1).verify()).toThrow(InvalidRecordError);
    expect(() =>
      batchWithRecordBytes(records, 3, 1).verify({ requireContiguousOffsets: true }),
    ).toThrow(InvalidRecordError);
    expect(Array.from(batchWithRecordBytes(records, 2).records())).toHaveLength(2);
  });

  it('rejects records whose declared length runs past the batch or disagrees with their fields', () => {
    const tooLong = Buffer.from(GOLDEN_RECORDS);
    tooLong[0] = 0x7e; // 63 bytes, more than remain
    expect(() => Array.from(batchWithRecordBytes(tooLong, 2).records())).toThrow(
      InvalidRecordError,
    );
    const negative = Buffer.from(GOLDEN_RECORDS);
    negative[0] = 0x01; // -1
    expect(() => Array.from(batchWithRecordBytes(negative, 2).records())).toThrow(
      InvalidRecordError,
    );
    const tooShort = Buffer.from(GOLDEN_RECORDS);
    tooShort[0] = 0x18; // 12 bytes: the header value would run past the record
    expect(() => Array.from(batchWithRecordBytes(tooShort, 2).records())).toThrow(
      InvalidRecordError,
    );
  });

  it('rejects bad key, value and header lengths', () => {
    const cases: [number, number][] = [
      [4, 0x03], // key length -2
      [4, 0x7e], // key length 63, beyond the record
      [6, 0x03], // value length -2
      [9, 0x01], // header count -1
      [9, 0x7e], // header count 63
      [10, 0x01], // header key length -1
      [12, 0x03], // header value length -2
    ];
    for (const [index, byte] of cases) {
      const bad = Buffer.from(GOLDEN_RECORDS);
      bad[index] = byte;
      expect(() => Array.from(batchWithRecordBytes(bad, 2).records()), `byte ${index}`).toThrow(
        InvalidRecordError,
      );
    }
  });

  it('rejects inconsistent offset deltas', () => {
    const repeated = Buffer.from(GOLDEN_RECORDS);
    repeated[17] = 0x00; // second record's offsetDelta 0, same as the first
    expect(() => Array.from(batchWithRecordBytes(repeated, 2).records())).toThrow(
      InvalidRecordError,
    );
    const beyond = Buffer.from(GOLDEN_RECORDS);
    beyond[17] = 0x04; // offsetDelta 2 > lastOffsetDelta 1
    expect(() => Array.from(batchWithRecordBytes(beyond, 2).records())).toThrow(InvalidRecordError);
    expect(
      Array.from(batchWithRecordBytes(beyond, 2, 2).records()).map((r) => r.offsetDelta),
    ).toEqual([0, 2]);
    expect(() =>
      Array.from(batchWithRecordBytes(beyond, 2, 2).records({ requireContiguousOffsets: true })),
    ).toThrow(InvalidRecordError);
  });

  it('rejects an unknown compression id and garbage compressed data', async () => {
    const bytes = await buildRecordBatch({ records: sampleRecords() });
    const batch = RecordBatch.at(bytes);
    bytes.writeInt16BE(6, 21);
    batch.updateCrc();
    expect(() => batch.verify()).toThrow(CorruptRecordError);
    await expectRejects(batch.decodeRecords(), CorruptRecordError);
    for (const [, codec] of CODECS.slice(1)) {
      bytes.writeInt16BE(codec, 21);
      await expect(batch.decodeRecords()).rejects.toSatisfy(
        (error: unknown) => error instanceof DecodeError || error instanceof CompressionError,
      );
    }
  });

  it('refuses to inflate past maxDecompressedBytes', async () => {
    const batch = RecordBatch.at(
      await buildRecordBatch({
        compression: CompressionType.Gzip,
        records: [{ value: Buffer.alloc(1 << 20) }],
      }),
    );
    expect(batch.sizeInBytes).toBeLessThan(10_000);
    await expect(batch.decodeRecords({ maxDecompressedBytes: 64 * 1024 })).rejects.toSatisfy(
      (error: unknown) => error instanceof DecodeError || error instanceof CompressionError,
    );
  });

  it('survives random mutations with only DecodeError or CompressionError', async () => {
    const seeds = await Promise.all(
      CODECS.map(([, codec]) =>
        buildRecordBatch({
          compression: codec,
          baseOffset: 3n,
          records: sampleRecords(),
          producerId: 1n,
          producerEpoch: 0,
          baseSequence: 0,
        }),
      ),
    );
    const mutation = fc.record({
      seed: fc.nat({ max: seeds.length - 1 }),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      fixCrc: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ seed, flips, cut, fixCrc }) => {
        const bytes = Buffer.from(seeds[seed]);
        for (const [at, xor] of flips) bytes[at % bytes.length] ^= xor;
        const input = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
        try {
          const { batches } = scanBatches(input);
          for (const batch of batches) {
            if (fixCrc) batch.updateCrc();
            batch.isValid();
            await batch.decodeRecords({ maxDecompressedBytes: 1 << 20 });
            if (!batch.isCompressed) Array.from(batch.records());
          }
          readBatches(input);
        } catch (error) {
          if (!(error instanceof DecodeError) && !(error instanceof CompressionError)) throw error;
        }
      }),
      { numRuns: 400 },
    );
  });
});

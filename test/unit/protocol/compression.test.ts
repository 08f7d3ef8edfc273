import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import fc from 'fast-check';
import { compressSync as rawSnappyCompress } from 'snappy';
import { describe, expect, it } from 'vitest';

import {
  compress,
  CompressionError,
  compressionName,
  CompressionType,
  compressionTypeFromName,
  decompress,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  isCompressionTypeId,
  topicCompressionFromName,
  type CompressionTypeId,
} from '../../../src/protocol/compression/index.js';
import { parseLz4Frame } from '../../../src/protocol/compression/lz4.js';
import {
  rawUncompressedLength,
  splitXerialBlocks,
  XERIAL_BLOCK_BYTES,
  XERIAL_MAGIC,
} from '../../../src/protocol/compression/snappy.js';

const MiB = 1024 * 1024;

/** Half random bytes, half repeated text: compressible, but not trivially. */
function mixedPayload(size: number): Buffer {
  const out = Buffer.alloc(size);
  const text = Buffer.from('{"user":"alice","event":"click","page":"/home","ts":1700000000000}\n');
  for (let offset = 0; offset < size; offset += 8192) {
    const chunk = Math.min(8192, size - offset);
    if ((offset / 8192) % 2 === 0) randomBytes(chunk).copy(out, offset);
    else for (let i = 0; i < chunk; i++) out[offset + i] = text[i % text.length]!;
  }
  return out;
}

const codecs: [string, CompressionTypeId][] = [
  ['none', CompressionType.None],
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
  ['zstd', CompressionType.Zstd],
];
const realCodecs = codecs.filter(([, id]) => id !== CompressionType.None);

async function expectCompressionError(
  promise: Promise<unknown>,
  reason?: string,
): Promise<CompressionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CompressionError);
  if (reason !== undefined) expect((error as CompressionError).reason).toBe(reason);
  return error as CompressionError;
}

function xerialHeader(): Buffer {
  const header = Buffer.alloc(16);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  return header;
}

function xerialBlock(raw: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(raw.length, 0);
  return Buffer.concat([length, raw]);
}

describe('compression type names', () => {
  it('maps ids to Kafka names and back', () => {
    for (const [name, id] of codecs) {
      expect(compressionName(id)).toBe(name);
      expect(compressionTypeFromName(name)).toBe(id);
    }
  });

  it('rejects unknown producer-side names, case-sensitively like Kafka', () => {
    expect(() => compressionTypeFromName('GZIP')).toThrow(RangeError);
    expect(() => compressionTypeFromName('brotli')).toThrow(/unknown compression type 'brotli'/);
    expect(() => compressionTypeFromName('producer')).toThrow(
      /only valid as a topic or broker setting/,
    );
  });

  it('parses topic and broker settings, including uncompressed and producer', () => {
    expect(topicCompressionFromName('producer')).toBe('producer');
    expect(topicCompressionFromName('uncompressed')).toBe(CompressionType.None);
    expect(topicCompressionFromName('zstd')).toBe(CompressionType.Zstd);
    expect(() => topicCompressionFromName('lzma')).toThrow(
      /uncompressed, none, gzip, snappy, lz4, zstd, producer/,
    );
  });

  it('tells valid attribute codec ids from the rest', () => {
    expect([0, 1, 2, 3, 4].every(isCompressionTypeId)).toBe(true);
    expect([5, 6, 7, -1, 1.5].some(isCompressionTypeId)).toBe(false);
  });
});

describe.each(codecs)('%s round trip', (_name, type) => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['small', Buffer.from('hello, kafka')],
    ['1 MiB mixed', mixedPayload(MiB)],
  ])('%s input', async (_label, input) => {
    const compressed = await compress(type, input);
    const output = await decompress(type, compressed);
    expect(output.equals(input)).toBe(true);
  });
});

describe('snappy framing', () => {
  it('writes xerial framing with blocks of at most 32 KiB of input', async () => {
    const input = mixedPayload(100_000);
    const framed = await compress(CompressionType.Snappy, input);
    expect(framed.subarray(0, 8).equals(XERIAL_MAGIC)).toBe(true);
    expect(framed.readInt32BE(8)).toBe(1);
    expect(framed.readInt32BE(12)).toBe(1);
    const blockSizes = splitXerialBlocks(framed).map(rawUncompressedLength);
    expect(blockSizes).toEqual([
      XERIAL_BLOCK_BYTES,
      XERIAL_BLOCK_BYTES,
      XERIAL_BLOCK_BYTES,
      100_000 - 3 * XERIAL_BLOCK_BYTES,
    ]);
  });

  it('decodes a hand-built xerial stream', async () => {
    const parts = [
      Buffer.from('first block, '),
      Buffer.from('second block, '),
      Buffer.alloc(5000, 'x'),
    ];
    const framed = Buffer.concat([
      xerialHeader(),
      ...parts.map((part) => xerialBlock(rawSnappyCompress(part))),
    ]);
    const output = await decompress(CompressionType.Snappy, framed);
    expect(output.toString()).toBe(Buffer.concat(parts).toString());
  });

  it('decodes concatenated xerial streams, as snappy-java does', async () => {
    const framed = Buffer.concat([
      xerialHeader(),
      xerialBlock(rawSnappyCompress(Buffer.from('one '))),
      xerialHeader(),
      xerialBlock(rawSnappyCompress(Buffer.from('two'))),
    ]);
    expect((await decompress(CompressionType.Snappy, framed)).toString()).toBe('one two');
  });

  it('accepts plain raw snappy', async () => {
    const input = mixedPayload(70_000);
    const output = await decompress(CompressionType.Snappy, rawSnappyCompress(input));
    expect(output.equals(input)).toBe(true);
  });

  it('rejects a xerial block whose length overruns the input', async () => {
    const block = xerialBlock(rawSnappyCompress(Buffer.from('abc')));
    block.writeInt32BE(1000, 0);
    await expectCompressionError(
      decompress(CompressionType.Snappy, Buffer.concat([xerialHeader(), block])),
      'corrupt',
    );
  });
});

describe('corrupt input', () => {
  const garbage = Buffer.from('this is definitely not compressed data, just some bytes');

  it.each(realCodecs)('%s rejects garbage with CompressionError', async (_name, type) => {
    await expectCompressionError(decompress(type, garbage), 'corrupt');
  });

  it.each(realCodecs)('%s rejects empty input with CompressionError', async (_name, type) => {
    // No codec encodes anything as zero bytes, and Kafka never sends an empty compressed payload.
    await expectCompressionError(decompress(type, Buffer.alloc(0)), 'corrupt');
  });

  it.each(realCodecs)('%s rejects truncated output with CompressionError', async (_name, type) => {
    const compressed = await compress(type, mixedPayload(64 * 1024));
    await expectCompressionError(decompress(type, compressed.subarray(0, compressed.length - 20)));
    await expectCompressionError(decompress(type, compressed.subarray(0, compressed.length >> 1)));
  });

  it.each(realCodecs)('%s never crashes on mutated or random input', async (_name, type) => {
    const valid = await compress(type, mixedPayload(20_000));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
          fc
            .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), {
              minLength: 1,
              maxLength: 8,
            })
            .map((flips) => {
              const copy = Buffer.from(valid);
              for (const [index, mask] of flips) copy[index]! ^= mask;
              return copy;
            }),
        ),
        async (input) => {
          await decompress(type, input, MiB).then(
            (out) => expect(out.length).toBeLessThanOrEqual(MiB),
            (error: unknown) => expect(error).toBeInstanceOf(CompressionError),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rejects codec ids that are not defined', async () => {
    const error = await expectCompressionError(
      decompress(5 as CompressionTypeId, garbage),
      'unsupported',
    );
    expect(error.codec).toBe('id 5');
    await expectCompressionError(compress(7 as CompressionTypeId, garbage), 'unsupported');
  });
});

describe('decompression bomb guard', () => {
  const zeros = Buffer.alloc(10 * MiB);

  it('defaults to a 64 MiB limit', () => {
    expect(DEFAULT_MAX_DECOMPRESSED_BYTES).toBe(64 * MiB);
  });

  it('gzip: 10 MiB of zeros against a 1 MiB limit', async () => {
    const bomb = gzipSync(zeros);
    expect(bomb.length).toBeLessThan(20 * 1024);
    await expectCompressionError(decompress(CompressionType.Gzip, bomb, MiB), 'output-limit');
  });

  it.each(realCodecs)('%s: 10 MiB of zeros against a 1 MiB limit', async (_name, type) => {
    const bomb = await compress(type, zeros);
    await expectCompressionError(decompress(type, bomb, MiB), 'output-limit');
  });

  it.each(codecs)(
    '%s: output of exactly the limit passes, one byte less fails',
    async (_name, type) => {
      // A whole number of 128 KiB blocks, so zstd's structural bound is exact too.
      const input = mixedPayload(3 * 128 * 1024);
      const compressed = await compress(type, input);
      expect((await decompress(type, compressed, input.length)).equals(input)).toBe(true);
      await expectCompressionError(decompress(type, compressed, input.length - 1), 'output-limit');
    },
  );

  it('zstd: the documented slack, a partly filled last block counts as a full one', async () => {
    const input = mixedPayload(300_000);
    const compressed = await compress(CompressionType.Zstd, input);
    await expectCompressionError(
      decompress(CompressionType.Zstd, compressed, input.length),
      'output-limit',
    );
    expect((await decompress(CompressionType.Zstd, compressed, 3 * 128 * 1024)).equals(input)).toBe(
      true,
    );
  });

  it('lz4: a frame whose block maximum exceeds the limit still decodes exactly, block by block', async () => {
    const input = mixedPayload(100_000);
    const frame = await compress(CompressionType.Lz4, input);
    expect(parseLz4Frame(frame).blockMaxBytes).toBeGreaterThan(200_000);
    expect((await decompress(CompressionType.Lz4, frame, 200_000)).equals(input)).toBe(true);
    expect((await decompress(CompressionType.Lz4, frame, 100_000)).equals(input)).toBe(true);
    await expectCompressionError(decompress(CompressionType.Lz4, frame, 99_999), 'output-limit');
  });

  it('lz4: a declared content size over the limit is rejected before decoding', async () => {
    // magic, FLG (version 01, independent blocks, content size), BD (64 KiB), size, HC, end mark
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x68, 0x40]);
    const contentSize = Buffer.alloc(8);
    contentSize.writeBigUInt64LE(1n << 40n);
    const frame = Buffer.concat([header, contentSize, Buffer.from([0x00]), Buffer.alloc(4)]);
    await expectCompressionError(decompress(CompressionType.Lz4, frame, MiB), 'output-limit');
  });

  it('lz4: dependent-block frames are refused, as Kafka does', async () => {
    const frame = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0x00, 0, 0, 0, 0]);
    await expectCompressionError(decompress(CompressionType.Lz4, frame), 'unsupported');
  });

  it('snappy: a raw block claiming a huge length is rejected before decoding', async () => {
    // varint 0xFFFFFFFF followed by junk: the header alone exceeds the limit.
    const bomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x01, 0x02]);
    await expectCompressionError(decompress(CompressionType.Snappy, bomb, MiB), 'output-limit');
  });

  it('rejects a limit that is not a non-negative integer', async () => {
    await expect(decompress(CompressionType.Gzip, gzipSync(zeros), Number.NaN)).rejects.toThrow(
      RangeError,
    );
    await expect(decompress(CompressionType.Gzip, gzipSync(zeros), -1)).rejects.toThrow(RangeError);
  });
});

describe('zstd frames', () => {
  it('decodes concatenated frames', async () => {
    const a = await compress(CompressionType.Zstd, Buffer.from('first frame, '));
    const b = await compress(CompressionType.Zstd, Buffer.from('second frame'));
    expect((await decompress(CompressionType.Zstd, Buffer.concat([a, b]))).toString()).toBe(
      'first frame, second frame',
    );
  });

  it('rejects a reserved block type', async () => {
    // magic, descriptor (single segment, 1-byte content size), size 3, block header type 3
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x03, 0x07, 0x00, 0x00]);
    await expectCompressionError(decompress(CompressionType.Zstd, frame), 'corrupt');
  });
});

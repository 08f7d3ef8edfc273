import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';

import { asCompressionError, CompressionError, outputLimitError } from './compression-error.js';

/** Kafka's default `compression.zstd.level`. */
export const ZSTD_DEFAULT_LEVEL = 3;

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MAX_BLOCK_BYTES = 128 * 1024;
const BLOCK_TYPE_RAW = 0;
const BLOCK_TYPE_RLE = 1;
const BLOCK_TYPE_COMPRESSED = 2;

export async function compressZstd(data: Buffer): Promise<Buffer> {
  try {
    return await zstdCompress(data, ZSTD_DEFAULT_LEVEL);
  } catch (error) {
    throw asCompressionError('zstd', 'compress-failed', 'compress', error);
  }
}

/**
 * Limitation: the zstd binding has no output limit and buffers the whole result, so the limit
 * is enforced before decoding, from the frame structure: raw and RLE block sizes, and at most
 * the 128 KiB block maximum per compressed block. That bound is never below the true size, so the library never allocates past the
 * limit; the price is that a frame whose true size is just under the limit can be rejected
 * when its compressed blocks are far from full (at most 128 KiB of slack per such block).
 */
export async function decompressZstd(data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  const { worstCaseBytes, declaredContentBytes } = measureZstdFrames(data);
  if (declaredContentBytes !== undefined && declaredContentBytes > maxOutputBytes) {
    throw outputLimitError('zstd', declaredContentBytes, maxOutputBytes);
  }
  if (worstCaseBytes > maxOutputBytes)
    throw outputLimitError('zstd', worstCaseBytes, maxOutputBytes, true);
  let output: Buffer;
  try {
    output = await zstdDecompress(data);
  } catch (error) {
    throw asCompressionError('zstd', 'corrupt', 'decompress', error);
  }
  if (output.length > maxOutputBytes) throw outputLimitError('zstd', output.length, maxOutputBytes);
  return output;
}

/**
 * Walks every frame (and skippable frame) in `data`, validating the structure. Returns the
 * most bytes the blocks can decode to, and the sum of the content sizes frames declare (if
 * any do). The declared size only serves to reject early: the decoder may emit blocks before
 * it notices a frame lied about its size, so the bound comes from the blocks themselves.
 * Frame layout as in RFC 8878 section 3.1.
 */
export function measureZstdFrames(data: Buffer): {
  worstCaseBytes: number;
  declaredContentBytes: number | undefined;
} {
  if (data.length === 0) throw corrupt('empty input');
  let total = 0;
  let declaredTotal: number | undefined;
  let position = 0;
  while (position < data.length) {
    if (data.length - position < 4) throw corrupt('truncated frame magic');
    const magic = data.readUInt32LE(position);
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (data.length - position < 8) throw corrupt('truncated skippable frame');
      const size = data.readUInt32LE(position + 4);
      position += 8 + size;
      if (position > data.length) throw corrupt('truncated skippable frame');
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt('not a zstd frame (bad magic)');
    const frame = readFrame(data, position + 4);
    if (frame.contentSize !== undefined) declaredTotal = (declaredTotal ?? 0) + frame.contentSize;
    total += frame.worstCaseBytes;
    position = frame.end;
  }
  return { worstCaseBytes: total, declaredContentBytes: declaredTotal };
}

function readFrame(
  data: Buffer,
  headerStart: number,
): { worstCaseBytes: number; contentSize: number | undefined; end: number } {
  let position = headerStart;
  const descriptor = byteAt(data, position++, 'frame header');
  const contentSizeFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const hasChecksum = (descriptor & 0x04) !== 0;
  if ((descriptor & 0x08) !== 0) throw corrupt('reserved frame header bit is set');
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 0x03]!;
  const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag]!;

  // The window size is not needed: a compressed block never decodes to more than 128 KiB, and
  // trusting a smaller claimed window would make the bound depend on the decoder enforcing it.
  if (!singleSegment) position += 1; // window descriptor
  position += dictionaryIdBytes;
  let contentSize: number | undefined;
  if (contentSizeBytes > 0) {
    if (data.length < position + contentSizeBytes) throw corrupt('truncated frame content size');
    if (contentSizeBytes === 1) contentSize = data[position]!;
    else if (contentSizeBytes === 2) contentSize = data.readUInt16LE(position) + 256;
    else if (contentSizeBytes === 4) contentSize = data.readUInt32LE(position);
    else contentSize = Number(data.readBigUInt64LE(position));
    position += contentSizeBytes;
  }

  let blocksBytes = 0;
  for (;;) {
    if (data.length < position + 3) throw corrupt('truncated block header');
    const header = data.readUIntLE(position, 3);
    position += 3;
    const isLast = (header & 1) !== 0;
    const type = (header >> 1) & 0x03;
    const size = header >> 3;
    if (type === BLOCK_TYPE_RAW) {
      position += size;
      blocksBytes += size;
    } else if (type === BLOCK_TYPE_RLE) {
      position += 1;
      blocksBytes += size;
    } else if (type === BLOCK_TYPE_COMPRESSED) {
      position += size;
      blocksBytes += MAX_BLOCK_BYTES;
    } else {
      throw corrupt('reserved block type');
    }
    if (position > data.length) throw corrupt('truncated block');
    if (isLast) break;
  }
  if (hasChecksum) position += 4;
  if (position > data.length) throw corrupt('truncated frame checksum');
  return { worstCaseBytes: blocksBytes, contentSize, end: position };
}

function byteAt(data: Buffer, position: number, what: string): number {
  const value = data[position];
  if (value === undefined) throw corrupt(`truncated ${what}`);
  return value;
}

function corrupt(message: string): CompressionError {
  return new CompressionError('zstd', 'corrupt', message);
}

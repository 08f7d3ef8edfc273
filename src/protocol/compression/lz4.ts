import {
  compressFrame,
  decompressFrame,
  uncompress as uncompressSizePrefixedBlock,
} from 'lz4-napi';

import { asCompressionError, CompressionError, outputLimitError } from './compression-error.js';

/**
 * LZ4 as record batches carry it: the standard LZ4 frame format (magic 0x184D2204) with
 * independent blocks, which Kafka requires. Magic v0/v1 message sets from very old clients
 * used a miscomputed header checksum; v2 batches do not, and the header checksum is not
 * verified here anyway (the batch CRC already covers these bytes).
 */
const FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICTIONARY_ID = 0x01;
const BLOCK_UNCOMPRESSED_BIT = 0x80000000;
const BLOCK_MAX_BYTES_BY_ID: Readonly<Record<number, number>> = {
  4: 64 << 10,
  5: 256 << 10,
  6: 1 << 20,
  7: 4 << 20,
};

export async function compressLz4(data: Buffer): Promise<Buffer> {
  try {
    // The library's defaults: independent blocks, no checksums, which every Kafka reader accepts.
    return await compressFrame(data);
  } catch (error) {
    throw asCompressionError('lz4', 'compress-failed', 'compress', error);
  }
}

export async function decompressLz4(data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  const frame = parseLz4Frame(data);
  if (frame.contentSize !== undefined && frame.contentSize > maxOutputBytes) {
    throw outputLimitError('lz4', frame.contentSize, maxOutputBytes);
  }
  // A declared content size only rejects early; the bound must come from the blocks, since a
  // lying frame is only caught after its blocks are decoded.
  const worstCase = worstCaseOutputBytes(frame);
  const output =
    worstCase <= maxOutputBytes
      ? await decodeWholeFrame(data)
      : await decodeBlockByBlock(frame, maxOutputBytes);
  if (output.length > maxOutputBytes) throw outputLimitError('lz4', output.length, maxOutputBytes);
  if (frame.contentSize !== undefined && output.length !== frame.contentSize) {
    throw corrupt(`frame declares ${frame.contentSize} bytes but decodes to ${output.length}`);
  }
  return output;
}

/**
 * For magic 0 message sets: clients of that era computed the frame header checksum over the
 * wrong bytes (KAFKA-3160), and Kafka ignores it for them. Decoding block by block never
 * looks at it; the message CRC covers these bytes anyway.
 */
export async function decompressLz4IgnoringHeaderChecksum(
  data: Buffer,
  maxOutputBytes: number,
): Promise<Buffer> {
  const frame = parseLz4Frame(data);
  if (frame.contentSize !== undefined && frame.contentSize > maxOutputBytes) {
    throw outputLimitError('lz4', frame.contentSize, maxOutputBytes);
  }
  const output = await decodeBlockByBlock(frame, maxOutputBytes);
  if (frame.contentSize !== undefined && output.length !== frame.contentSize) {
    throw corrupt(`frame declares ${frame.contentSize} bytes but decodes to ${output.length}`);
  }
  return output;
}

interface Lz4Block {
  /** The block's payload (without its length prefix or checksum). */
  bytes: Buffer;
  compressed: boolean;
}

interface Lz4Frame {
  blockMaxBytes: number;
  contentSize: number | undefined;
  blocks: Lz4Block[];
}

/** Reads the frame's structure without decoding it, rejecting anything malformed. */
export function parseLz4Frame(data: Buffer): Lz4Frame {
  if (data.length < 7) throw corrupt('truncated frame header');
  if (data.readUInt32LE(0) !== FRAME_MAGIC) throw corrupt('not an LZ4 frame (bad magic)');
  const flg = data[4]!;
  const bd = data[5]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01)
    throw corrupt(`unsupported frame version bits 0x${flg.toString(16)}`);
  if ((flg & FLG_RESERVED) !== 0 || (bd & 0x8f) !== 0)
    throw corrupt('reserved header bits are set');
  if ((flg & FLG_BLOCK_INDEPENDENCE) === 0) {
    throw new CompressionError(
      'lz4',
      'unsupported',
      'frames with dependent blocks are not accepted (Kafka requires independent blocks)',
    );
  }
  if ((flg & FLG_DICTIONARY_ID) !== 0)
    throw new CompressionError('lz4', 'unsupported', 'frames using a dictionary are not accepted');
  const blockMaxBytes = BLOCK_MAX_BYTES_BY_ID[(bd >> 4) & 0x07];
  if (blockMaxBytes === undefined)
    throw corrupt(`invalid block maximum size id ${(bd >> 4) & 0x07}`);

  let position = 6;
  let contentSize: number | undefined;
  if ((flg & FLG_CONTENT_SIZE) !== 0) {
    if (data.length < position + 8) throw corrupt('truncated content size');
    contentSize = Number(data.readBigUInt64LE(position));
    position += 8;
  }
  position += 1; // header checksum
  if (position > data.length) throw corrupt('truncated frame header');

  const blockChecksumBytes = (flg & FLG_BLOCK_CHECKSUM) !== 0 ? 4 : 0;
  const blocks: Lz4Block[] = [];
  for (;;) {
    if (data.length < position + 4) throw corrupt('truncated block size (missing end mark)');
    const word = data.readUInt32LE(position);
    position += 4;
    if (word === 0) break; // end mark
    const size = word & ~BLOCK_UNCOMPRESSED_BIT;
    if (size > data.length - position - blockChecksumBytes)
      throw corrupt(`block of ${size} bytes overruns the frame`);
    blocks.push({
      bytes: data.subarray(position, position + size),
      compressed: (word & BLOCK_UNCOMPRESSED_BIT) === 0,
    });
    position += size + blockChecksumBytes;
  }
  if ((flg & FLG_CONTENT_CHECKSUM) !== 0) position += 4;
  if (position !== data.length) {
    throw corrupt(
      position > data.length
        ? 'truncated content checksum'
        : `${data.length - position} unexpected bytes after the frame`,
    );
  }
  return { blockMaxBytes, contentSize, blocks };
}

/** Stored blocks decode to their own size; a compressed block to at most the block maximum. */
function worstCaseOutputBytes(frame: Lz4Frame): number {
  let total = 0;
  for (const block of frame.blocks)
    total += block.compressed ? frame.blockMaxBytes : block.bytes.length;
  return total;
}

/** The fast path: one native call, which also verifies any checksums the frame carries. */
async function decodeWholeFrame(data: Buffer): Promise<Buffer> {
  try {
    return await decompressFrame(data);
  } catch (error) {
    throw asCompressionError('lz4', 'corrupt', 'decompress', error);
  }
}

/**
 * When the frame structure alone cannot prove the output fits (no declared content size and
 * partially filled blocks, or a real bomb), decode one independent block at a time, each
 * into at most one block maximum of memory, and stop as soon as the limit is passed.
 */
async function decodeBlockByBlock(frame: Lz4Frame, maxOutputBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for (const block of frame.blocks) {
    let decoded: Buffer;
    if (block.compressed) {
      // The library's block decoder takes a 4-byte little-endian output capacity prefix.
      const prefixed = Buffer.allocUnsafe(4 + block.bytes.length);
      prefixed.writeUInt32LE(frame.blockMaxBytes, 0);
      block.bytes.copy(prefixed, 4);
      try {
        decoded = await uncompressSizePrefixedBlock(prefixed);
      } catch (error) {
        throw asCompressionError('lz4', 'corrupt', 'decompress', error);
      }
    } else {
      decoded = block.bytes;
    }
    total += decoded.length;
    if (total > maxOutputBytes) throw outputLimitError('lz4', total, maxOutputBytes);
    parts.push(decoded);
  }
  return Buffer.concat(parts, total);
}

function corrupt(message: string): CompressionError {
  return new CompressionError('lz4', 'corrupt', message);
}

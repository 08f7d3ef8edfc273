import { checkOutputLimit, CompressionError } from './compression-error.js';
import { CompressionType, type CompressionTypeId } from './compression-type.js';
import { compressGzip, decompressGzip } from './gzip.js';
import { compressLz4, decompressLz4 } from './lz4.js';
import { compressSnappy, decompressSnappy } from './snappy.js';
import { compressZstd, decompressZstd } from './zstd.js';

export { decompressLz4IgnoringHeaderChecksum } from './lz4.js';
export { CompressionError, type CompressionErrorReason } from './compression-error.js';
export {
  compressionName,
  CompressionType,
  compressionTypeFromName,
  isCompressionTypeId,
  topicCompressionFromName,
  type CompressionName,
  type CompressionTypeId,
  type TopicCompression,
} from './compression-type.js';

/**
 * Default cap on what one decompression may produce. Far above any sane record batch (Kafka's
 * message.max.bytes defaults to about 1 MiB of compressed bytes), yet small enough that a
 * decompression bomb cannot exhaust memory.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * Compresses `data` the way Kafka clients do for the codec: gzip member, xerial-framed
 * snappy, LZ4 frame, or zstd frame. `None` returns `data` itself. All codecs run off the
 * event loop (native async calls), which also keeps memory in check when called in a loop.
 */
export async function compress(type: CompressionTypeId, data: Buffer): Promise<Buffer> {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return compressGzip(data);
    case CompressionType.Snappy:
      return compressSnappy(data);
    case CompressionType.Lz4:
      return compressLz4(data);
    case CompressionType.Zstd:
      return compressZstd(data);
    default:
      throw unsupportedCodec(type);
  }
}

/**
 * Decompresses a record batch's records section. Never produces more than `maxOutputBytes`:
 * gzip stops inside zlib, snappy and LZ4 are checked against sizes the input states before
 * anything large is allocated, and zstd is checked against a bound computed from its frame
 * structure (see `decompressZstd` for the one limitation). Every failure, including an unknown
 * codec id, rejects with a `CompressionError`.
 */
export async function decompress(
  type: CompressionTypeId,
  data: Buffer,
  maxOutputBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Promise<Buffer> {
  checkOutputLimit(maxOutputBytes);
  switch (type) {
    case CompressionType.None:
      if (data.length > maxOutputBytes) {
        throw new CompressionError(
          'none',
          'output-limit',
          `${data.length} bytes exceed the limit of ${maxOutputBytes} bytes`,
        );
      }
      return data;
    case CompressionType.Gzip:
      return decompressGzip(data, maxOutputBytes);
    case CompressionType.Snappy:
      return decompressSnappy(data, maxOutputBytes);
    case CompressionType.Lz4:
      return decompressLz4(data, maxOutputBytes);
    case CompressionType.Zstd:
      return decompressZstd(data, maxOutputBytes);
    default:
      throw unsupportedCodec(type);
  }
}

function unsupportedCodec(type: number): CompressionError {
  // Ids come straight from batch attributes at runtime, so the type system cannot rule 5-7 out.
  return new CompressionError(`id ${type}`, 'unsupported', `unknown compression type id ${type}`);
}

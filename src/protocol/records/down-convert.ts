import { CompressionType } from '../compression/index.js';
import { scanBatches } from './batch-iterator.js';
import { buildLegacyMessages, type LegacyMagic } from './legacy-message-set.js';
import type { TimestampTypeId } from './record-batch.js';

/** A stored batch uses a codec the requested message format cannot express (zstd). */
export class UnsupportedLegacyCompressionError extends Error {
  constructor(readonly compression: number) {
    super(`compression id ${compression} cannot be down-converted to a legacy message set`);
    this.name = 'UnsupportedLegacyCompressionError';
  }
}

/**
 * Rewrites v2 batches read from the log as a magic 0 or 1 message set for Fetch v0-3, as
 * Kafka's down-conversion does:
 * - control batches are dropped, and so are headers and producer fields;
 * - an uncompressed batch becomes one message per record, leaving out records before
 *   `fetchOffset` (old clients expect the first message at the offset they asked for);
 * - a compressed batch becomes one wrapper with the same codec holding all its records;
 * - the result stays within the size that was read, or the size of the first converted
 *   batch if that is larger, so a consumer always makes progress (Kafka's
 *   LazyDownConversionRecords sizes its answer the same way). It ends at a message
 *   boundary where Kafka would send a partial message, which old clients drop.
 * A trailing partial batch is dropped.
 */
export async function downConvertBatches(
  records: Buffer,
  toMagic: LegacyMagic,
  fetchOffset: bigint,
): Promise<Buffer> {
  const { batches } = scanBatches(records);
  const parts: Buffer[] = [];
  let size = 0;
  let limit = records.length;
  for (const batch of batches) {
    if (batch.isControl) continue;
    const compression = batch.compression;
    if (compression === CompressionType.Zstd) {
      throw new UnsupportedLegacyCompressionError(compression);
    }
    const decoded = await batch.decodeRecords();
    const kept =
      compression === CompressionType.None
        ? decoded.filter((record) => record.offset >= fetchOffset)
        : decoded;
    if (kept.length === 0) continue;
    const first = parts.length === 0;
    const converted = await buildLegacyMessages(kept, {
      magic: toMagic,
      compression,
      timestampType: batch.timestampType as TimestampTypeId,
      logAppendTime: batch.maxTimestamp,
    });
    if (first) {
      // Like Kafka, the answer may grow to the whole first converted batch.
      limit = Math.max(
        limit,
        converted.reduce((sum, entry) => sum + entry.length, 0),
      );
    }
    for (const entry of converted) {
      if (size + entry.length > limit) return Buffer.concat(parts, size);
      parts.push(entry);
      size += entry.length;
    }
  }
  return Buffer.concat(parts, size);
}

import {
  CorruptRecordError,
  frameBatch,
  HEADER_SIZE_UP_TO_MAGIC,
  LOG_OVERHEAD,
  RecordBatch,
} from '../../protocol/records/index.js';
import type { LogSegment } from '../log-segment.js';

const BATCH_LENGTH_AT = 8;

/**
 * Whole record batches of `segment` between file positions `from` and `to`, read in
 * chunks of about `chunkBytes` (a batch larger than a chunk is read on its own). Each
 * view points into its own freshly read chunk, so it stays valid after iteration moves on.
 */
export async function* readSegmentBatches(
  segment: LogSegment,
  from: number,
  to: number,
  chunkBytes: number,
): AsyncGenerator<RecordBatch> {
  let position = from;
  while (position < to) {
    let chunk = await segment.read(position, Math.min(chunkBytes, to - position));
    let consumed = 0;
    while (consumed < chunk.length) {
      const size = frameBatch(chunk, consumed, chunk.length);
      if (size >= 0) {
        yield new RecordBatch(chunk, consumed);
        consumed += size;
        continue;
      }
      if (consumed > 0) break; // the batch starts the next chunk
      const declared =
        chunk.length >= HEADER_SIZE_UP_TO_MAGIC
          ? chunk.readInt32BE(BATCH_LENGTH_AT) + LOG_OVERHEAD
          : Number.POSITIVE_INFINITY;
      if (position + declared > to) {
        throw new CorruptRecordError(
          `${segment.paths.log}: batch at position ${position} runs past position ${to}`,
        );
      }
      chunk = await segment.read(position, declared);
      if (chunk.length < declared) {
        throw new CorruptRecordError(
          `${segment.paths.log}: batch at position ${position} is cut short in the file`,
        );
      }
    }
    if (consumed === 0) {
      throw new CorruptRecordError(
        `${segment.paths.log}: no batch readable at position ${position}`,
      );
    }
    position += consumed;
  }
}

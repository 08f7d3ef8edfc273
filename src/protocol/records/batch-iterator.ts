import { CorruptRecordError } from './errors.js';
import { frameBatch, RecordBatch } from './record-batch.js';

export interface BatchFramingOptions {
  /** Where the concatenated batches start (default 0). */
  start?: number;
  /** Where they end (default buf.length). */
  end?: number;
  /** Reject any batch larger than this (e.g. the topic's max.message.bytes + 12). */
  maxBatchSize?: number;
}

export interface BatchScanResult {
  batches: RecordBatch[];
  /** Bytes of an incomplete trailing batch that were not returned (0 when none). */
  trailingBytes: number;
}

function checkBounds(buf: Buffer, start: number, end: number): void {
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(end) ||
    start < 0 ||
    start > end ||
    end > buf.length
  ) {
    throw new RangeError(`invalid range [${start}, ${end}) over a buffer of ${buf.length} bytes`);
  }
}

/** All complete batches plus the size of a truncated tail (a Fetch response's last batch). */
export function scanBatches(buf: Buffer, options: BatchFramingOptions = {}): BatchScanResult {
  return collectBatches(buf, options, 'stop');
}

/** All batches; any framing problem, including a truncated tail, throws a DecodeError. */
export function readBatches(buf: Buffer, options: BatchFramingOptions = {}): RecordBatch[] {
  return collectBatches(buf, options, 'throw').batches;
}

/**
 * A zero-copy RecordBatch view for each batch in a run of concatenated v2 batches. Framing
 * errors (batchLength below 49, unknown magic) throw CorruptRecordError, legacy message sets
 * throw UnsupportedMagicError; neither the CRC nor the records are examined. An incomplete
 * last batch throws, or with 'stop' is left out and its bytes counted (Fetch responses may
 * end mid-batch).
 */
function collectBatches(
  buf: Buffer,
  options: BatchFramingOptions,
  onTruncated: 'throw' | 'stop',
): BatchScanResult {
  const start = options.start ?? 0;
  const end = options.end ?? buf.length;
  checkBounds(buf, start, end);
  const maxBatchSize = options.maxBatchSize ?? Infinity;
  const batches: RecordBatch[] = [];
  let position = start;
  while (position < end) {
    const size = frameBatch(buf, position, end, maxBatchSize);
    if (size < 0) {
      if (onTruncated === 'stop') return { batches, trailingBytes: end - position };
      throw new CorruptRecordError(
        `truncated record batch: ${end - position} bytes left at offset ${position}`,
      );
    }
    batches.push(new RecordBatch(buf, position, true));
    position += size;
  }
  return { batches, trailingBytes: 0 };
}

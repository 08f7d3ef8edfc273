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

export interface BatchIterationOptions extends BatchFramingOptions {
  /**
   * What to do with an incomplete batch at the end: 'throw' (default; Produce requests and
   * segment recovery) or 'stop' (Fetch responses may end mid-batch; the generator then
   * returns the number of leftover bytes).
   */
  onTruncated?: 'throw' | 'stop';
}

export interface BatchScanResult {
  batches: RecordBatch[];
  /** Bytes of an incomplete trailing batch that were not returned (0 when none). */
  trailingBytes: number;
}

function bounds(buf: Buffer, options: BatchFramingOptions): [number, number] {
  const start = options.start ?? 0;
  const end = options.end ?? buf.length;
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(end) ||
    start < 0 ||
    start > end ||
    end > buf.length
  ) {
    throw new RangeError(`invalid range [${start}, ${end}) over a buffer of ${buf.length} bytes`);
  }
  return [start, end];
}

/**
 * Yields a zero-copy RecordBatch view for each batch in a run of concatenated v2 batches.
 * Framing errors (batchLength below 49, unknown magic) throw CorruptRecordError, legacy
 * message sets throw UnsupportedMagicError; neither the CRC nor the records are examined.
 * Returns the number of trailing bytes left unread (only non-zero with onTruncated 'stop').
 */
export function* iterateBatches(
  buf: Buffer,
  options: BatchIterationOptions = {},
): Generator<RecordBatch, number, undefined> {
  const [start, end] = bounds(buf, options);
  const maxBatchSize = options.maxBatchSize ?? Infinity;
  let position = start;
  while (position < end) {
    const size = frameBatch(buf, position, end, maxBatchSize);
    if (size < 0) {
      if (options.onTruncated === 'stop') return end - position;
      throw new CorruptRecordError(
        `truncated record batch: ${end - position} bytes left at offset ${position}`,
      );
    }
    yield new RecordBatch(buf, position);
    position += size;
  }
  return 0;
}

/** All complete batches plus the size of a truncated tail (a Fetch response's last batch). */
export function scanBatches(buf: Buffer, options: BatchFramingOptions = {}): BatchScanResult {
  const batches: RecordBatch[] = [];
  const iterator = iterateBatches(buf, { ...options, onTruncated: 'stop' });
  for (;;) {
    const step = iterator.next();
    if (step.done) return { batches, trailingBytes: step.value };
    batches.push(step.value);
  }
}

/** All batches; any framing problem, including a truncated tail, throws a DecodeError. */
export function readBatches(buf: Buffer, options: BatchFramingOptions = {}): RecordBatch[] {
  return Array.from(iterateBatches(buf, { ...options, onTruncated: 'throw' }));
}

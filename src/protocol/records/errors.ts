import { DecodeError } from '../primitives/decode-error.js';

/**
 * The bytes cannot be a record batch: bad CRC, impossible batch length, unknown magic or
 * compression id, truncation. Kafka answers these with CORRUPT_MESSAGE.
 */
export class CorruptRecordError extends DecodeError {
  /** CORRUPT_MESSAGE. */
  readonly errorCode: number = 2;

  constructor(message: string) {
    super(message);
    (this as { name: string }).name = 'CorruptRecordError';
  }
}

/**
 * The batch is well framed but its records break Kafka's record rules (record sizes,
 * record count, offset deltas, header counts). Kafka answers these with INVALID_RECORD.
 */
export class InvalidRecordError extends DecodeError {
  /** INVALID_RECORD. */
  readonly errorCode: number = 87;

  constructor(message: string) {
    super(message);
    (this as { name: string }).name = 'InvalidRecordError';
  }
}

/**
 * A legacy message set (magic 0 or 1) where v2 record batches were expected. Produce v0-2
 * and Fetch v0-3 convert such sets (legacy-message-set.ts); everywhere else they are refused.
 */
export class UnsupportedMagicError extends DecodeError {
  /** UNSUPPORTED_VERSION. (Kafka 3.x answers Produce v3+ carrying old magic with INVALID_RECORD.) */
  readonly errorCode: number = 35;

  constructor(
    readonly magic: number,
    position: number,
  ) {
    super(
      `legacy message set (magic ${magic}) at offset ${position}: only record batch v2 is supported`,
    );
    (this as { name: string }).name = 'UnsupportedMagicError';
  }
}

import { KafkaStorageError, OffsetOutOfRangeError } from '../log/log.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import {
  CorruptRecordError,
  InvalidRecordError,
  UnsupportedMagicError,
} from '../protocol/records/index.js';
import type { RecordErrorInfo } from './types.js';

/** A produce validation failure, with Kafka's per-record errors when there are any. */
export class RecordValidationError extends KafkaError {
  constructor(
    code: number,
    message: string,
    readonly recordErrors: RecordErrorInfo[] = [],
  ) {
    super(code, message);
  }
}

/** Throws a RecordValidationError: the produce to this partition fails with `code`. */
export function rejectRecords(
  code: number,
  message: string,
  recordErrors: RecordErrorInfo[] = [],
): never {
  throw new RecordValidationError(code, message, recordErrors);
}

/** Kafka's error code for an error thrown while serving a partition; unknown ones are -1. */
export function errorCodeOf(err: unknown): number {
  if (err instanceof KafkaError) return err.code;
  if (err instanceof OffsetOutOfRangeError) return ErrorCode.OFFSET_OUT_OF_RANGE;
  if (err instanceof KafkaStorageError) return ErrorCode.KAFKA_STORAGE_ERROR;
  if (err instanceof CorruptRecordError || err instanceof InvalidRecordError) return err.errorCode;
  // Kafka answers Produce v3+ carrying an old message format with INVALID_RECORD.
  if (err instanceof UnsupportedMagicError) return ErrorCode.INVALID_RECORD;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export function errorMessageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * What a controller operation decides before anything is written: the records to append
 * (one atomic batch) and the response to give once they are committed (Kafka's
 * ControllerResult). Operations are pure functions of the current image, so they can be
 * tested without a log and replayed by any quorum implementation.
 */
import type { MetadataRecord } from '../metadata/metadata-records.js';

export interface ControllerResult<T> {
  readonly records: readonly MetadataRecord[];
  readonly response: T;
}

/** Kafka's QuorumController.MAX_RECORDS_PER_USER_OP. */
export const MAX_RECORDS_PER_USER_OP = 10_000;

/** The message Kafka gives a PolicyViolation for an operation over MAX_RECORDS_PER_USER_OP. */
export const EXCESSIVE_BATCH_MESSAGE = 'Unable to perform excessively large batch operation.';

/**
 * Per-topic log settings, typed. Parsing and validation of Kafka's property names
 * (segment.bytes, retention.ms, ...) lives in topic-config.ts; the log only sees this.
 */
export type CleanupPolicy = 'delete' | 'compact';
export type TimestampTypeName = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  segmentJitterMs: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  retentionMs: number;
  retentionBytes: number;
  cleanupPolicy: readonly CleanupPolicy[];
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  messageTimestampType: TimestampTypeName;
  messageTimestampBeforeMaxMs: number;
  messageTimestampAfterMaxMs: number;
  maxMessageBytes: number;
  flushMessages: number;
  flushMs: number;
  fileDeleteDelayMs: number;
}

/** Kafka's Long.MAX_VALUE, used by Kafka as "never" for ms and counts. */
export const LONG_MAX = 2 ** 63 - 1; // rounds to 2^63 as a double: a sentinel, not arithmetic

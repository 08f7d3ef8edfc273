import type { LogConfig } from '../../src/log/log-config.js';

/**
 * A LogConfig for tests: Kafka's defaults except small segments (4 KiB) and a small index
 * interval (256 bytes), so a few dozen batches already exercise rolls and index lookups.
 * Never flushes or deletes on its own; override what a test is about.
 */
export function testLogConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return {
    segmentBytes: 4096,
    segmentMs: 604_800_000,
    segmentJitterMs: 0,
    segmentIndexBytes: 10_485_760,
    indexIntervalBytes: 256,
    retentionMs: 604_800_000,
    retentionBytes: -1,
    cleanupPolicy: ['delete'],
    deleteRetentionMs: 86_400_000,
    minCleanableDirtyRatio: 0.5,
    minCompactionLagMs: 0,
    maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
    messageTimestampType: 'CreateTime',
    messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
    messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
    maxMessageBytes: 1_048_588,
    flushMessages: Number.MAX_SAFE_INTEGER,
    flushMs: Number.MAX_SAFE_INTEGER,
    fileDeleteDelayMs: 0,
    ...overrides,
  };
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public ms: number = 1_700_000_000_000) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * Broker-wide cleaner settings (Kafka's log.cleaner.* properties). Per-topic settings
 * (cleanup.policy, min.cleanable.dirty.ratio, delete.retention.ms, the compaction lags)
 * come from each log's LogConfig.
 */
export interface CleanerConfig {
  /** log.cleaner.dedupe.buffer.size: memory of the key → offset map, 24 bytes per key. */
  dedupeBufferBytes: number;
  /** log.cleaner.io.buffer.load.factor: how full the map may get before a pass stops mapping. */
  dedupeBufferLoadFactor: number;
  /** Bytes read from a segment at a time (log.cleaner.io.buffer.size in spirit). */
  ioBufferBytes: number;
  /** log.cleaner.backoff.ms: wait between periodic passes that found nothing to clean. */
  backoffMs: number;
  /** Bytes processed between yields to the event loop, so a pass never hogs it. */
  yieldEveryBytes: number;
  /**
   * producer.id.expiration.ms: a producer silent for this long no longer needs its last
   * batch kept for its sequence state.
   */
  producerIdExpirationMs: number;
}

export const DEFAULT_CLEANER_CONFIG: Readonly<CleanerConfig> = {
  dedupeBufferBytes: 128 * 1024 * 1024,
  dedupeBufferLoadFactor: 0.9,
  ioBufferBytes: 1024 * 1024,
  backoffMs: 15_000,
  yieldEveryBytes: 2 * 1024 * 1024,
  producerIdExpirationMs: 86_400_000,
};

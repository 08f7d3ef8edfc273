/** Log compaction (cleanup.policy=compact): Kafka's log cleaner. */
export { LogCleaner, type LogCleanerOptions, type CleaningOutcome } from './log-cleaner.js';
export { Cleaner, groupSegmentsBySize, type CleanResult } from './cleaner.js';
export {
  cleanableOffsets,
  isDirtyEnough,
  logToClean,
  rankLogsToClean,
  selectLogToClean,
  type CleanerCandidate,
  type LogToClean,
} from './cleanable.js';
export { CleanerCheckpoints, type PartitionDirOwner } from './cleaner-checkpoint.js';
export { DEFAULT_CLEANER_CONFIG, type CleanerConfig } from './cleaner-config.js';
export { OffsetMap } from './offset-map.js';
export { CleaningAbortedError } from './pacer.js';
export type { CleanerStats } from './batch-filter.js';
export { completeInterruptedSwaps } from './segment-swap.js';

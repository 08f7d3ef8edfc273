import type { BrokerConfig } from '../../config/broker-config.js';

/** The settings the group coordinator runs with, from Kafka's `group.*` and `offsets.*`. */
export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions: used until `__consumer_offsets` exists with its own count. */
  offsetsTopicPartitions: number;
  offsetsTopicReplicationFactor: number;
  offsetsTopicSegmentBytes: number;
  /** 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  offsetsTopicCompressionCodec: number;
  offsetsCommitTimeoutMs: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  offsetMetadataMaxBytes: number;
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxSize: number;
  /** How long a new member's JoinGroup may wait in a rebalance (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
}

/** Kafka's group.classic.new.member.join.timeout.ms default. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

export function groupCoordinatorConfig(config: BrokerConfig): GroupCoordinatorConfig {
  return {
    offsetsTopicPartitions: config.offsetsTopicNumPartitions,
    offsetsTopicReplicationFactor: config.offsetsTopicReplicationFactor,
    offsetsTopicSegmentBytes: config.offsetsTopicSegmentBytes,
    offsetsTopicCompressionCodec: config.offsetsTopicCompressionCodec,
    offsetsCommitTimeoutMs: config.offsetsCommitTimeoutMs,
    offsetsRetentionMs: config.offsetsRetentionMinutes * 60 * 1000,
    offsetsRetentionCheckIntervalMs: Number(config.offsetsRetentionCheckIntervalMs),
    offsetMetadataMaxBytes: config.offsetMetadataMaxBytes,
    initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
    minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
    maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
    maxSize: config.groupMaxSize,
    newMemberJoinTimeoutMs: NEW_MEMBER_JOIN_TIMEOUT_MS,
  };
}

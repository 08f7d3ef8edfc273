/**
 * Requests and results of the replica manager. Subsystem types, not wire types: the
 * handlers map them to and from the generated protocol messages, field names kept close to
 * Kafka's so the mapping is one line per field.
 */
import type { LogConfig } from '../log/log-config.js';
import type { TopicCompression } from '../protocol/compression/index.js';

/** Topic settings the replica layer needs: the log's own plus what produce validation uses. */
export interface ReplicaTopicConfig extends LogConfig {
  /** compression.type: 'producer' keeps the producer's codec, else batches are recompressed. */
  compressionType?: TopicCompression;
  /** min.insync.replicas, checked for acks=-1. */
  minInsyncReplicas?: number;
}

/** A partition's state as the metadata layer publishes it (from a MetadataImage delta). */
export interface PartitionStateUpdate {
  topic: string;
  topicId: string;
  partition: number;
  leaderId: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** This broker leads the partition (leaderId === this broker). */
  isLeader: boolean;
  /** The partition was created by this delta: its log may be created even if a dir is offline. */
  isNew?: boolean;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface LeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}

// ---- Produce ----

export interface ProduceEntry {
  topic: string;
  partition: number;
  records: Buffer | null;
}

export interface AppendRecordsRequest {
  /** 0, 1 or -1 (all in-sync replicas). */
  acks: number;
  /** How long acks=-1 waits for the in-sync replicas. */
  timeoutMs: number;
  transactionalId: string | null;
  entries: readonly ProduceEntry[];
  /** Produce request version; v3+ rules by default (Kafka 4 accepts nothing older). */
  apiVersion?: number;
  /** Coordinators write their own internal topics; clients may not. */
  allowInternalTopics?: boolean;
}

export interface RecordErrorInfo {
  /** Index of the record within its batch. */
  batchIndex: number;
  message: string | null;
}

export interface ProducePartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
  baseOffset: bigint;
  /** The broker's append time under LogAppendTime, else -1. */
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: RecordErrorInfo[];
  /** The leader as this broker knows it, for NOT_LEADER_OR_FOLLOWER answers (KIP-951). */
  currentLeader: LeaderIdAndEpoch | null;
}

// ---- Fetch ----

export const IsolationLevel = { ReadUncommitted: 0, ReadCommitted: 1 } as const;
export type IsolationLevelId = (typeof IsolationLevel)[keyof typeof IsolationLevel];

export interface FetchPartitionRequest {
  topic: string;
  /** Zero or absent for requests before v13. */
  topicId?: string;
  partition: number;
  fetchOffset: bigint;
  /** -1 when the fetcher does not know it. */
  currentLeaderEpoch: number;
  /** Followers: the epoch of the last batch they hold, -1 when unknown. */
  lastFetchedEpoch?: number;
  /** Followers' log start offset; -1 for consumers. */
  logStartOffset: bigint;
  partitionMaxBytes: number;
}

export interface FetchRequestParams {
  /** -1 for consumers, the broker id for followers. */
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: IsolationLevelId;
  partitions: readonly FetchPartitionRequest[];
  /**
   * Set for Fetch v11+ consumers (KIP-392 client metadata); without it, consumers may only
   * read from the leader.
   */
  clientRackId?: string;
}

export interface AbortedTransactionInfo {
  producerId: bigint;
  firstOffset: bigint;
}

export interface EpochEndOffsetInfo {
  epoch: number;
  endOffset: bigint;
}

export interface FetchPartitionResult {
  topic: string;
  topicId: string | undefined;
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  records: Buffer;
  /** null for read_uncommitted, as Kafka answers. */
  abortedTransactions: AbortedTransactionInfo[] | null;
  preferredReadReplica: number;
  /** Set when the follower's log diverged from the leader's (KIP-320). */
  divergingEpoch: EpochEndOffsetInfo | null;
  currentLeader: LeaderIdAndEpoch | null;
}

// ---- ListOffsets, OffsetForLeaderEpoch, DeleteRecords, DescribeProducers ----

/** ListOffsets special timestamps. */
export const ListOffsetsTimestamp = {
  Latest: -1n,
  Earliest: -2n,
  MaxTimestamp: -3n,
  EarliestLocal: -4n,
  LatestTiered: -5n,
} as const;

export interface ListOffsetsPartitionRequest {
  topic: string;
  partition: number;
  currentLeaderEpoch: number;
  timestamp: bigint;
}

export interface ListOffsetsParams {
  /** -1 consumers, -2 debugging tools (may read from followers), else a broker. */
  replicaId: number;
  isolationLevel: IsolationLevelId;
  partitions: readonly ListOffsetsPartitionRequest[];
}

export interface ListOffsetsPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

export interface OffsetForLeaderEpochPartitionRequest {
  topic: string;
  partition: number;
  currentLeaderEpoch: number;
  leaderEpoch: number;
}

export interface OffsetForLeaderEpochResult {
  topic: string;
  partition: number;
  errorCode: number;
  leaderEpoch: number;
  endOffset: bigint;
}

export interface DeleteRecordsPartitionRequest {
  topic: string;
  partition: number;
  /** Delete everything below it; -1 means the high watermark. */
  offset: bigint;
}

export interface DeleteRecordsPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  lowWatermark: bigint;
}

export interface DescribeProducersPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
  activeProducers: {
    producerId: bigint;
    producerEpoch: number;
    lastSequence: number;
    lastTimestamp: bigint;
    coordinatorEpoch: number;
    currentTxnStartOffset: bigint;
  }[];
}

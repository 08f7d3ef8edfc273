/**
 * The replicas of new partitions: checked manual assignments (Kafka's
 * validateManualPartitionAssignment) or placement over the usable brokers, with Kafka's
 * errors, and the PartitionRecord of each new partition (ISR = the active replicas, leader
 * = the first of them, leader and partition epochs 0, each replica in its broker's default
 * log dir). Shared by CreateTopics and CreatePartitions.
 */
import type { MetadataImage } from '../metadata/metadata-image.js';
import { metadataRecord, type MetadataRecord } from '../metadata/metadata-records.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import {
  defaultDirectory,
  isActiveBroker,
  usableBrokers,
  type ControllerContext,
} from './controller-context.js';
import { placeReplicas } from './replica-placer.js';

/** How a new topic asks for its partitions (CreateTopics' CreatableTopic fields). */
export interface TopicPartitioning {
  /** -1: num.partitions. */
  readonly numPartitions: number;
  /** -1: default.replication.factor. */
  readonly replicationFactor: number;
  readonly assignments: readonly {
    readonly partitionIndex: number;
    readonly brokerIds: readonly number[];
  }[];
}

/** A new partition's replicas (leader first) and initial ISR. */
export interface NewPartition {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

function invalidAssignment(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, message);
}

/** Kafka's validateManualPartitionAssignment. */
export function checkManualAssignment(
  image: MetadataImage,
  brokerIds: readonly number[],
  replicationFactor: number | null,
): void {
  if (brokerIds.length === 0) {
    throw invalidAssignment('The manual partition assignment includes an empty replica list.');
  }
  const sorted = [...brokerIds].sort((a, b) => a - b);
  let previous: number | null = null;
  for (const id of sorted) {
    if (!image.broker(id)) {
      throw invalidAssignment(
        `The manual partition assignment includes broker ${id}, but no such broker is registered.`,
      );
    }
    if (id === previous) {
      throw invalidAssignment(
        `The manual partition assignment includes the broker ${previous} more than once.`,
      );
    }
    previous = id;
  }
  if (replicationFactor !== null && sorted.length !== replicationFactor) {
    throw invalidAssignment(
      `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    );
  }
}

export function manualPartitions(
  image: MetadataImage,
  topic: TopicPartitioning,
): Map<number, NewPartition> {
  if (topic.replicationFactor !== -1) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      'A manual partition assignment was specified, but replication factor was not set to -1.',
    );
  }
  if (topic.numPartitions !== -1) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      'A manual partition assignment was specified, but numPartitions was not set to -1.',
    );
  }
  const partitions = new Map<number, NewPartition>();
  let replicationFactor: number | null = null;
  for (const assignment of topic.assignments) {
    if (partitions.has(assignment.partitionIndex)) {
      throw invalidAssignment(
        `Found multiple manual partition assignments for partition ${assignment.partitionIndex}`,
      );
    }
    checkManualAssignment(image, assignment.brokerIds, replicationFactor);
    replicationFactor = assignment.brokerIds.length;
    const isr = assignment.brokerIds.filter((id) => isActiveBroker(image, id));
    if (isr.length === 0) {
      throw invalidAssignment(
        `All brokers specified in the manual partition assignment for partition ${assignment.partitionIndex} are fenced or in controlled shutdown.`,
      );
    }
    partitions.set(assignment.partitionIndex, { replicas: assignment.brokerIds, isr });
  }
  for (let i = 0; i < partitions.size; i++) {
    if (!partitions.has(i)) {
      throw invalidAssignment('partitions should be a consecutive 0-based integer sequence');
    }
  }
  return partitions;
}

export function placedPartitions(
  context: ControllerContext,
  topic: TopicPartitioning,
): Map<number, NewPartition> {
  const { image, settings } = context;
  if (topic.replicationFactor < -1 || topic.replicationFactor === 0) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      'Replication factor must be larger than 0, or -1 to use the default value.',
    );
  }
  if (topic.numPartitions < -1 || topic.numPartitions === 0) {
    throw new KafkaError(
      ErrorCode.INVALID_PARTITIONS,
      'Number of partitions was set to an invalid non-positive value.',
    );
  }
  const numPartitions =
    topic.numPartitions === -1 ? settings.defaultNumPartitions : topic.numPartitions;
  const replicationFactor =
    topic.replicationFactor === -1 ? settings.defaultReplicationFactor : topic.replicationFactor;
  const unableToReplicate = (reason: string) =>
    new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Unable to replicate the partition ${replicationFactor} time(s): ${reason}`,
    );
  let placements: number[][];
  try {
    placements = placeReplicas(
      { startPartition: 0, numPartitions, replicationFactor },
      usableBrokers(image),
      context.random,
    );
  } catch (err) {
    if (err instanceof KafkaError && err.code === ErrorCode.INVALID_REPLICATION_FACTOR) {
      throw unableToReplicate(err.message);
    }
    throw err;
  }
  const partitions = new Map<number, NewPartition>();
  placements.forEach((replicas, partitionId) => {
    const isr = replicas.filter((id) => isActiveBroker(image, id));
    if (isr.length === 0) {
      throw unableToReplicate('All brokers are currently fenced or in controlled shutdown.');
    }
    partitions.set(partitionId, { replicas, isr });
  });
  return partitions;
}

export function partitionRecord(
  image: MetadataImage,
  topicId: string,
  partitionId: number,
  partition: NewPartition,
): MetadataRecord {
  return metadataRecord('PartitionRecord', {
    partitionId,
    topicId,
    replicas: [...partition.replicas],
    isr: [...partition.isr],
    removingReplicas: [],
    addingReplicas: [],
    leader: partition.isr[0],
    leaderRecoveryState: 0,
    leaderEpoch: 0,
    partitionEpoch: 0,
    directories: partition.replicas.map((id) => defaultDirectory(image.broker(id))),
  });
}

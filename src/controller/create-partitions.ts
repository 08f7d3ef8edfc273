/**
 * CreatePartitions, as Kafka's ReplicationControlManager decides it: the new count must
 * exceed the current one (INVALID_PARTITIONS otherwise); manual assignments, when given,
 * must cover exactly the new partitions with the topic's replication factor on registered
 * brokers (INVALID_REPLICA_ASSIGNMENT); otherwise the new partitions are placed like new
 * topics. Each new partition is one PartitionRecord; all topics' records form one batch.
 */
import type { MetadataRecord } from '../metadata/metadata-records.js';
import { ErrorCode, KafkaError, errorInfo } from '../protocol/errors.js';
import { apiError, NO_ERROR, toApiError, type ApiError } from './api-error.js';
import { isActiveBroker, usableBrokers, type ControllerContext } from './controller-context.js';
import {
  EXCESSIVE_BATCH_MESSAGE,
  MAX_RECORDS_PER_USER_OP,
  type ControllerResult,
} from './controller-result.js';
import { checkManualAssignment, partitionRecord } from './partition-assignment.js';
import { placeReplicas } from './replica-placer.js';

export interface CreatePartitionsTopic {
  readonly name: string;
  /** The new total number of partitions. */
  readonly count: number;
  /** Replicas of each new partition, or null to place them. */
  readonly assignments: readonly { readonly brokerIds: readonly number[] }[] | null;
}

export interface CreatePartitionsTopicResult {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

function addPartitions(
  context: ControllerContext,
  request: CreatePartitionsTopic,
  records: MetadataRecord[],
): void {
  const { image } = context;
  const topic = image.topic(request.name);
  if (!topic) {
    throw new KafkaError(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      errorInfo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).message,
    );
  }
  const existing = topic.partitions.size;
  if (request.count === existing) {
    throw new KafkaError(
      ErrorCode.INVALID_PARTITIONS,
      `Topic already has ${existing} partition(s).`,
    );
  }
  if (request.count < existing) {
    throw new KafkaError(
      ErrorCode.INVALID_PARTITIONS,
      `The topic ${request.name} currently has ${existing} partition(s); ${request.count} would not be an increase.`,
    );
  }
  const additional = request.count - existing;
  if (request.assignments !== null && request.assignments.length !== additional) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `Attempted to add ${additional} additional partition(s), but only ${request.assignments.length} assignment(s) were specified.`,
    );
  }
  const first = topic.partitions.values().next().value;
  if (!first) {
    throw new KafkaError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      `Invalid state: topic ${request.name} appears to have no partitions.`,
    );
  }
  const replicationFactor = first.replicas.length;
  let placements: (readonly number[])[];
  if (request.assignments !== null) {
    placements = request.assignments.map((assignment, i) => {
      checkManualAssignment(image, assignment.brokerIds, replicationFactor);
      if (!assignment.brokerIds.some((id) => isActiveBroker(image, id))) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `All brokers specified in the manual partition assignment for partition ${existing + i} are fenced or in controlled shutdown.`,
        );
      }
      return assignment.brokerIds;
    });
  } else {
    placements = placeReplicas(
      { startPartition: existing, numPartitions: additional, replicationFactor },
      usableBrokers(image),
      context.random,
    );
  }
  placements.forEach((replicas, i) => {
    const isr = replicas.filter((id) => isActiveBroker(image, id));
    if (isr.length === 0) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${replicationFactor} time(s): All brokers are currently fenced or in controlled shutdown.`,
      );
    }
    records.push(partitionRecord(image, topic.id, existing + i, { replicas, isr }));
  });
}

export function createPartitions(
  context: ControllerContext,
  topics: readonly CreatePartitionsTopic[],
  options: { validateOnly: boolean },
): ControllerResult<CreatePartitionsTopicResult[]> {
  const occurrences = new Map<string, number>();
  for (const topic of topics) occurrences.set(topic.name, (occurrences.get(topic.name) ?? 0) + 1);
  const records: MetadataRecord[] = [];
  const results: CreatePartitionsTopicResult[] = [];
  const answered = new Set<string>();
  for (const topic of topics) {
    if (answered.has(topic.name)) continue;
    answered.add(topic.name);
    let error: ApiError = NO_ERROR;
    if (occurrences.get(topic.name)! > 1) {
      error = apiError(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
    } else {
      const topicRecords: MetadataRecord[] = [];
      try {
        addPartitions(context, topic, topicRecords);
        records.push(...topicRecords);
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        error = toApiError(err);
      }
    }
    results.push({ name: topic.name, errorCode: error.code, errorMessage: error.message });
  }
  if (records.length > MAX_RECORDS_PER_USER_OP) {
    return {
      records: [],
      response: results.map((result) => ({
        name: result.name,
        errorCode: ErrorCode.POLICY_VIOLATION,
        errorMessage: EXCESSIVE_BATCH_MESSAGE,
      })),
    };
  }
  return { records: options.validateOnly ? [] : records, response: results };
}

/**
 * CreateTopics, as Kafka's ControllerApis and ReplicationControlManager decide it:
 *
 * 1. a name given twice: INVALID_REQUEST "Duplicate topic name."; `__cluster_metadata`:
 *    INVALID_REQUEST;
 * 2. an illegal name, or one colliding ('.' vs '_') with an existing topic:
 *    INVALID_TOPIC_EXCEPTION; an existing name: TOPIC_ALREADY_EXISTS;
 * 3. configs: a null value or a bad key/value: INVALID_CONFIG;
 * 4. a manual assignment (numPartitions and replicationFactor must then be -1; partitions
 *    0..n-1, each once, same size, registered brokers, each once): INVALID_REQUEST or
 *    INVALID_REPLICA_ASSIGNMENT; otherwise numPartitions / replicationFactor (-1 = the broker
 *    defaults) placed over the usable brokers: INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR;
 * 5. records per topic: TopicRecord, its ConfigRecords, then a PartitionRecord per
 *    partition (ISR = the active replicas, leader = first of the ISR, epochs 0).
 *
 * Topics are independent: one failing does not fail the others. All successful topics'
 * records form one batch; with validateOnly none are written.
 */
import {
  ConfigResourceType,
  type MetadataImage,
  type TopicsImage,
} from '../metadata/metadata-image.js';
import { metadataRecord, type MetadataRecord } from '../metadata/metadata-records.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ZERO_UUID } from '../protocol/primitives/uuid.js';
import { apiError, isFailure, toApiError, type ApiError } from './api-error.js';
import { AlterConfigOpType, incrementalConfigChange, type KeyOperation } from './config-changes.js';
import type { ControllerContext } from './controller-context.js';
import {
  EXCESSIVE_BATCH_MESSAGE,
  MAX_RECORDS_PER_USER_OP,
  type ControllerResult,
} from './controller-result.js';
import {
  manualPartitions,
  partitionRecord,
  placedPartitions,
  type NewPartition,
  type TopicPartitioning,
} from './partition-assignment.js';
import {
  effectiveTopicConfigs,
  topicDefaultsLayers,
  type TopicConfigEntry,
} from './topic-config-defaults.js';
import {
  CLUSTER_METADATA_TOPIC_NAME,
  hasCollisionChars,
  topicNameError,
  unifyCollisionChars,
} from './topic-names.js';

export interface CreatableTopic extends TopicPartitioning {
  readonly name: string;
  readonly configs: readonly { readonly name: string; readonly value: string | null }[];
}

/** One topic's outcome, shaped like CreateTopicsResponse's CreatableTopicResult. */
export interface CreateTopicResult {
  readonly name: string;
  /** ZERO_UUID when not created. */
  readonly topicId: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** -1 when not created. */
  readonly numPartitions: number;
  /** -1 when not created. */
  readonly replicationFactor: number;
  /** Every topic config's effective value and source (CreateTopics v5+); null on error. */
  readonly configs: readonly TopicConfigEntry[] | null;
}

const collisionIndexes = new WeakMap<TopicsImage, ReadonlyMap<string, string>>();

/** Existing topic names by their collision form (one of them), cached per topics image. */
function collisionIndex(image: MetadataImage): ReadonlyMap<string, string> {
  let index = collisionIndexes.get(image.topics);
  if (!index) {
    const built = new Map<string, string>();
    for (const name of image.topics.byName.keys()) {
      if (hasCollisionChars(name)) built.set(unifyCollisionChars(name), name);
    }
    collisionIndexes.set(image.topics, built);
    index = built;
  }
  return index;
}

/** A name-level error (steps 1-2), or null. */
function nameError(image: MetadataImage, name: string): ApiError | null {
  if (name === CLUSTER_METADATA_TOPIC_NAME) {
    return apiError(
      ErrorCode.INVALID_REQUEST,
      `Creation of internal topic ${CLUSTER_METADATA_TOPIC_NAME} is prohibited.`,
    );
  }
  if (image.topic(name)) {
    return apiError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
  }
  const illegal = topicNameError(name);
  if (illegal) return apiError(ErrorCode.INVALID_TOPIC_EXCEPTION, illegal);
  if (hasCollisionChars(name)) {
    const colliding = collisionIndex(image).get(unifyCollisionChars(name));
    if (colliding !== undefined) {
      return apiError(
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        `Topic '${name}' collides with existing topic: ${colliding}`,
      );
    }
  }
  return null;
}

function newTopicId(context: ControllerContext): string {
  for (;;) {
    const id = context.newUuid();
    if (id !== ZERO_UUID && !context.image.topicById(id)) return id;
  }
}

function failed(name: string, error: ApiError): CreateTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode: error.code,
    errorMessage: error.message,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  };
}

/** Steps 3-5 for one topic whose name passed. */
function createTopic(
  context: ControllerContext,
  topic: CreatableTopic,
  records: MetadataRecord[],
): CreateTopicResult {
  const nullConfigs = topic.configs.filter((config) => config.value === null).map((c) => c.name);
  if (nullConfigs.length > 0) {
    return failed(
      topic.name,
      apiError(
        ErrorCode.INVALID_CONFIG,
        `Null value not supported for topic configs: ${nullConfigs.join(',')}`,
      ),
    );
  }
  const overrides = new Map(topic.configs.map((config) => [config.name, config.value as string]));
  const operations = new Map<string, KeyOperation>(
    [...overrides].map(([name, value]) => [name, { op: AlterConfigOpType.Set, value }]),
  );
  const configResult = incrementalConfigChange(
    context,
    { type: ConfigResourceType.Topic, name: topic.name },
    operations,
    true,
  );
  if (isFailure(configResult.response)) return failed(topic.name, configResult.response);

  let partitions: Map<number, NewPartition>;
  try {
    partitions =
      topic.assignments.length > 0
        ? manualPartitions(context.image, topic)
        : placedPartitions(context, topic);
  } catch (err) {
    if (err instanceof KafkaError) return failed(topic.name, toApiError(err));
    throw err;
  }

  const topicId = newTopicId(context);
  records.push(metadataRecord('TopicRecord', { name: topic.name, topicId }));
  // ConfigRecords go after the TopicRecord and before the PartitionRecords, as in Kafka.
  records.push(...configResult.records);
  const ordered = [...partitions.keys()].sort((a, b) => a - b);
  for (const partitionId of ordered) {
    records.push(
      partitionRecord(context.image, topicId, partitionId, partitions.get(partitionId)!),
    );
  }
  const layers = topicDefaultsLayers(
    context.image,
    context.settings.staticTopicDefaults,
    context.settings.nodeId,
  );
  return {
    name: topic.name,
    topicId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    numPartitions: partitions.size,
    replicationFactor: partitions.get(ordered[0])!.replicas.length,
    configs: effectiveTopicConfigs(Object.fromEntries(overrides), layers),
  };
}

export function createTopics(
  context: ControllerContext,
  topics: readonly CreatableTopic[],
  options: { validateOnly: boolean },
): ControllerResult<CreateTopicResult[]> {
  const occurrences = new Map<string, number>();
  for (const topic of topics) occurrences.set(topic.name, (occurrences.get(topic.name) ?? 0) + 1);

  const records: MetadataRecord[] = [];
  const results: CreateTopicResult[] = [];
  const answered = new Set<string>();
  for (const topic of topics) {
    if (answered.has(topic.name)) continue;
    answered.add(topic.name);
    if (occurrences.get(topic.name)! > 1) {
      results.push(
        failed(topic.name, apiError(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.')),
      );
      continue;
    }
    const invalidName = nameError(context.image, topic.name);
    results.push(
      invalidName ? failed(topic.name, invalidName) : createTopic(context, topic, records),
    );
  }
  if (records.length > MAX_RECORDS_PER_USER_OP) {
    const tooLarge = apiError(ErrorCode.POLICY_VIOLATION, EXCESSIVE_BATCH_MESSAGE);
    return { records: [], response: results.map((result) => failed(result.name, tooLarge)) };
  }
  return { records: options.validateOnly ? [] : records, response: results };
}

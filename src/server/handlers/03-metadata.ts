import { GROUP_METADATA_TOPIC } from '../../coordinator/group/index.js';
import { topicNameError } from '../../controller/topic-names.js';
import type { MetadataImage, TopicImage } from '../../metadata/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { MetadataRequest } from '../../protocol/messages/generated/metadata-request.js';
import type { MetadataResponseTopic } from '../../protocol/messages/generated/metadata-response.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { INTERNAL_TOPICS } from '../../replica/replica-manager.js';
import { liveBrokerAddresses, type BrokerServices } from '../broker-services.js';
import { offsetsTopicSpec } from '../internal-topics.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * Metadata (key 3), versions 0-12, as Kafka's KafkaApis.handleTopicMetadataRequest answers:
 * - which topics: v0 an empty list means all; v1+ null means all and empty means none;
 *   v10+ may name topics by id;
 * - unknown topics are created when auto.create.topics.enable and the request allows it
 *   (always before v4) and answered LEADER_NOT_AVAILABLE until their leaders are known to
 *   clients; otherwise UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION for an illegal
 *   name;
 * - brokers are the live ones, at their endpoint on the listener the request came in on.
 */

type MetadataResponseBody = ResponseBody<typeof ApiKey.Metadata>;
type TopicResponse = Partial<MetadataResponseTopic>;

const FIRST_VERSION_WITH_AUTO_CREATE_FLAG = 4;

export function createMetadataHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.Metadata> {
  return {
    apiKey: ApiKey.Metadata,
    minVersion: 0,
    maxVersion: 12,
    async handle(ctx: HandlerContext, request: MetadataRequest): Promise<MetadataResponseBody> {
      const version = ctx.header.requestApiVersion;
      const image = services.image();
      const allTopics = request.topics === null || (version === 0 && request.topics.length === 0);
      let topics: TopicResponse[];
      if (allTopics) {
        topics = [...image.topics.byName.values()].map((t) => describeTopic(image, t));
      } else {
        const allowAutoCreate =
          services.config.autoCreateTopicsEnable &&
          (version < FIRST_VERSION_WITH_AUTO_CREATE_FLAG || request.allowAutoTopicCreation);
        topics = await describeRequested(services, image, request.topics ?? [], allowAutoCreate);
      }
      return {
        throttleTimeMs: 0,
        brokers: liveBrokerAddresses(services.image(), ctx.listenerName),
        clusterId: services.clusterId,
        controllerId: services.nodeId,
        topics,
      };
    },
  };
}

async function describeRequested(
  services: BrokerServices,
  image: MetadataImage,
  requested: MetadataRequest['topics'] & object,
  allowAutoCreate: boolean,
): Promise<TopicResponse[]> {
  const responses: TopicResponse[] = [];
  const toCreate: string[] = [];
  const seen = new Set<string>();
  for (const { name, topicId } of requested) {
    if (name === null || name === '') {
      // By id (v10+): Kafka answers unknown ids UNKNOWN_TOPIC_ID.
      const topic = image.topicById(topicId);
      responses.push(
        topic
          ? describeTopic(image, topic)
          : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId, partitions: [] },
      );
      continue;
    }
    if (seen.has(name)) continue;
    seen.add(name);
    const topic = image.topic(name);
    if (topic) responses.push(describeTopic(image, topic));
    else if (topicNameError(name) !== null)
      responses.push(topicError(name, ErrorCode.INVALID_TOPIC_EXCEPTION));
    else if (name === GROUP_METADATA_TOPIC && allowAutoCreate) {
      // Internal topics are created with their own settings, never the topic defaults.
      const created = await services.internalTopics.ensure(offsetsTopicSpec(services.config));
      responses.push(
        topicError(name, created === ErrorCode.NONE ? ErrorCode.LEADER_NOT_AVAILABLE : created),
      );
    } else if (allowAutoCreate) toCreate.push(name);
    else responses.push(topicError(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  }
  if (toCreate.length > 0) {
    const results = await services.controller.createTopics(
      toCreate.map((name) => ({
        name,
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [],
        configs: [],
      })),
      { validateOnly: false },
    );
    for (const result of results) {
      // Created, or created meanwhile by someone else: clients retry until leaders are known.
      const created =
        result.errorCode === ErrorCode.NONE || result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS;
      responses.push(
        topicError(result.name, created ? ErrorCode.LEADER_NOT_AVAILABLE : result.errorCode),
      );
    }
  }
  return responses;
}

function topicError(name: string, errorCode: number): TopicResponse {
  return { errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [] };
}

function describeTopic(image: MetadataImage, topic: TopicImage): TopicResponse {
  const live = new Set([...image.brokers.values()].filter((b) => !b.fenced).map((b) => b.id));
  const partitions = [...topic.partitions.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partitionIndex, p]) => ({
      errorCode: live.has(p.leader) ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
      partitionIndex,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      offlineReplicas: p.replicas.filter((r) => !live.has(r)),
    }));
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.id,
    isInternal: INTERNAL_TOPICS.has(topic.name),
    partitions,
  };
}

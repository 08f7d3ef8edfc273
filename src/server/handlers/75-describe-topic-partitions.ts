import { topicNameError } from '../../controller/topic-names.js';
import type { MetadataImage } from '../../metadata/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { DescribeTopicPartitionsRequest } from '../../protocol/messages/generated/describe-topic-partitions-request.js';
import type {
  Cursor,
  DescribeTopicPartitionsResponsePartition,
  DescribeTopicPartitionsResponseTopic,
} from '../../protocol/messages/generated/describe-topic-partitions-response.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { INTERNAL_TOPICS } from '../../replica/replica-manager.js';
import { brokerAddress, type BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * DescribeTopicPartitions (key 75), version 0, as Kafka's DescribeTopicPartitionsRequestHandler
 * and KRaftMetadataCache.describeTopicResponse answer it:
 *
 * - an empty topic list means every topic (unknown ones are then never reported);
 * - topics sorted by name, starting at the cursor's topic (which must be among those
 *   requested, and its partition index non-negative: INVALID_REQUEST for every requested
 *   topic otherwise, Kafka's getErrorResponse) and, in it, at the cursor's partition;
 * - at most min(responsePartitionLimit, max.request.partition.size.limit = 2000), at least 1,
 *   partitions; nextCursor names where to go on, or is null when all were answered;
 * - a requested topic not in the image: UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION
 *   for an illegal name) with its id unknown;
 * - a partition whose leader is not alive on this listener: LEADER_NOT_AVAILABLE, leader -1.
 */

type Topic = Partial<DescribeTopicPartitionsResponseTopic>;
type Partition = DescribeTopicPartitionsResponsePartition;

/**
 * Without an authorizer Kafka reports every operation a topic supports (AuthHelper.
 * authorizedOperations): READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS,
 * ALTER_CONFIGS as a bit field of their AclOperation codes.
 */
export const TOPIC_AUTHORIZED_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce(
  (bits, code) => bits | (1 << code),
  0,
);

/** Kafka's max.request.partition.size.limit default. */
const MAX_REQUEST_PARTITION_SIZE_LIMIT = 2000;

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Java's String.compareTo sign, on UTF-16 code units (as JS compares strings). */
function atOrAfter(name: string, cursorTopic: string): boolean {
  return compareNames(name, cursorTopic) >= 0;
}

function describePartitions(
  image: MetadataImage,
  topicName: string,
  listenerName: string,
  startIndex: number,
  maxCount: number,
): { partitions: Partition[]; nextIndex: number } | null {
  const topic = image.topic(topicName);
  if (topic === undefined) return null;
  const count = topic.partitions.size;
  const upperIndex = Math.min(count, startIndex + maxCount);
  const nextIndex = upperIndex < count ? upperIndex : -1;
  const alive = (id: number) => {
    const broker = image.broker(id);
    return (
      broker !== undefined && !broker.fenced && brokerAddress(broker, listenerName) !== undefined
    );
  };
  const partitions: Partition[] = [];
  for (let index = startIndex; index < upperIndex; index++) {
    const p = topic.partitions.get(index);
    if (p === undefined) continue;
    const leaderAlive = alive(p.leader);
    partitions.push({
      errorCode: leaderAlive
        ? ErrorCode.NONE
        : image.broker(p.leader) === undefined
          ? ErrorCode.LEADER_NOT_AVAILABLE
          : ErrorCode.LISTENER_NOT_FOUND,
      partitionIndex: index,
      leaderId: leaderAlive ? p.leader : -1,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      eligibleLeaderReplicas: [...p.elr],
      lastKnownElr: [...p.lastKnownElr],
      offlineReplicas: p.replicas.filter((r) => !alive(r)),
    });
  }
  return { partitions, nextIndex };
}

export function createDescribeTopicPartitionsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.DescribeTopicPartitions> {
  return {
    apiKey: ApiKey.DescribeTopicPartitions,
    minVersion: 0,
    maxVersion: 0,
    async handle(
      ctx: HandlerContext,
      request: DescribeTopicPartitionsRequest,
    ): Promise<ResponseBody<typeof ApiKey.DescribeTopicPartitions>> {
      const image = services.image();
      const fetchAll = request.topics.length === 0;
      const cursor = request.cursor;
      const cursorTopic = cursor?.topicName ?? '';
      const requested = fetchAll
        ? [...image.topics.byName.keys()]
        : request.topics.map((t) => t.name);
      const names = [...new Set(requested.filter((name) => atOrAfter(name, cursorTopic)))].sort(
        compareNames,
      );
      const invalidCursor =
        cursor !== null &&
        ((!fetchAll && !names.includes(cursor.topicName)) || cursor.partitionIndex < 0);
      if (invalidCursor) {
        return {
          throttleTimeMs: 0,
          topics: request.topics.map((t) => ({
            errorCode: ErrorCode.INVALID_REQUEST,
            name: t.name,
            topicId: ZERO_UUID,
            isInternal: false,
            partitions: [],
          })),
          nextCursor: null,
        };
      }
      let remaining = Math.max(
        Math.min(MAX_REQUEST_PARTITION_SIZE_LIMIT, request.responsePartitionLimit),
        1,
      );
      const topics: Topic[] = [];
      let nextCursor: Partial<Cursor> | null = null;
      for (const name of names) {
        if (remaining === 0) {
          nextCursor = { topicName: name, partitionIndex: 0 };
          break;
        }
        const start = cursor !== null && name === cursorTopic ? cursor.partitionIndex : 0;
        const described = describePartitions(image, name, ctx.listenerName, start, remaining);
        if (described === null) {
          if (!fetchAll) {
            topics.push({
              errorCode:
                topicNameError(name) === null
                  ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                  : ErrorCode.INVALID_TOPIC_EXCEPTION,
              name,
              topicId: ZERO_UUID,
              isInternal: INTERNAL_TOPICS.has(name),
              partitions: [],
            });
          }
          continue;
        }
        topics.push({
          errorCode: ErrorCode.NONE,
          name,
          topicId: image.topic(name)!.id,
          isInternal: INTERNAL_TOPICS.has(name),
          partitions: described.partitions,
        });
        if (described.nextIndex !== -1) {
          nextCursor = { topicName: name, partitionIndex: described.nextIndex };
          break;
        }
        remaining -= described.partitions.length;
      }
      for (const topic of topics) topic.topicAuthorizedOperations = TOPIC_AUTHORIZED_OPERATIONS;
      return { throttleTimeMs: 0, topics, nextCursor };
    },
  };
}

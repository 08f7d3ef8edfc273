import { ErrorCode } from '../../protocol/errors.js';
import type { DeleteRecordsRequest } from '../../protocol/messages/generated/delete-records-request.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import { INTERNAL_TOPICS } from '../../replica/replica-manager.js';
import type { DeleteRecordsPartitionResult } from '../../replica/types.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, ResponseBody } from '../router.js';
import { groupByTopic } from './group-by-topic.js';

/**
 * DeleteRecords (key 21), versions 0-2, as Kafka's KafkaApis.handleDeleteRecordsRequest and
 * ReplicaManager.deleteRecords answer each partition: not in the metadata image
 * UNKNOWN_TOPIC_OR_PARTITION; an internal topic INVALID_TOPIC_EXCEPTION; otherwise the
 * leader moves its log start offset (offset -1 = the high watermark; OFFSET_OUT_OF_RANGE
 * above it, POLICY_VIOLATION for compact-only topics, NOT_LEADER_OR_FOLLOWER, ...) and the
 * answer carries the new low watermark, -1 on error. A single node has no follower to wait
 * for, so timeoutMs never expires.
 */
export function createDeleteRecordsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.DeleteRecords> {
  return {
    apiKey: ApiKey.DeleteRecords,
    minVersion: 0,
    maxVersion: 2,
    async handle(
      _ctx,
      request: DeleteRecordsRequest,
    ): Promise<ResponseBody<typeof ApiKey.DeleteRecords>> {
      const image = services.image();
      const immediate: DeleteRecordsPartitionResult[] = [];
      const toDelete: { topic: string; partition: number; offset: bigint }[] = [];
      const order: { topic: string; partition: number }[] = [];
      for (const topic of request.topics) {
        for (const p of topic.partitions) {
          order.push({ topic: topic.name, partition: p.partitionIndex });
          const ref = { topic: topic.name, partition: p.partitionIndex, lowWatermark: -1n };
          if (!image.topic(topic.name)?.partitions.has(p.partitionIndex)) {
            immediate.push({ ...ref, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
          } else if (INTERNAL_TOPICS.has(topic.name)) {
            immediate.push({ ...ref, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION });
          } else {
            toDelete.push({ topic: topic.name, partition: p.partitionIndex, offset: p.offset });
          }
        }
      }
      const done = [...immediate, ...(await services.replicaManager.deleteRecords(toDelete))];
      const byKey = new Map(done.map((r) => [`${r.topic}\u0000${r.partition}`, r]));
      const results = order.map((ref) => byKey.get(`${ref.topic}\u0000${ref.partition}`)!);
      return {
        throttleTimeMs: 0,
        topics: groupByTopic(results).map(([name, partitions]) => ({
          name,
          partitions: partitions.map((p) => ({
            partitionIndex: p.partition,
            lowWatermark: p.lowWatermark,
            errorCode: p.errorCode,
          })),
        })),
      };
    },
  };
}

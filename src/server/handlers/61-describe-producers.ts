import { ErrorCode } from '../../protocol/errors.js';
import type { DescribeProducersRequest } from '../../protocol/messages/generated/describe-producers-request.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, ResponseBody } from '../router.js';

/**
 * DescribeProducers (key 61), version 0: the active idempotent/transactional producers of
 * each partition's leader (ReplicaManager.activeProducerState in Kafka). A partition not in
 * the metadata image is UNKNOWN_TOPIC_OR_PARTITION, as KafkaApis answers it; otherwise the
 * replica manager's error (NOT_LEADER_OR_FOLLOWER, ...) with its message.
 */
export function createDescribeProducersHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.DescribeProducers> {
  return {
    apiKey: ApiKey.DescribeProducers,
    minVersion: 0,
    maxVersion: 0,
    async handle(
      _ctx,
      request: DescribeProducersRequest,
    ): Promise<ResponseBody<typeof ApiKey.DescribeProducers>> {
      const image = services.image();
      return {
        throttleTimeMs: 0,
        topics: request.topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitionIndexes.map((partitionIndex) => {
            if (!image.topic(topic.name)?.partitions.has(partitionIndex)) {
              return {
                partitionIndex,
                errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                errorMessage: null,
                activeProducers: [],
              };
            }
            const [result] = services.replicaManager.describeProducers([
              { topic: topic.name, partition: partitionIndex },
            ]);
            return {
              partitionIndex,
              errorCode: result.errorCode,
              errorMessage: result.errorMessage,
              activeProducers: result.activeProducers,
            };
          }),
        })),
      };
    },
  };
}

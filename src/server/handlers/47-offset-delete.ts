import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { OffsetDeleteRequest } from '../../protocol/messages/generated/offset-delete-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * OffsetDelete (key 47), version 0: drops committed offsets of partitions the group does
 * not consume (GROUP_SUBSCRIBED_TO_TOPIC for those it does, UNKNOWN_TOPIC_OR_PARTITION for
 * partitions that do not exist).
 */
export function createOffsetDeleteHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.OffsetDelete> {
  return {
    apiKey: ApiKey.OffsetDelete,
    minVersion: 0,
    maxVersion: 0,
    async handle(
      _ctx: HandlerContext,
      request: OffsetDeleteRequest,
    ): Promise<ResponseBody<typeof ApiKey.OffsetDelete>> {
      // As Kafka, partitions the cluster does not have are answered before the group is asked.
      const image = services.image();
      const known = (topic: string, partition: number) =>
        image.topic(topic)?.partitions.has(partition) ?? false;
      const { errorCode, topics } = await services.groupCoordinator.offsets.deleteOffsets(
        request.groupId,
        request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions
            .map((p) => p.partitionIndex)
            .filter((partition) => known(t.name, partition)),
        })),
      );
      if (errorCode !== ErrorCode.NONE) return { errorCode, throttleTimeMs: 0, topics: [] };
      const deleted = new Map(topics.map((t) => [t.name, t.partitions]));
      return {
        errorCode,
        throttleTimeMs: 0,
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map(({ partitionIndex }) => ({
            partitionIndex,
            errorCode: known(t.name, partitionIndex)
              ? (deleted.get(t.name)?.find((p) => p.partitionIndex === partitionIndex)?.errorCode ??
                ErrorCode.NONE)
              : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          })),
        })),
      };
    },
  };
}

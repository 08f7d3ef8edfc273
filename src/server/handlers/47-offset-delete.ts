import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { OffsetDeleteRequest } from '../../protocol/messages/generated/offset-delete-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * OffsetDelete (key 47), version 0: drops committed offsets of partitions the group does
 * not consume (GROUP_SUBSCRIBED_TO_TOPIC for those it does).
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
      const { errorCode, topics } = await services.groupCoordinator.offsets.deleteOffsets(
        request.groupId,
        request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => p.partitionIndex),
        })),
      );
      return { errorCode, throttleTimeMs: 0, topics };
    },
  };
}

import { ErrorCode } from '../../protocol/errors.js';
import type { DeleteTopicsRequest } from '../../protocol/messages/generated/delete-topics-request.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import type { DeleteTopicTarget } from '../../controller/index.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * DeleteTopics (key 20), versions 0-6: by name (v0-5 topicNames), by name or id (v6+
 * topics). The controller decides (see controller/delete-topics.ts); versions before 3 do
 * not know TOPIC_DELETION_DISABLED and get INVALID_REQUEST instead, as from Kafka.
 */

const FIRST_VERSION_WITH_TOPIC_STATES = 6;
const FIRST_VERSION_KNOWING_DELETION_DISABLED = 3;

export function createDeleteTopicsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.DeleteTopics> {
  return {
    apiKey: ApiKey.DeleteTopics,
    minVersion: 0,
    maxVersion: 6,
    async handle(
      ctx: HandlerContext,
      request: DeleteTopicsRequest,
    ): Promise<ResponseBody<typeof ApiKey.DeleteTopics>> {
      const version = ctx.header.requestApiVersion;
      const targets: DeleteTopicTarget[] =
        version >= FIRST_VERSION_WITH_TOPIC_STATES
          ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
          : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
      const results = await services.controller.deleteTopics(targets);
      // The partitions are gone from this broker before the client hears so.
      await services.metadataApplied();
      return {
        throttleTimeMs: 0,
        responses: results.map((r) => ({
          name: r.name,
          topicId: r.topicId,
          errorCode:
            r.errorCode === ErrorCode.TOPIC_DELETION_DISABLED &&
            version < FIRST_VERSION_KNOWING_DELETION_DISABLED
              ? ErrorCode.INVALID_REQUEST
              : r.errorCode,
          errorMessage: r.errorMessage,
        })),
      };
    },
  };
}

import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { OffsetCommitRequest } from '../../protocol/messages/generated/offset-commit-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * OffsetCommit (key 8), versions 0-9: unknown partitions get UNKNOWN_TOPIC_OR_PARTITION,
 * oversized metadata OFFSET_METADATA_TOO_LARGE, the rest is checked against the group
 * (member, generation, state) and written to `__consumer_offsets`. Fields a version lacks
 * arrive with their defaults (generation -1, no member: a commit outside group management).
 */
export function createOffsetCommitHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.OffsetCommit> {
  return {
    apiKey: ApiKey.OffsetCommit,
    minVersion: 0,
    maxVersion: 9,
    async handle(
      ctx: HandlerContext,
      request: OffsetCommitRequest,
    ): Promise<ResponseBody<typeof ApiKey.OffsetCommit>> {
      const image = services.image();
      const topics = await services.groupCoordinator.offsets.commitOffsets(
        {
          groupId: request.groupId,
          generationId: request.generationIdOrMemberEpoch,
          memberId: request.memberId,
          groupInstanceId: request.groupInstanceId,
          retentionTimeMs: request.retentionTimeMs,
          apiVersion: ctx.header.requestApiVersion,
          topics: request.topics,
        },
        (topic, partition) => image.topic(topic)?.partitions.has(partition) ?? false,
      );
      return { throttleTimeMs: 0, topics };
    },
  };
}

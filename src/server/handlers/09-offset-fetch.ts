import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { OffsetFetchRequest } from '../../protocol/messages/generated/offset-fetch-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/** v2 adds the top-level error (before it, errors go to every partition); v8 batches groups. */
const FIRST_TOP_LEVEL_ERROR_VERSION = 2;
const FIRST_BATCHED_VERSION = 8;

/**
 * OffsetFetch (key 9), versions 0-9: the committed offset of each asked partition (-1 when
 * none), or of every partition the group committed when the topics are null (v2+).
 * `require_stable` matters only for transactional commits, which this broker does not take
 * yet, so every offset is stable.
 */
export function createOffsetFetchHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.OffsetFetch> {
  const offsets = services.groupCoordinator.offsets;
  return {
    apiKey: ApiKey.OffsetFetch,
    minVersion: 0,
    maxVersion: 9,
    handle(
      ctx: HandlerContext,
      request: OffsetFetchRequest,
    ): Promise<ResponseBody<typeof ApiKey.OffsetFetch>> {
      const version = ctx.header.requestApiVersion;
      if (version >= FIRST_BATCHED_VERSION) {
        return Promise.resolve({
          throttleTimeMs: 0,
          groups: request.groups.map((g) => {
            const fetched = offsets.fetchOffsets(g.groupId, g.topics);
            return { groupId: g.groupId, errorCode: fetched.errorCode, topics: fetched.topics };
          }),
        });
      }
      const fetched = offsets.fetchOffsets(request.groupId, request.topics);
      if (fetched.errorCode !== ErrorCode.NONE) {
        // Every asked partition carries the group's error too (all a v0-v1 client sees).
        const topics = (request.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({
            partitionIndex,
            committedOffset: -1n,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: fetched.errorCode,
          })),
        }));
        return Promise.resolve({
          throttleTimeMs: 0,
          errorCode: version >= FIRST_TOP_LEVEL_ERROR_VERSION ? fetched.errorCode : ErrorCode.NONE,
          topics,
        });
      }
      return Promise.resolve({
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        topics: fetched.topics,
      });
    },
  };
}

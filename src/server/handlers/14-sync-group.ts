import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { SyncGroupRequest } from '../../protocol/messages/generated/sync-group-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/** v3 adds group.instance.id; v5 the protocol type and name checks. */
const FIRST_STATIC_MEMBERSHIP_VERSION = 3;
const FIRST_PROTOCOL_CHECK_VERSION = 5;

/**
 * SyncGroup (key 14), versions 0-5: the leader hands in the assignment, every member waits
 * for its own share once the group has stored it.
 */
export function createSyncGroupHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.SyncGroup> {
  return {
    apiKey: ApiKey.SyncGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(
      ctx: HandlerContext,
      request: SyncGroupRequest,
    ): Promise<ResponseBody<typeof ApiKey.SyncGroup>> {
      const version = ctx.header.requestApiVersion;
      const checksProtocol = version >= FIRST_PROTOCOL_CHECK_VERSION;
      const result = await services.groupCoordinator.membership.syncGroup({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId:
          version >= FIRST_STATIC_MEMBERSHIP_VERSION ? request.groupInstanceId : null,
        protocolType: checksProtocol ? request.protocolType : null,
        protocolName: checksProtocol ? request.protocolName : null,
        assignments: request.assignments,
      });
      return { throttleTimeMs: 0, ...result };
    },
  };
}

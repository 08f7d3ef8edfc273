import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { LeaveGroupRequest } from '../../protocol/messages/generated/leave-group-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/** LeaveGroup v3 takes a batch of members, static ones by instance id (KIP-345). */
const FIRST_BATCHED_VERSION = 3;

/**
 * LeaveGroup (key 13), versions 0-5. Up to v2 one member leaves and its error is the
 * response's; from v3 each member gets its own error.
 */
export function createLeaveGroupHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.LeaveGroup> {
  return {
    apiKey: ApiKey.LeaveGroup,
    minVersion: 0,
    maxVersion: 5,
    handle(
      ctx: HandlerContext,
      request: LeaveGroupRequest,
    ): Promise<ResponseBody<typeof ApiKey.LeaveGroup>> {
      const batched = ctx.header.requestApiVersion >= FIRST_BATCHED_VERSION;
      const leaving = batched
        ? request.members
        : [{ memberId: request.memberId, groupInstanceId: null, reason: null }];
      const result = services.groupCoordinator.membership.leaveGroup(request.groupId, leaving);
      if (batched) {
        return Promise.resolve({
          throttleTimeMs: 0,
          errorCode: result.errorCode,
          members: result.members,
        });
      }
      const memberError = result.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode;
      return Promise.resolve({
        throttleTimeMs: 0,
        errorCode:
          result.errorCode !== ErrorCode.NONE ? result.errorCode : (memberError ?? ErrorCode.NONE),
        members: [],
      });
    },
  };
}

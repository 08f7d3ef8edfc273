import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { JoinGroupRequest } from '../../protocol/messages/generated/join-group-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';
import { clientHostOf } from './group-request-context.js';

/** JoinGroup v4+ hands out member ids with MEMBER_ID_REQUIRED (KIP-394). */
const FIRST_VERSION_REQUIRING_MEMBER_ID = 4;
/** v5 adds group.instance.id (static membership, KIP-345). */
const FIRST_STATIC_MEMBERSHIP_VERSION = 5;
/** v7 makes protocol names nullable and adds the protocol type. */
const FIRST_NULLABLE_PROTOCOL_VERSION = 7;
/** v9 lets a rejoining static leader skip the assignment (KIP-814). */
const FIRST_SKIP_ASSIGNMENT_VERSION = 9;

/**
 * JoinGroup (key 11), versions 0-9: waits in the group's join phase until the rebalance
 * completes (or answers at once with an error or the current generation).
 */
export function createJoinGroupHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.JoinGroup> {
  return {
    apiKey: ApiKey.JoinGroup,
    minVersion: 0,
    maxVersion: 9,
    async handle(
      ctx: HandlerContext,
      request: JoinGroupRequest,
    ): Promise<ResponseBody<typeof ApiKey.JoinGroup>> {
      const version = ctx.header.requestApiVersion;
      const result = await services.groupCoordinator.membership.joinGroup({
        groupId: request.groupId,
        memberId: request.memberId,
        groupInstanceId:
          version >= FIRST_STATIC_MEMBERSHIP_VERSION ? request.groupInstanceId : null,
        sessionTimeoutMs: request.sessionTimeoutMs,
        // v0 has one timeout for both.
        rebalanceTimeoutMs: version === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
        protocolType: request.protocolType,
        protocols: request.protocols,
        reason: request.reason,
        clientId: ctx.header.clientId ?? '',
        clientHost: clientHostOf(ctx),
        requireKnownMemberId: version >= FIRST_VERSION_REQUIRING_MEMBER_ID,
        supportsSkippingAssignment: version >= FIRST_SKIP_ASSIGNMENT_VERSION,
      });
      return {
        throttleTimeMs: 0,
        ...result,
        protocolName:
          version >= FIRST_NULLABLE_PROTOCOL_VERSION
            ? result.protocolName
            : (result.protocolName ?? ''),
      };
    },
  };
}

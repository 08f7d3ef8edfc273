import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { HeartbeatRequest } from '../../protocol/messages/generated/heartbeat-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/** Heartbeat (key 12), versions 0-4: keeps a member's session; tells it of a rebalance. */
export function createHeartbeatHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.Heartbeat> {
  return {
    apiKey: ApiKey.Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    handle(
      _ctx: HandlerContext,
      request: HeartbeatRequest,
    ): Promise<ResponseBody<typeof ApiKey.Heartbeat>> {
      const errorCode = services.groupCoordinator.membership.heartbeat(request);
      return Promise.resolve({ throttleTimeMs: 0, errorCode });
    },
  };
}

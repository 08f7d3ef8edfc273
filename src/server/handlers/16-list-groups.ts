import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { ListGroupsRequest } from '../../protocol/messages/generated/list-groups-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * ListGroups (key 16), versions 0-5: the groups this broker coordinates, filtered by state
 * (v4+) and type (v5+); COORDINATOR_LOAD_IN_PROGRESS while a partition still loads.
 */
export function createListGroupsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.ListGroups> {
  return {
    apiKey: ApiKey.ListGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(
      _ctx: HandlerContext,
      request: ListGroupsRequest,
    ): Promise<ResponseBody<typeof ApiKey.ListGroups>> {
      const { errorCode, groups } = services.groupCoordinator.membership.listGroups(
        request.statesFilter,
        request.typesFilter,
      );
      return Promise.resolve({ throttleTimeMs: 0, errorCode, groups });
    },
  };
}

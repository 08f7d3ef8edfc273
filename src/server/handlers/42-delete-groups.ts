import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { DeleteGroupsRequest } from '../../protocol/messages/generated/delete-groups-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * DeleteGroups (key 42), versions 0-2: removes empty groups with their offsets
 * (NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND for unknown ones).
 */
export function createDeleteGroupsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.DeleteGroups> {
  return {
    apiKey: ApiKey.DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    async handle(
      _ctx: HandlerContext,
      request: DeleteGroupsRequest,
    ): Promise<ResponseBody<typeof ApiKey.DeleteGroups>> {
      const results = await services.groupCoordinator.offsets.deleteGroups(request.groupsNames);
      return { throttleTimeMs: 0, results };
    },
  };
}

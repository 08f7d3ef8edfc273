import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { DescribeGroupsRequest } from '../../protocol/messages/generated/describe-groups-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/** Kafka's "not requested" value for authorized operations. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** READ (3), DELETE (6) and DESCRIBE (8): what a group allows, with no authorizer. */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

/**
 * DescribeGroups (key 15), versions 0-5: state, protocol and members of each group; a group
 * this coordinator does not know is reported Dead (not an error), as Kafka does.
 */
export function createDescribeGroupsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.DescribeGroups> {
  return {
    apiKey: ApiKey.DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(
      _ctx: HandlerContext,
      request: DescribeGroupsRequest,
    ): Promise<ResponseBody<typeof ApiKey.DescribeGroups>> {
      const authorizedOperations = request.includeAuthorizedOperations
        ? GROUP_OPERATIONS
        : AUTHORIZED_OPERATIONS_OMITTED;
      return Promise.resolve({
        throttleTimeMs: 0,
        groups: request.groups.map((groupId) => ({
          ...services.groupCoordinator.membership.describeGroup(groupId),
          authorizedOperations,
        })),
      });
    },
  };
}

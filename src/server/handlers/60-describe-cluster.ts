import { ErrorCode } from '../../protocol/errors.js';
import type { DescribeClusterRequest } from '../../protocol/messages/generated/describe-cluster-request.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import { liveBrokerAddresses, type BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * DescribeCluster (key 60), versions 0-1: the live brokers at their endpoint on the request's
 * listener. A broker answers only endpoint type 1 (brokers); controllers (type 2) are asked
 * on the controller listener, so here that is UNSUPPORTED_ENDPOINT_TYPE, as in Kafka.
 */

const BROKER_ENDPOINT_TYPE = 1;

export function createDescribeClusterHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.DescribeCluster> {
  return {
    apiKey: ApiKey.DescribeCluster,
    minVersion: 0,
    maxVersion: 1,
    async handle(
      ctx: HandlerContext,
      request: DescribeClusterRequest,
    ): Promise<ResponseBody<typeof ApiKey.DescribeCluster>> {
      if (ctx.header.requestApiVersion >= 1 && request.endpointType !== BROKER_ENDPOINT_TYPE) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: 'The target server only supports the broker endpoint type',
          endpointType: request.endpointType,
          clusterId: services.clusterId,
          controllerId: -1,
          brokers: [],
        };
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: BROKER_ENDPOINT_TYPE,
        clusterId: services.clusterId,
        controllerId: services.nodeId,
        brokers: liveBrokerAddresses(services.image(), ctx.listenerName).map((b) => ({
          brokerId: b.nodeId,
          host: b.host,
          port: b.port,
          rack: b.rack,
        })),
      };
    },
  };
}

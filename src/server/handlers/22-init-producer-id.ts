import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { InitProducerIdRequest } from '../../protocol/messages/generated/init-producer-id-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, ResponseBody } from '../router.js';

/**
 * InitProducerId (key 22), versions 0-5, for idempotent producers: without a transactional
 * id, Kafka hands out a fresh producer id with epoch 0 (whatever id and epoch the request
 * carries), from the blocks the controller allocates to this broker.
 *
 * With a transactional id the transaction coordinator answers, and there is none yet: this
 * broker answers COORDINATOR_NOT_AVAILABLE, which clients treat as retriable (and which
 * FindCoordinator for transactions will answer too until the coordinator exists).
 */
export function createInitProducerIdHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.InitProducerId> {
  return {
    apiKey: ApiKey.InitProducerId,
    minVersion: 0,
    maxVersion: 5,
    async handle(
      _ctx,
      request: InitProducerIdRequest,
    ): Promise<ResponseBody<typeof ApiKey.InitProducerId>> {
      if (request.transactionalId !== null) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
          producerId: -1n,
          producerEpoch: -1,
        };
      }
      const { errorCode, producerId } = await services.producerIds.generate();
      return {
        throttleTimeMs: 0,
        errorCode,
        producerId,
        producerEpoch: errorCode === ErrorCode.NONE ? 0 : -1,
      };
    },
  };
}

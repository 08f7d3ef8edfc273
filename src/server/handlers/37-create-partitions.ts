import type { CreatePartitionsRequest } from '../../protocol/messages/generated/create-partitions-request.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, ResponseBody } from '../router.js';

/**
 * CreatePartitions (key 37), versions 0-3: the controller checks and places the new
 * partitions (controller/create-partitions.ts: INVALID_PARTITIONS, INVALID_REPLICA_ASSIGNMENT,
 * UNKNOWN_TOPIC_OR_PARTITION, ... per topic); validateOnly checks without committing.
 */
export function createCreatePartitionsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.CreatePartitions> {
  return {
    apiKey: ApiKey.CreatePartitions,
    minVersion: 0,
    maxVersion: 3,
    async handle(
      _ctx,
      request: CreatePartitionsRequest,
    ): Promise<ResponseBody<typeof ApiKey.CreatePartitions>> {
      const results = await services.controller.createPartitions(
        request.topics.map((t) => ({
          name: t.name,
          count: t.count,
          assignments: t.assignments,
        })),
        { validateOnly: request.validateOnly },
      );
      await services.metadataApplied();
      return { throttleTimeMs: 0, results: results.map((r) => ({ ...r })) };
    },
  };
}

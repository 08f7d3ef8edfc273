import type { IncrementalAlterConfigsRequest } from '../../protocol/messages/generated/incremental-alter-configs-request.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, ResponseBody } from '../router.js';

/**
 * IncrementalAlterConfigs (key 44), versions 0-1: SET / DELETE / APPEND / SUBTRACT per key
 * on TOPIC and BROKER resources, decided by the controller (controller/alter-configs.ts),
 * one error per resource; validateOnly checks without committing.
 */
export function createIncrementalAlterConfigsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.IncrementalAlterConfigs> {
  return {
    apiKey: ApiKey.IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    async handle(
      _ctx,
      request: IncrementalAlterConfigsRequest,
    ): Promise<ResponseBody<typeof ApiKey.IncrementalAlterConfigs>> {
      const results = await services.controller.incrementalAlterConfigs(
        request.resources.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: r.configs.map((c) => ({
            name: c.name,
            configOperation: c.configOperation,
            value: c.value,
          })),
        })),
        { validateOnly: request.validateOnly },
      );
      return { throttleTimeMs: 0, responses: results.map((r) => ({ ...r })) };
    },
  };
}

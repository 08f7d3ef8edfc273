import type { AlterConfigsRequest } from '../../protocol/messages/generated/alter-configs-request.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, ResponseBody } from '../router.js';

/**
 * AlterConfigs (key 33), versions 0-2: the legacy, whole-resource replacement of a TOPIC's
 * or BROKER's dynamic configs, decided by the controller (controller/alter-configs.ts: the
 * checks Kafka's ConfigAdminManager and ControllerApis make, one error per resource).
 * validateOnly checks without committing.
 */
export function createAlterConfigsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.AlterConfigs> {
  return {
    apiKey: ApiKey.AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    async handle(
      _ctx,
      request: AlterConfigsRequest,
    ): Promise<ResponseBody<typeof ApiKey.AlterConfigs>> {
      const results = await services.controller.alterConfigs(
        request.resources.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: r.configs.map((c) => ({ name: c.name, value: c.value })),
        })),
        { validateOnly: request.validateOnly },
      );
      return { throttleTimeMs: 0, responses: results.map((r) => ({ ...r })) };
    },
  };
}

import type { CreateTopicsRequest } from '../../protocol/messages/generated/create-topics-request.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, ResponseBody } from '../router.js';

/**
 * CreateTopics (key 19), versions 0-7: the controller validates, places and commits (see
 * controller/create-topics.ts); the topics exist in the published image when it answers.
 * v5+ returns each created topic's effective configs, v7+ its id.
 */
export function createCreateTopicsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.CreateTopics> {
  return {
    apiKey: ApiKey.CreateTopics,
    minVersion: 0,
    maxVersion: 7,
    async handle(
      _ctx,
      request: CreateTopicsRequest,
    ): Promise<ResponseBody<typeof ApiKey.CreateTopics>> {
      const results = await services.controller.createTopics(
        request.topics.map((t) => ({
          name: t.name,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: t.assignments,
          configs: t.configs,
        })),
        { validateOnly: request.validateOnly },
      );
      // Answer once this broker hosts the new partitions: a produce right after succeeds.
      await services.metadataApplied();
      return {
        throttleTimeMs: 0,
        topics: results.map((r) => ({
          name: r.name,
          topicId: r.topicId,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          numPartitions: r.numPartitions,
          replicationFactor: r.replicationFactor,
          configs: r.configs === null ? null : r.configs.map((c) => ({ ...c })),
        })),
      };
    },
  };
}

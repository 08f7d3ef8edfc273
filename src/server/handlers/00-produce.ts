import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { ProduceRequest } from '../../protocol/messages/generated/produce-request.js';
import type {
  NodeEndpoint,
  TopicProduceResponse,
} from '../../protocol/messages/generated/produce-response.js';
import type { ProduceEntry, ProducePartitionResult } from '../../replica/types.js';
import { brokerAddress, type BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';
import { groupByTopic } from './group-by-topic.js';

/**
 * Produce (key 0), versions 0-11: the replica manager appends and applies the acks rules
 * (invalid acks, transactional batches, per-partition errors); this handler maps its results.
 * acks=0 gets no response at all. v8+ carries per-record errors and an error message, v10+
 * the current leader of partitions answered NOT_LEADER_OR_FOLLOWER, with its endpoint.
 */

export function createProduceHandler(services: BrokerServices): ApiHandler<typeof ApiKey.Produce> {
  return {
    apiKey: ApiKey.Produce,
    minVersion: 0,
    maxVersion: 11,
    async handle(
      ctx: HandlerContext,
      request: ProduceRequest,
    ): Promise<ResponseBody<typeof ApiKey.Produce> | null> {
      const entries: ProduceEntry[] = request.topicData.flatMap((topic) =>
        topic.partitionData.map((p) => ({
          topic: topic.name,
          partition: p.index,
          records: p.records,
        })),
      );
      const results = await services.replicaManager.appendRecords({
        acks: request.acks,
        timeoutMs: request.timeoutMs,
        transactionalId: request.transactionalId,
        entries,
        apiVersion: ctx.header.requestApiVersion,
      });
      if (request.acks === 0) return null;
      const responses: Partial<TopicProduceResponse>[] = groupByTopic(results).map(
        ([name, partitions]) => ({
          name,
          partitionResponses: partitions.map(partitionResponse),
        }),
      );
      return {
        responses,
        throttleTimeMs: 0,
        nodeEndpoints: leaderEndpoints(services, ctx.listenerName, results),
      };
    },
  };
}

function partitionResponse(r: ProducePartitionResult) {
  return {
    index: r.partition,
    errorCode: r.errorCode,
    baseOffset: r.baseOffset,
    logAppendTimeMs: r.logAppendTimeMs,
    logStartOffset: r.logStartOffset,
    recordErrors: r.recordErrors.map((e) => ({
      batchIndex: e.batchIndex,
      batchIndexErrorMessage: e.message,
    })),
    errorMessage: r.errorMessage,
    currentLeader: r.currentLeader ?? { leaderId: -1, leaderEpoch: -1 },
  };
}

/** KIP-951: where the leaders named in currentLeader can be reached. */
function leaderEndpoints(
  services: BrokerServices,
  listenerName: string,
  results: readonly ProducePartitionResult[],
): NodeEndpoint[] {
  const image = services.image();
  const ids = new Set(
    results.flatMap((r) =>
      r.currentLeader && r.currentLeader.leaderId >= 0 ? [r.currentLeader.leaderId] : [],
    ),
  );
  const endpoints: NodeEndpoint[] = [];
  for (const id of ids) {
    const broker = image.broker(id);
    const address = broker && brokerAddress(broker, listenerName);
    if (address) endpoints.push(address);
  }
  return endpoints;
}

import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { OffsetForLeaderEpochRequest } from '../../protocol/messages/generated/offset-for-leader-epoch-request.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, ResponseBody } from '../router.js';
import { groupByTopic } from './group-by-topic.js';

/**
 * OffsetForLeaderEpoch (key 23), versions 0-4: the end offset of a leader epoch in the
 * leader's log (KIP-101/320), answered by the replica manager. Before v3 the request has no
 * replica id and reads as a debugging tool's (-2), as Kafka defines it.
 */
export function createOffsetForLeaderEpochHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.OffsetForLeaderEpoch> {
  return {
    apiKey: ApiKey.OffsetForLeaderEpoch,
    minVersion: 0,
    maxVersion: 4,
    async handle(
      _ctx,
      request: OffsetForLeaderEpochRequest,
    ): Promise<ResponseBody<typeof ApiKey.OffsetForLeaderEpoch>> {
      const results = services.replicaManager.offsetForLeaderEpoch(
        request.replicaId,
        request.topics.flatMap((t) =>
          t.partitions.map((p) => ({
            topic: t.topic,
            partition: p.partition,
            currentLeaderEpoch: p.currentLeaderEpoch,
            leaderEpoch: p.leaderEpoch,
          })),
        ),
      );
      return {
        throttleTimeMs: 0,
        topics: groupByTopic(results).map(([topic, partitions]) => ({
          topic,
          partitions: partitions.map((r) => ({
            errorCode: r.errorCode,
            partition: r.partition,
            leaderEpoch: r.leaderEpoch,
            endOffset: r.endOffset,
          })),
        })),
      };
    },
  };
}

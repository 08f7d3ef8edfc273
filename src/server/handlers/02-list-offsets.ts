import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { ListOffsetsRequest } from '../../protocol/messages/generated/list-offsets-request.js';
import {
  IsolationLevel,
  type IsolationLevelId,
  type ListOffsetsPartitionRequest,
} from '../../replica/types.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';
import { groupByTopic } from './group-by-topic.js';

/**
 * ListOffsets (key 2), versions 0-10: the replica manager finds the offsets; v0 answers in
 * the old style (a list of offsets), later versions with one offset, its timestamp and (v4+)
 * leader epoch. A partition asked for twice is INVALID_REQUEST (v1+), as in Kafka.
 */

const FIRST_VERSION_WITH_LEADER_EPOCH = 4;

export function createListOffsetsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.ListOffsets> {
  return {
    apiKey: ApiKey.ListOffsets,
    minVersion: 0,
    maxVersion: 10,
    async handle(
      ctx: HandlerContext,
      request: ListOffsetsRequest,
    ): Promise<ResponseBody<typeof ApiKey.ListOffsets>> {
      const version = ctx.header.requestApiVersion;
      const counts = new Map<string, number>();
      const asked: ListOffsetsPartitionRequest[] = [];
      for (const topic of request.topics) {
        for (const p of topic.partitions) {
          const key = `${topic.name}:${p.partitionIndex}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          asked.push({
            topic: topic.name,
            partition: p.partitionIndex,
            currentLeaderEpoch: p.currentLeaderEpoch,
            timestamp: p.timestamp,
          });
        }
      }
      const isDuplicate = (p: { topic: string; partition: number }) =>
        version >= 1 && (counts.get(`${p.topic}:${p.partition}`) ?? 0) > 1;
      const found = await services.replicaManager.listOffsets({
        replicaId: request.replicaId,
        isolationLevel: (request.isolationLevel === IsolationLevel.ReadCommitted
          ? IsolationLevel.ReadCommitted
          : IsolationLevel.ReadUncommitted) as IsolationLevelId,
        partitions: asked.filter((p) => !isDuplicate(p)),
      });
      const byKey = new Map(found.map((r) => [`${r.topic}:${r.partition}`, r]));
      const results = asked.map((p) => {
        const r = isDuplicate(p) ? undefined : byKey.get(`${p.topic}:${p.partition}`);
        const errorCode = r?.errorCode ?? ErrorCode.INVALID_REQUEST;
        if (version === 0) {
          const offset = r && errorCode === ErrorCode.NONE && r.offset >= 0n ? [r.offset] : [];
          return {
            topic: p.topic,
            partitionIndex: p.partition,
            errorCode,
            oldStyleOffsets: offset,
          };
        }
        return {
          topic: p.topic,
          partitionIndex: p.partition,
          errorCode,
          timestamp: r?.timestamp ?? -1n,
          offset: r?.offset ?? -1n,
          ...(version >= FIRST_VERSION_WITH_LEADER_EPOCH
            ? { leaderEpoch: r?.leaderEpoch ?? -1 }
            : {}),
        };
      });
      return {
        throttleTimeMs: 0,
        topics: groupByTopic(results).map(([name, partitions]) => ({ name, partitions })),
      };
    },
  };
}

import { ErrorCode } from '../../protocol/errors.js';
import type { FetchRequest } from '../../protocol/messages/generated/fetch-request.js';
import type { PartitionData } from '../../protocol/messages/generated/fetch-response.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import {
  IsolationLevel,
  type FetchPartitionRequest,
  type FetchPartitionResult,
  type IsolationLevelId,
} from '../../replica/types.js';
import type { BrokerServices } from '../broker-services.js';
import {
  convertForFetchVersion,
  FIRST_FETCH_VERSION_WITHOUT_CONVERSION,
} from './fetch-down-conversion.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * Fetch (key 1), versions 0-17: the fetch session cache (KIP-227, v7+) decides which
 * partitions to read and what the response carries; the replica manager reads (and long
 * polls). v13+ names topics by id, v15+ moves the replica id into ReplicaState.
 * Records are answered as the stored batches, down-converted to a legacy message set for
 * v0-3 (fetch-down-conversion.ts); no throttling.
 */

const FIRST_VERSION_WITH_MAX_BYTES = 3;
const FIRST_VERSION_WITH_RACK = 11;
const FIRST_VERSION_WITH_TOPIC_IDS = 13;
const FIRST_VERSION_WITH_REPLICA_STATE = 15;
const INT32_MAX = 0x7fffffff;

type FetchResponseBody = ResponseBody<typeof ApiKey.Fetch>;

export function createFetchHandler(services: BrokerServices): ApiHandler<typeof ApiKey.Fetch> {
  return {
    apiKey: ApiKey.Fetch,
    minVersion: 0,
    maxVersion: 17,
    async handle(ctx: HandlerContext, request: FetchRequest): Promise<FetchResponseBody> {
      const version = ctx.header.requestApiVersion;
      const usesTopicIds = version >= FIRST_VERSION_WITH_TOPIC_IDS;
      const replicaId =
        version >= FIRST_VERSION_WITH_REPLICA_STATE
          ? request.replicaState.replicaId
          : request.replicaId;
      const image = services.image();
      const partitions: FetchPartitionRequest[] = request.topics.flatMap((topic) =>
        topic.partitions.map((p) => ({
          topic: usesTopicIds ? (image.topicById(topic.topicId)?.name ?? '') : topic.topic,
          topicId: usesTopicIds ? topic.topicId : undefined,
          partition: p.partition,
          fetchOffset: p.fetchOffset,
          currentLeaderEpoch: p.currentLeaderEpoch,
          lastFetchedEpoch: p.lastFetchedEpoch,
          logStartOffset: p.logStartOffset,
          partitionMaxBytes: p.partitionMaxBytes,
        })),
      );
      const session = services.fetchSessions.newContext({
        version,
        sessionId: request.sessionId,
        sessionEpoch: request.sessionEpoch,
        isFollower: replicaId >= 0,
        partitions,
        forgotten: request.forgottenTopicsData.flatMap((topic) =>
          topic.partitions.map((partition) => ({
            topic: usesTopicIds ? (image.topicById(topic.topicId)?.name ?? '') : topic.topic,
            topicId: usesTopicIds ? topic.topicId : undefined,
            partition,
          })),
        ),
        topicNameFor: (topicId) => services.image().topicById(topicId)?.name,
      });
      if (session.errorCode !== ErrorCode.NONE) {
        return { throttleTimeMs: 0, errorCode: session.errorCode, sessionId: 0, responses: [] };
      }
      // Partitions of unknown topic ids are answered by the session; only known ones are read.
      const readable = session.partitionsToFetch.filter((p) => p.topic !== '');
      const results =
        readable.length === 0
          ? []
          : await services.replicaManager.fetchMessages({
              replicaId,
              maxWaitMs: request.maxWaitMs,
              minBytes: request.minBytes,
              maxBytes: version >= FIRST_VERSION_WITH_MAX_BYTES ? request.maxBytes : INT32_MAX,
              isolationLevel: (request.isolationLevel === IsolationLevel.ReadCommitted
                ? IsolationLevel.ReadCommitted
                : IsolationLevel.ReadUncommitted) as IsolationLevelId,
              partitions: readable,
              clientRackId: version >= FIRST_VERSION_WITH_RACK ? request.rackId : undefined,
            });
      // Records read from the files sit in pooled memory until the response has left.
      const pool = services.replicaManager.fetchBuffers;
      ctx.afterResponseSent?.(() => {
        for (const result of results) pool.release(result.records);
      });
      const built = session.buildResponse(results);
      const answered =
        version >= FIRST_FETCH_VERSION_WITHOUT_CONVERSION
          ? built.partitions
          : await convertForFetchVersion(
              built.partitions,
              version,
              partitions,
              (r) => services.replicaManager.getPartition(r.topic, r.partition)?.compressionType,
            );
      return {
        throttleTimeMs: 0,
        errorCode: built.errorCode,
        sessionId: built.sessionId,
        responses: groupTopics(answered, usesTopicIds),
      };
    },
  };
}

/** Consecutive partitions of one topic form one topic entry, keeping the session's order. */
function groupTopics(results: readonly FetchPartitionResult[], usesTopicIds: boolean) {
  const topics: { topic: string; topicId: string; partitions: Partial<PartitionData>[] }[] = [];
  for (const r of results) {
    const topicId = r.topicId ?? ZERO_UUID;
    let last = topics.at(-1);
    if (last === undefined || (usesTopicIds ? last.topicId !== topicId : last.topic !== r.topic)) {
      last = { topic: r.topic, topicId, partitions: [] };
      topics.push(last);
    }
    last.partitions.push({
      partitionIndex: r.partition,
      errorCode: r.errorCode,
      highWatermark: r.highWatermark,
      lastStableOffset: r.lastStableOffset,
      logStartOffset: r.logStartOffset,
      divergingEpoch: r.divergingEpoch ?? { epoch: -1, endOffset: -1n },
      currentLeader: r.currentLeader ?? { leaderId: -1, leaderEpoch: -1 },
      abortedTransactions: r.abortedTransactions,
      preferredReadReplica: r.preferredReadReplica,
      records: r.records,
    });
  }
  return topics;
}

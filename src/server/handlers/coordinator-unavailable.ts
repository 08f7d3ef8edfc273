/**
 * The group and transaction APIs, answered as a Kafka broker whose coordinators are not
 * available answers them: COORDINATOR_NOT_AVAILABLE (15) for every key, group, partition or
 * transaction the request names, in the shape of Kafka's getErrorResponse of each request.
 * ListGroups and ListTransactions answer an empty list with NONE (there is nothing to list).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { AnyApiHandler } from '../router.js';
import { errorResponseHandler, messageOf, partitionErrors } from './error-responses.js';

const ERROR = ErrorCode.COORDINATOR_NOT_AVAILABLE;
/** FindCoordinator v4 batches keys (KIP-699). */
const FIRST_BATCHED_FIND_COORDINATOR = 4;
/** OffsetFetch v8 batches groups. */
const FIRST_BATCHED_OFFSET_FETCH = 8;
/** AddPartitionsToTxn v4 batches transactions (KIP-890); errors become top-level. */
const FIRST_BATCHED_ADD_PARTITIONS = 4;

export function coordinatorUnavailableHandlers(): AnyApiHandler[] {
  return [
    // FindCoordinator (10): Node.noNode() (-1, "", -1) with the error, per key from v4.
    errorResponseHandler(ApiKey.FindCoordinator, 0, 6, (request, version) =>
      version < FIRST_BATCHED_FIND_COORDINATOR
        ? {
            throttleTimeMs: 0,
            errorCode: ERROR,
            errorMessage: version >= 1 ? messageOf(ERROR) : null,
            nodeId: -1,
            host: '',
            port: -1,
          }
        : {
            throttleTimeMs: 0,
            coordinators: request.coordinatorKeys.map((key) => ({
              key,
              nodeId: -1,
              host: '',
              port: -1,
              errorCode: ERROR,
              errorMessage: messageOf(ERROR),
            })),
          },
    ),
    // JoinGroup (11): generation -1, no member id, no leader, no protocol (null from v7).
    errorResponseHandler(ApiKey.JoinGroup, 0, 9, (_request, version) => ({
      throttleTimeMs: 0,
      errorCode: ERROR,
      generationId: -1,
      protocolType: null,
      protocolName: version >= 7 ? null : '',
      leader: '',
      memberId: '',
      members: [],
    })),
    errorResponseHandler(ApiKey.Heartbeat, 0, 4, () => ({ throttleTimeMs: 0, errorCode: ERROR })),
    // LeaveGroup (13): a top-level error, no member responses (LeaveGroupRequest.getErrorResponse).
    errorResponseHandler(ApiKey.LeaveGroup, 0, 5, () => ({
      throttleTimeMs: 0,
      errorCode: ERROR,
      members: [],
    })),
    errorResponseHandler(ApiKey.SyncGroup, 0, 5, () => ({
      throttleTimeMs: 0,
      errorCode: ERROR,
      protocolType: null,
      protocolName: null,
      assignment: Buffer.alloc(0),
    })),
    // OffsetCommit (8): every partition.
    errorResponseHandler(ApiKey.OffsetCommit, 0, 9, (request) => ({
      throttleTimeMs: 0,
      topics: partitionErrors(request.topics, ERROR),
    })),
    // OffsetFetch (9): every partition with offset -1 before v8 (and the top-level error
    // from v2); every group from v8.
    errorResponseHandler(ApiKey.OffsetFetch, 0, 9, (request, version) =>
      version < FIRST_BATCHED_OFFSET_FETCH
        ? {
            throttleTimeMs: 0,
            errorCode: version >= 2 ? ERROR : 0,
            topics: (request.topics ?? []).map((t) => ({
              name: t.name,
              partitions: t.partitionIndexes.map((partitionIndex) => ({
                partitionIndex,
                committedOffset: -1n,
                committedLeaderEpoch: -1,
                metadata: '',
                errorCode: ERROR,
              })),
            })),
          }
        : {
            throttleTimeMs: 0,
            groups: request.groups.map((g) => ({
              groupId: g.groupId,
              topics: [],
              errorCode: ERROR,
            })),
          },
    ),
    // DescribeGroups (15): DescribeGroupsResponse.groupError for every group.
    errorResponseHandler(ApiKey.DescribeGroups, 0, 5, (request) => ({
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => ({
        errorCode: ERROR,
        groupId,
        groupState: '',
        protocolType: '',
        protocolData: '',
        members: [],
      })),
    })),
    errorResponseHandler(ApiKey.ListGroups, 0, 5, () => ({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: [],
    })),
    errorResponseHandler(ApiKey.DeleteGroups, 0, 2, (request) => ({
      throttleTimeMs: 0,
      results: request.groupsNames.map((groupId) => ({ groupId, errorCode: ERROR })),
    })),
    // OffsetDelete (47): a top-level error (OffsetDeleteRequest.getErrorResponse).
    errorResponseHandler(ApiKey.OffsetDelete, 0, 0, () => ({
      errorCode: ERROR,
      throttleTimeMs: 0,
      topics: [],
    })),
    // AddPartitionsToTxn (24): every partition up to v3, a top-level error from v4.
    errorResponseHandler(ApiKey.AddPartitionsToTxn, 0, 5, (request, version) =>
      version < FIRST_BATCHED_ADD_PARTITIONS
        ? {
            throttleTimeMs: 0,
            resultsByTopicV3AndBelow: request.v3AndBelowTopics.map((t) => ({
              name: t.name,
              resultsByPartition: t.partitions.map((partitionIndex) => ({
                partitionIndex,
                partitionErrorCode: ERROR,
              })),
            })),
          }
        : { throttleTimeMs: 0, errorCode: ERROR, resultsByTransaction: [] },
    ),
    errorResponseHandler(ApiKey.AddOffsetsToTxn, 0, 4, () => ({
      throttleTimeMs: 0,
      errorCode: ERROR,
    })),
    errorResponseHandler(ApiKey.EndTxn, 0, 5, () => ({
      throttleTimeMs: 0,
      errorCode: ERROR,
      producerId: -1n,
      producerEpoch: -1,
    })),
    errorResponseHandler(ApiKey.TxnOffsetCommit, 0, 4, (request) => ({
      throttleTimeMs: 0,
      topics: partitionErrors(request.topics, ERROR),
    })),
    errorResponseHandler(ApiKey.DescribeTransactions, 0, 0, (request) => ({
      throttleTimeMs: 0,
      transactionStates: request.transactionalIds.map((transactionalId) => ({
        errorCode: ERROR,
        transactionalId,
      })),
    })),
    errorResponseHandler(ApiKey.ListTransactions, 0, 1, () => ({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      unknownStateFilters: [],
      transactionStates: [],
    })),
  ];
}

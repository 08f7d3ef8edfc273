/**
 * The transaction APIs, answered as a Kafka broker whose transaction coordinator is not
 * available answers them: COORDINATOR_NOT_AVAILABLE (15) for every partition or transaction
 * the request names, in the shape of Kafka's getErrorResponse of each request.
 * ListTransactions answers an empty list with NONE (there is nothing to list).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { AnyApiHandler } from '../router.js';
import { errorResponseHandler, partitionErrors } from './error-responses.js';

const ERROR = ErrorCode.COORDINATOR_NOT_AVAILABLE;
/** AddPartitionsToTxn v4 batches transactions (KIP-890); errors become top-level. */
const FIRST_BATCHED_ADD_PARTITIONS = 4;

export function coordinatorUnavailableHandlers(): AnyApiHandler[] {
  return [
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

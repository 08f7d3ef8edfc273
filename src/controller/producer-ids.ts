/**
 * Producer id blocks (Kafka's ProducerIdControlManager): each AllocateProducerIds hands the
 * asking broker the next 1000 ids and records where the following block starts, so ids
 * are never reused across controller restarts or failovers.
 */
import { metadataRecord } from '../metadata/metadata-records.js';
import { ErrorCode } from '../protocol/errors.js';
import { apiError, type ApiError } from './api-error.js';
import type { ControllerContext } from './controller-context.js';
import type { ControllerResult } from './controller-result.js';

/** ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

const INT64_MAX = (1n << 63n) - 1n;

export interface ProducerIdsBlock {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** First id of the block (0 when refused). */
  readonly producerIdStart: bigint;
  /** Ids in the block (0 when refused). */
  readonly producerIdLen: number;
}

function refused(error: ApiError): ControllerResult<ProducerIdsBlock> {
  return {
    records: [],
    response: {
      errorCode: error.code,
      errorMessage: error.message,
      producerIdStart: 0n,
      producerIdLen: 0,
    },
  };
}

/** Kafka's ClusterControlManager.checkBrokerEpoch. */
export function brokerEpochError(
  context: ControllerContext,
  brokerId: number,
  brokerEpoch: bigint,
): ApiError | null {
  const broker = context.image.broker(brokerId);
  if (!broker) {
    return apiError(
      ErrorCode.STALE_BROKER_EPOCH,
      `No broker registration found for broker ${brokerId}`,
    );
  }
  if (broker.epoch !== brokerEpoch) {
    return apiError(
      ErrorCode.STALE_BROKER_EPOCH,
      `Expected broker epoch ${broker.epoch}, but got broker epoch ${brokerEpoch}`,
    );
  }
  return null;
}

export function allocateProducerIds(
  context: ControllerContext,
  brokerId: number,
  brokerEpoch: bigint,
): ControllerResult<ProducerIdsBlock> {
  const epochError = brokerEpochError(context, brokerId, brokerEpoch);
  if (epochError) return refused(epochError);
  const first = context.image.nextProducerId;
  if (first > INT64_MAX - BigInt(PRODUCER_ID_BLOCK_SIZE)) {
    return refused(
      apiError(
        ErrorCode.UNKNOWN_SERVER_ERROR,
        "Exhausted all producerIds as the next block's end producerId has exceeded the int64 type limit",
      ),
    );
  }
  return {
    records: [
      metadataRecord('ProducerIdsRecord', {
        brokerId,
        brokerEpoch,
        nextProducerId: first + BigInt(PRODUCER_ID_BLOCK_SIZE),
      }),
    ],
    response: {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      producerIdStart: first,
      producerIdLen: PRODUCER_ID_BLOCK_SIZE,
    },
  };
}

/**
 * Answers for APIs whose subsystem this broker does not have yet (group and transaction
 * coordinators, an authorizer, SASL): a well-formed response carrying Kafka's error for each
 * item of the request, built the way Kafka's AbstractRequest.getErrorResponse echoes the
 * request, instead of a dropped connection.
 */
import type { ApiKeyNumber } from '../../protocol/api.js';
import { errorInfo } from '../../protocol/errors.js';
import type { RequestsByApiKey } from '../../protocol/messages/generated/index.js';
import type { ApiHandler, ResponseBody } from '../router.js';

/** A handler that answers every request of `apiKey` with `build(request, version)`. */
export function errorResponseHandler<K extends ApiKeyNumber>(
  apiKey: K,
  minVersion: number,
  maxVersion: number,
  build: (request: RequestsByApiKey[K], version: number) => ResponseBody<K>,
): ApiHandler<K> {
  return {
    apiKey,
    minVersion,
    maxVersion,
    handle: (ctx, request) => Promise.resolve(build(request, ctx.header.requestApiVersion)),
  };
}

/** Kafka's default message for an error code (Errors.X.message()). */
export function messageOf(code: number): string {
  return errorInfo(code).message;
}

/** Every partition of every topic, each with `errorCode` (OffsetCommit, TxnOffsetCommit, ...). */
export function partitionErrors<P extends { partitionIndex: number }>(
  topics: readonly { name: string; partitions: readonly P[] }[],
  errorCode: number,
): { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  }));
}

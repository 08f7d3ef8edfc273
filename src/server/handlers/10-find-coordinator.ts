import { GROUP_METADATA_TOPIC } from '../../coordinator/group/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { FindCoordinatorRequest } from '../../protocol/messages/generated/find-coordinator-request.js';
import { brokerAddress, type BrokerAddress, type BrokerServices } from '../broker-services.js';
import { offsetsTopicSpec } from '../internal-topics.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';
import { messageOf } from './error-responses.js';

/** FindCoordinator v4 batches keys (KIP-699). */
const FIRST_BATCHED_VERSION = 4;
const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

type Lookup = { errorCode: number; node: BrokerAddress | null };

/**
 * FindCoordinator (key 10), versions 0-6: a group's coordinator is the leader of its
 * `__consumer_offsets` partition (`abs(hash(groupId)) % partitions`); the topic is created on
 * the first lookup with `offsets.topic.*` settings. Transaction coordinators do not exist
 * yet: COORDINATOR_NOT_AVAILABLE. Unknown key types: INVALID_REQUEST.
 */
export function createFindCoordinatorHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.FindCoordinator> {
  return {
    apiKey: ApiKey.FindCoordinator,
    minVersion: 0,
    maxVersion: 6,
    async handle(
      ctx: HandlerContext,
      request: FindCoordinatorRequest,
    ): Promise<ResponseBody<typeof ApiKey.FindCoordinator>> {
      const version = ctx.header.requestApiVersion;
      const keyType = version >= 1 ? request.keyType : KEY_TYPE_GROUP;
      if (version < FIRST_BATCHED_VERSION) {
        const { errorCode, node } = await lookup(services, ctx, keyType, request.key);
        return {
          throttleTimeMs: 0,
          errorCode,
          errorMessage: version >= 1 ? errorMessageOf(errorCode) : null,
          nodeId: node?.nodeId ?? -1,
          host: node?.host ?? '',
          port: node?.port ?? -1,
        };
      }
      const coordinators = await Promise.all(
        request.coordinatorKeys.map(async (key) => {
          const { errorCode, node } = await lookup(services, ctx, keyType, key);
          return {
            key,
            nodeId: node?.nodeId ?? -1,
            host: node?.host ?? '',
            port: node?.port ?? -1,
            errorCode,
            errorMessage: errorMessageOf(errorCode),
          };
        }),
      );
      return { throttleTimeMs: 0, coordinators };
    },
  };
}

/** Kafka's Errors.message(): the error's text, or the error's name for NONE. */
function errorMessageOf(code: number): string {
  return code === ErrorCode.NONE ? 'NONE' : messageOf(code);
}

async function lookup(
  services: BrokerServices,
  ctx: HandlerContext,
  keyType: number,
  key: string,
): Promise<Lookup> {
  const unavailable = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, node: null };
  if (keyType === KEY_TYPE_TRANSACTION) return unavailable;
  if (keyType !== KEY_TYPE_GROUP) return { errorCode: ErrorCode.INVALID_REQUEST, node: null };

  const created = await services.internalTopics.ensure(offsetsTopicSpec(services.config));
  if (created !== ErrorCode.NONE) return unavailable;
  const image = services.image();
  const partition = image
    .topic(GROUP_METADATA_TOPIC)
    ?.partitions.get(services.groupCoordinator.partitionFor(key));
  const leader = partition === undefined ? undefined : image.brokers.get(partition.leader);
  const node =
    leader === undefined || leader.fenced ? undefined : brokerAddress(leader, ctx.listenerName);
  if (node === undefined) return unavailable;
  // A partition led here may still be loading; let the group's first request not race it.
  if (node.nodeId === services.nodeId) await services.groupCoordinator.loaded();
  return { errorCode: ErrorCode.NONE, node };
}

/**
 * Broker registration (Kafka's ClusterControlManager.registerBroker). The broker's epoch is
 * the offset its RegisterBrokerRecord is written at, so every registration gets a new,
 * larger epoch. A broker registers fenced; Kafka unfences it once its heartbeats show it
 * caught up with the metadata log. Until heartbeats exist here, the controller may unfence
 * in the same batch (a single node is caught up by construction).
 *
 * Refused: a second broker claiming an id whose registration is still live in this
 * controller (DUPLICATE_BROKER_REGISTRATION), and a broker that does not support a
 * finalized feature level (UNSUPPORTED_VERSION).
 */
import type { BrokerEndpoint } from '../metadata/metadata-image.js';
import {
  METADATA_VERSION_FEATURE,
  metadataRecord,
  type MetadataRecord,
} from '../metadata/metadata-records.js';
import { ErrorCode } from '../protocol/errors.js';
import { apiError, type ApiError } from './api-error.js';
import type { ControllerContext } from './controller-context.js';
import type { ControllerResult } from './controller-result.js';

export interface BrokerFeatureSupport {
  readonly name: string;
  readonly minSupportedVersion: number;
  readonly maxSupportedVersion: number;
}

export interface BrokerRegistrationRequest {
  readonly brokerId: number;
  readonly incarnationId: string;
  readonly listeners: readonly BrokerEndpoint[];
  readonly rack: string | null;
  readonly features: readonly BrokerFeatureSupport[];
  /** Directory ids of the broker's online log dirs. */
  readonly logDirs?: readonly string[];
}

export interface BrokerRegistrationReply {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** -1 when refused. */
  readonly brokerEpoch: bigint;
}

export interface RegistrationOptions {
  /** The offset the registration batch will be written at: the new broker epoch. */
  readonly brokerEpoch: bigint;
  /** Whether the broker's current registration still has a live session here. */
  readonly hasLiveSession: (brokerId: number, brokerEpoch: bigint) => boolean;
  /** Unfence in the same batch (no heartbeat manager yet). */
  readonly unfence: boolean;
}

function refused(error: ApiError): ControllerResult<BrokerRegistrationReply> {
  return {
    records: [],
    response: { errorCode: error.code, errorMessage: error.message, brokerEpoch: -1n },
  };
}

function unsupportedFeature(feature: BrokerFeatureSupport, finalized: number): ApiError {
  return apiError(
    ErrorCode.UNSUPPORTED_VERSION,
    `Unable to register because the broker does not support finalized version ${finalized} of ${feature.name}. The broker wants a version between ${feature.minSupportedVersion} and ${feature.maxSupportedVersion}, inclusive.`,
  );
}

/** Kafka's processRegistrationFeature over every feature either side knows. */
function checkFeatures(
  finalizedLevels: ReadonlyMap<string, number>,
  features: readonly BrokerFeatureSupport[],
): ApiError | null {
  const offered = new Set<string>();
  for (const feature of features) {
    offered.add(feature.name);
    // Before any FeatureLevelRecord, metadata.version counts as 1 and other features as 0.
    const finalized =
      finalizedLevels.get(feature.name) ?? (feature.name === METADATA_VERSION_FEATURE ? 1 : 0);
    if (finalized < feature.minSupportedVersion || finalized > feature.maxSupportedVersion) {
      return unsupportedFeature(feature, finalized);
    }
  }
  for (const [name, level] of finalizedLevels) {
    if (!offered.has(name) && level > 0) {
      return unsupportedFeature({ name, minSupportedVersion: 0, maxSupportedVersion: 0 }, level);
    }
  }
  return null;
}

export function registerBroker(
  context: ControllerContext,
  request: BrokerRegistrationRequest,
  options: RegistrationOptions,
): ControllerResult<BrokerRegistrationReply> {
  const { image } = context;
  const existing = image.broker(request.brokerId);
  if (
    existing &&
    existing.incarnationId !== request.incarnationId &&
    options.hasLiveSession(existing.id, existing.epoch)
  ) {
    return refused(
      apiError(
        ErrorCode.DUPLICATE_BROKER_REGISTRATION,
        'Another broker is registered with that broker id.',
      ),
    );
  }
  const featureError = checkFeatures(image.features, request.features);
  if (featureError) return refused(featureError);

  const brokerEpoch = options.brokerEpoch;
  const records: MetadataRecord[] = [
    metadataRecord('RegisterBrokerRecord', {
      brokerId: request.brokerId,
      isMigratingZkBroker: false,
      incarnationId: request.incarnationId,
      brokerEpoch,
      endPoints: request.listeners.map((listener) => ({ ...listener })),
      features: request.features.map((feature) => ({ ...feature })),
      rack: request.rack,
      fenced: true,
      inControlledShutdown: false,
      logDirs: [...(request.logDirs ?? [])],
    }),
  ];
  if (options.unfence) {
    records.push(
      metadataRecord('UnfenceBrokerRecord', { id: request.brokerId, epoch: brokerEpoch }),
    );
  }
  return { records, response: { errorCode: ErrorCode.NONE, errorMessage: null, brokerEpoch } };
}

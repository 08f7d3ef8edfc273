/**
 * BrokerRegistration from a RegisterBrokerRecord, and the field changes of
 * BrokerRegistrationChangeRecord, as Kafka's ClusterDelta applies them.
 */
import type { BrokerRegistrationChangeRecord } from '../protocol/messages/generated/broker-registration-change-record.js';
import type { RegisterBrokerRecord } from '../protocol/messages/generated/register-broker-record.js';
import type { BrokerRegistration, SupportedFeatureRange } from './metadata-image.js';
import { MetadataReplayError } from './replay-error.js';

/** BrokerRegistrationFencingChange: the int8 `fenced` of a BrokerRegistrationChangeRecord. */
const FencingChange = { Fence: 1, None: 0, Unfence: -1 } as const;
/** BrokerRegistrationInControlledShutdownChange. */
const ControlledShutdownChange = { None: 0, InControlledShutdown: 1 } as const;

export function brokerFromRecord(record: RegisterBrokerRecord): BrokerRegistration {
  const supportedFeatures = new Map<string, SupportedFeatureRange>();
  for (const feature of record.features) {
    supportedFeatures.set(feature.name, {
      minSupportedVersion: feature.minSupportedVersion,
      maxSupportedVersion: feature.maxSupportedVersion,
    });
  }
  return {
    id: record.brokerId,
    epoch: record.brokerEpoch,
    incarnationId: record.incarnationId,
    endpoints: record.endPoints.map((endpoint) => ({
      name: endpoint.name,
      host: endpoint.host,
      port: endpoint.port,
      securityProtocol: endpoint.securityProtocol,
    })),
    supportedFeatures,
    rack: record.rack,
    fenced: record.fenced,
    inControlledShutdown: record.inControlledShutdown,
    isMigratingZkBroker: record.isMigratingZkBroker,
    directories: [...record.logDirs].sort(),
  };
}

export function applyRegistrationChange(
  broker: BrokerRegistration,
  change: BrokerRegistrationChangeRecord,
): BrokerRegistration {
  let fenced: boolean;
  switch (change.fenced) {
    case FencingChange.Fence:
      fenced = true;
      break;
    case FencingChange.Unfence:
      fenced = false;
      break;
    case FencingChange.None:
      fenced = broker.fenced;
      break;
    default:
      throw new MetadataReplayError(`unknown value for fenced field: ${change.fenced}`);
  }
  let inControlledShutdown: boolean;
  switch (change.inControlledShutdown) {
    case ControlledShutdownChange.InControlledShutdown:
      inControlledShutdown = true;
      break;
    case ControlledShutdownChange.None:
      inControlledShutdown = broker.inControlledShutdown;
      break;
    default:
      throw new MetadataReplayError(
        `unknown value for inControlledShutdown field: ${change.inControlledShutdown}`,
      );
  }
  const directories = change.logDirs.length > 0 ? [...change.logDirs].sort() : broker.directories;
  return { ...broker, fenced, inControlledShutdown, directories };
}

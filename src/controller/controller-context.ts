/**
 * What every controller operation decides from: the current image, the node's static
 * settings, and injected randomness (placement offsets, topic ids), so operations are
 * deterministic under test.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { DIRECTORY_MIGRATING, DIRECTORY_UNASSIGNED } from '../metadata/directory-id.js';
import type { BrokerRegistration, MetadataImage } from '../metadata/metadata-image.js';
import type { UsableBroker } from './replica-placer.js';

export interface ControllerSettings {
  /** This controller's node id (a BROKER config resource may name it). */
  readonly nodeId: number;
  /** num.partitions */
  readonly defaultNumPartitions: number;
  /** default.replication.factor */
  readonly defaultReplicationFactor: number;
  /** delete.topic.enable */
  readonly deleteTopicEnable: boolean;
  /** The topic-config synonyms set in server.properties (log.retention.hours, ...). */
  readonly staticTopicDefaults: Readonly<Record<string, string>>;
}

export function controllerSettings(config: BrokerConfig): ControllerSettings {
  return {
    nodeId: config.nodeId,
    defaultNumPartitions: config.numPartitions,
    defaultReplicationFactor: config.defaultReplicationFactor,
    deleteTopicEnable: config.deleteTopicEnable,
    staticTopicDefaults: config.topicConfigDefaults,
  };
}

export interface ControllerContext {
  readonly image: MetadataImage;
  readonly settings: ControllerSettings;
  /** [0, 1), for replica placement. */
  readonly random: () => number;
  /** A new random Kafka UUID (topic ids). */
  readonly newUuid: () => string;
}

/** Unfenced and not shutting down: may lead and be in an ISR (ClusterControlManager.isActive). */
export function isActiveBroker(image: MetadataImage, brokerId: number): boolean {
  const broker = image.broker(brokerId);
  return broker !== undefined && !broker.fenced && !broker.inControlledShutdown;
}

/** Brokers that may receive new replicas: registered and not in controlled shutdown. */
export function usableBrokers(image: MetadataImage): UsableBroker[] {
  const usable: UsableBroker[] = [];
  for (const broker of image.brokers.values()) {
    if (!broker.inControlledShutdown) usable.push({ id: broker.id, fenced: broker.fenced });
  }
  return usable;
}

/** The log dir a new replica on the broker goes to (ClusterControlManager.defaultDir). */
export function defaultDirectory(broker: BrokerRegistration | undefined): string {
  if (!broker) return DIRECTORY_UNASSIGNED;
  if (broker.directories.length === 0) return DIRECTORY_MIGRATING;
  if (broker.directories.length === 1) return broker.directories[0];
  return DIRECTORY_UNASSIGNED;
}

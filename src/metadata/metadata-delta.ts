/**
 * Changes to a MetadataImage, accumulated record by record (Kafka's MetadataDelta and its
 * Features/Cluster/Topics/Configurations/ProducerIds deltas). `replay` checks each record
 * against the state so far and throws MetadataReplayError when it cannot apply; `apply`
 * then builds the next image, copying only what changed: a topic's partition map is
 * copied only when one of its partitions changed, a resource's config map only when one
 * of its keys did.
 *
 * A delta also tells listeners what changed (created/deleted topics, changed partitions,
 * brokers, config resources), so subsystems react to the change instead of diffing images.
 */
import type { TopicRecord } from '../protocol/messages/generated/topic-record.js';
import { applyRegistrationChange, brokerFromRecord } from './broker-registration.js';
import {
  ConfigResourceType,
  configResourceKey,
  MetadataImage,
  type BrokerRegistration,
  type ConfigResourceImage,
  type MetadataProvenance,
  type PartitionRegistration,
  type TopicImage,
  type TopicsImage,
} from './metadata-image.js';
import { METADATA_VERSION_FEATURE, type MetadataRecord } from './metadata-records.js';
import { mergePartitionChange, partitionFromRecord } from './partition-registration.js';
import { MetadataReplayError, UnsupportedMetadataRecordError } from './replay-error.js';

interface TopicChange {
  readonly name: string;
  readonly id: string;
  /** The partitions before this delta: the image's, or none for a topic created here. */
  readonly basePartitions: ReadonlyMap<number, PartitionRegistration>;
  readonly changedPartitions: Map<number, PartitionRegistration>;
}

interface ConfigChange {
  readonly type: number;
  readonly name: string;
  /** The resource's configs in the image are dropped first (its topic was removed). */
  cleared: boolean;
  /** Key → new value, null to delete. */
  readonly values: Map<string, string | null>;
}

export class MetadataDelta {
  private readonly featureChanges = new Map<string, number | null>();
  private readonly brokerChanges = new Map<number, BrokerRegistration | null>();
  private readonly topicChanges = new Map<string, TopicChange>();
  private readonly removedTopics = new Map<string, TopicImage>();
  private readonly newTopicIds = new Set<string>();
  private readonly configChanges = new Map<string, ConfigChange>();
  private newNextProducerId: bigint | null = null;

  constructor(readonly image: MetadataImage) {}

  /** Applies one record to the delta (Kafka's MetadataDelta.replay). */
  replay(record: MetadataRecord): void {
    switch (record.type) {
      case 'RegisterBrokerRecord':
        this.brokerChanges.set(record.data.brokerId, brokerFromRecord(record.data));
        return;
      case 'UnregisterBrokerRecord':
        this.brokerChanges.set(record.data.brokerId, null);
        return;
      case 'FenceBrokerRecord': {
        const broker = this.brokerWithEpoch(record.data.id, record.data.epoch, 'fence');
        this.brokerChanges.set(broker.id, { ...broker, fenced: true });
        return;
      }
      case 'UnfenceBrokerRecord': {
        const broker = this.brokerWithEpoch(record.data.id, record.data.epoch, 'unfence');
        this.brokerChanges.set(broker.id, { ...broker, fenced: false });
        return;
      }
      case 'BrokerRegistrationChangeRecord': {
        const change = record.data;
        const broker = this.brokerWithEpoch(change.brokerId, change.brokerEpoch, 'change');
        this.brokerChanges.set(broker.id, applyRegistrationChange(broker, change));
        return;
      }
      case 'TopicRecord':
        this.replayTopic(record.data);
        return;
      case 'PartitionRecord': {
        const topic = this.topicChangeFor(record.data.topicId, 'PartitionRecord');
        topic.changedPartitions.set(record.data.partitionId, partitionFromRecord(record.data));
        return;
      }
      case 'PartitionChangeRecord': {
        const change = record.data;
        const topic = this.topicChangeFor(change.topicId, 'PartitionChangeRecord');
        const current =
          topic.changedPartitions.get(change.partitionId) ??
          topic.basePartitions.get(change.partitionId);
        if (!current) {
          throw new MetadataReplayError(
            `unable to apply PartitionChangeRecord: unknown partition ${change.topicId}:${change.partitionId}`,
          );
        }
        topic.changedPartitions.set(change.partitionId, mergePartitionChange(current, change));
        return;
      }
      case 'RemoveTopicRecord':
        this.replayRemoveTopic(record.data.topicId);
        return;
      case 'ConfigRecord': {
        const { resourceType, resourceName, name, value } = record.data;
        this.configChangeFor(resourceType, resourceName).values.set(name, value);
        return;
      }
      case 'FeatureLevelRecord': {
        const { name, featureLevel } = record.data;
        // Level 0 removes a feature; metadata.version always has a level.
        const removes = featureLevel === 0 && name !== METADATA_VERSION_FEATURE;
        this.featureChanges.set(name, removes ? null : featureLevel);
        return;
      }
      case 'ProducerIdsRecord': {
        const next = record.data.nextProducerId;
        const current = this.nextProducerId;
        if (next <= current) {
          throw new MetadataReplayError(
            `next producer id ${next} from ProducerIdsRecord is not greater than the current ${current}`,
          );
        }
        this.newNextProducerId = next;
        return;
      }
      case 'NoOpRecord':
        // Only moves the offset on (Kafka writes it to show the controller is alive).
        return;
      case 'ZkMigrationStateRecord':
        // ZooKeeper migration state: a KRaft-only cluster never migrates.
        return;
      default:
        throw new UnsupportedMetadataRecordError(record.type);
    }
  }

  /** The next image: the base image with every change of this delta (Kafka's apply). */
  apply(provenance: MetadataProvenance): MetadataImage {
    const base = this.image;
    return new MetadataImage(provenance, {
      features: this.applyFeatures(base.features),
      brokers: this.applyBrokers(base.brokers),
      topics: this.applyTopics(base.topics),
      configs: this.applyConfigs(base.configs),
      nextProducerId: this.nextProducerId,
    });
  }

  // -------------------------------------------------------------------------------------------
  // What changed (for listeners)

  get hasChanges(): boolean {
    return (
      this.featureChanges.size > 0 ||
      this.brokerChanges.size > 0 ||
      this.topicChanges.size > 0 ||
      this.removedTopics.size > 0 ||
      this.configChanges.size > 0 ||
      this.newNextProducerId !== null
    );
  }

  /** Feature name → new level, null when removed. */
  get changedFeatures(): ReadonlyMap<string, number | null> {
    return this.featureChanges;
  }

  /** Broker id → new registration, null when unregistered. */
  get changedBrokers(): ReadonlyMap<number, BrokerRegistration | null> {
    return this.brokerChanges;
  }

  /** Topics of this delta's base image that it removed, by id. */
  get deletedTopics(): ReadonlyMap<string, TopicImage> {
    return this.removedTopics;
  }

  /** Ids of topics this delta created (and did not remove again). */
  get createdTopicIds(): ReadonlySet<string> {
    return this.newTopicIds;
  }

  /** Ids of topics created or changed by this delta. */
  get changedTopicIds(): ReadonlySet<string> {
    return new Set(this.topicChanges.keys());
  }

  /** The partitions of a topic this delta created or changed, by partition id. */
  changedPartitions(topicId: string): ReadonlyMap<number, PartitionRegistration> {
    return this.topicChanges.get(topicId)?.changedPartitions ?? new Map();
  }

  /** configResourceKey()s of resources whose configs changed. */
  get changedConfigResources(): ReadonlySet<string> {
    return new Set(this.configChanges.keys());
  }

  // -------------------------------------------------------------------------------------------
  // The state as of the records replayed so far

  get nextProducerId(): bigint {
    return this.newNextProducerId ?? this.image.nextProducerId;
  }

  broker(id: number): BrokerRegistration | undefined {
    const changed = this.brokerChanges.get(id);
    if (changed !== undefined) return changed ?? undefined;
    return this.image.broker(id);
  }

  topicById(id: string): TopicImage | undefined {
    const change = this.topicChanges.get(id);
    if (change) {
      return { name: change.name, id, partitions: mergedPartitions(change) };
    }
    return this.removedTopics.has(id) ? undefined : this.image.topicById(id);
  }

  // -------------------------------------------------------------------------------------------
  // Replay helpers

  private brokerWithEpoch(id: number, epoch: bigint, action: string): BrokerRegistration {
    const broker = this.broker(id);
    if (!broker) {
      throw new MetadataReplayError(
        `tried to ${action} broker ${id}, but that broker was not registered`,
      );
    }
    if (broker.epoch !== epoch) {
      throw new MetadataReplayError(
        `tried to ${action} broker ${id}, but the given epoch, ${epoch}, did not match the current broker epoch, ${broker.epoch}`,
      );
    }
    return broker;
  }

  private replayTopic(record: TopicRecord): void {
    this.topicChanges.set(record.topicId, {
      name: record.name,
      id: record.topicId,
      basePartitions: new Map(),
      changedPartitions: new Map(),
    });
    this.newTopicIds.add(record.topicId);
  }

  private topicChangeFor(id: string, what: string): TopicChange {
    let change = this.topicChanges.get(id);
    if (!change) {
      const topic = this.removedTopics.has(id) ? undefined : this.image.topicById(id);
      if (!topic) throw new MetadataReplayError(`${what} for unknown topic id ${id}`);
      change = {
        name: topic.name,
        id,
        basePartitions: topic.partitions,
        changedPartitions: new Map(),
      };
      this.topicChanges.set(id, change);
    }
    return change;
  }

  private replayRemoveTopic(id: string): void {
    const change = this.topicChanges.get(id);
    const inImage = this.removedTopics.has(id) ? undefined : this.image.topicById(id);
    if (!change && !inImage) {
      throw new MetadataReplayError(`unable to delete topic with id ${id}: no such topic found`);
    }
    const name = change ? change.name : inImage!.name;
    this.topicChanges.delete(id);
    this.newTopicIds.delete(id);
    if (inImage) this.removedTopics.set(id, inImage);
    // The topic's configs go with it (Kafka's ConfigurationsDelta on RemoveTopicRecord).
    const configs = this.configChangeFor(ConfigResourceType.Topic, name);
    configs.cleared = true;
    configs.values.clear();
  }

  private configChangeFor(type: number, name: string): ConfigChange {
    const key = configResourceKey(type, name);
    let change = this.configChanges.get(key);
    if (!change) {
      change = { type, name, cleared: false, values: new Map() };
      this.configChanges.set(key, change);
    }
    return change;
  }

  // -------------------------------------------------------------------------------------------
  // Building the next image

  private applyFeatures(base: ReadonlyMap<string, number>): ReadonlyMap<string, number> {
    if (this.featureChanges.size === 0) return base;
    const features = new Map(base);
    for (const [name, level] of this.featureChanges) {
      if (level === null) features.delete(name);
      else features.set(name, level);
    }
    return features;
  }

  private applyBrokers(
    base: ReadonlyMap<number, BrokerRegistration>,
  ): ReadonlyMap<number, BrokerRegistration> {
    if (this.brokerChanges.size === 0) return base;
    const brokers = new Map(base);
    for (const [id, broker] of this.brokerChanges) {
      if (broker === null) brokers.delete(id);
      else brokers.set(id, broker);
    }
    return brokers;
  }

  private applyTopics(base: TopicsImage): TopicsImage {
    if (this.topicChanges.size === 0 && this.removedTopics.size === 0) return base;
    const byId = new Map(base.byId);
    const byName = new Map(base.byName);
    for (const [id, topic] of this.removedTopics) {
      byId.delete(id);
      if (byName.get(topic.name)?.id === id) byName.delete(topic.name);
    }
    for (const [id, change] of this.topicChanges) {
      const topic: TopicImage = { name: change.name, id, partitions: mergedPartitions(change) };
      byId.set(id, topic);
      byName.set(change.name, topic);
    }
    return { byId, byName };
  }

  private applyConfigs(
    base: ReadonlyMap<string, ConfigResourceImage>,
  ): ReadonlyMap<string, ConfigResourceImage> {
    if (this.configChanges.size === 0) return base;
    const resources = new Map(base);
    for (const [key, change] of this.configChanges) {
      const before = change.cleared ? undefined : base.get(key)?.configs;
      const configs = new Map(before);
      for (const [name, value] of change.values) {
        if (value === null) configs.delete(name);
        else configs.set(name, value);
      }
      if (configs.size === 0) resources.delete(key);
      else resources.set(key, { type: change.type, name: change.name, configs });
    }
    return resources;
  }
}

/** A changed topic's partitions: shares the base map when none of them changed. */
function mergedPartitions(change: TopicChange): ReadonlyMap<number, PartitionRegistration> {
  if (change.changedPartitions.size === 0) return change.basePartitions;
  const partitions = new Map(change.basePartitions);
  for (const [id, partition] of change.changedPartitions) partitions.set(id, partition);
  return partitions;
}

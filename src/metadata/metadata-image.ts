/**
 * The cluster metadata as of one offset of the metadata log: Kafka's MetadataImage. Images
 * are immutable; a MetadataDelta (metadata-delta.ts) turns one image plus records into the
 * next, sharing every part the records did not touch (untouched topics keep their partition
 * maps, untouched resources their config maps).
 */
import { METADATA_VERSION_FEATURE } from './metadata-records.js';

/** Kafka's ConfigResource.Type ids, as ConfigRecord and the config APIs carry them. */
export const ConfigResourceType = {
  Unknown: 0,
  Topic: 2,
  Broker: 4,
  BrokerLogger: 8,
  ClientMetrics: 16,
  Group: 32,
} as const;

export type ConfigResourceTypeId = (typeof ConfigResourceType)[keyof typeof ConfigResourceType];

/** Kafka's LeaderRecoveryState. */
export const LeaderRecoveryState = { Recovered: 0, Recovering: 1 } as const;

/** Kafka's LeaderConstants: no leader, and "leader unchanged" in a PartitionChangeRecord. */
export const NO_LEADER = -1;
export const NO_LEADER_CHANGE = -2;

export interface BrokerEndpoint {
  /** Listener name. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Kafka's SecurityProtocol id (0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL). */
  readonly securityProtocol: number;
}

export interface SupportedFeatureRange {
  readonly minSupportedVersion: number;
  readonly maxSupportedVersion: number;
}

/** A registered broker (Kafka's BrokerRegistration). */
export interface BrokerRegistration {
  readonly id: number;
  /** The offset of its RegisterBrokerRecord. */
  readonly epoch: bigint;
  readonly incarnationId: string;
  readonly endpoints: readonly BrokerEndpoint[];
  readonly supportedFeatures: ReadonlyMap<string, SupportedFeatureRange>;
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly isMigratingZkBroker: boolean;
  /** Directory ids of its online log dirs. */
  readonly directories: readonly string[];
}

/** One partition's replica assignment and leadership (Kafka's PartitionRegistration). */
export interface PartitionRegistration {
  readonly replicas: readonly number[];
  /** The log dir of each replica, index for index (DirectoryId sentinels when unknown). */
  readonly directories: readonly string[];
  readonly isr: readonly number[];
  readonly removingReplicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly elr: readonly number[];
  readonly lastKnownElr: readonly number[];
  readonly leader: number;
  readonly leaderRecoveryState: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export interface TopicImage {
  readonly name: string;
  readonly id: string;
  readonly partitions: ReadonlyMap<number, PartitionRegistration>;
}

export interface TopicsImage {
  readonly byId: ReadonlyMap<string, TopicImage>;
  readonly byName: ReadonlyMap<string, TopicImage>;
}

export interface ConfigResourceImage {
  readonly type: number;
  readonly name: string;
  readonly configs: ReadonlyMap<string, string>;
}

/** The key a config resource is stored under: its type id and name. */
export function configResourceKey(type: number, name: string): string {
  return `${type}:${name}`;
}

const NO_CONFIGS: ReadonlyMap<string, string> = new Map();

/** Where the image stands in the metadata log (Kafka's MetadataProvenance). */
export interface MetadataProvenance {
  /** The last offset the image includes; -1 for the empty image. */
  readonly offset: bigint;
  /** The leader epoch of the batch holding that offset; -1 for the empty image. */
  readonly epoch: number;
}

export interface MetadataImageParts {
  /** Finalized feature levels by name, metadata.version included. */
  readonly features: ReadonlyMap<string, number>;
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly topics: TopicsImage;
  /** By configResourceKey(type, name); a resource without configs is absent. */
  readonly configs: ReadonlyMap<string, ConfigResourceImage>;
  /** The first producer id of the next block the controller hands out. */
  readonly nextProducerId: bigint;
}

export class MetadataImage implements MetadataProvenance, MetadataImageParts {
  static readonly EMPTY = new MetadataImage(
    { offset: -1n, epoch: -1 },
    {
      features: new Map(),
      brokers: new Map(),
      topics: { byId: new Map(), byName: new Map() },
      configs: new Map(),
      nextProducerId: 0n,
    },
  );

  readonly offset: bigint;
  readonly epoch: number;
  readonly features: ReadonlyMap<string, number>;
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly topics: TopicsImage;
  readonly configs: ReadonlyMap<string, ConfigResourceImage>;
  readonly nextProducerId: bigint;

  constructor(provenance: MetadataProvenance, parts: MetadataImageParts) {
    this.offset = provenance.offset;
    this.epoch = provenance.epoch;
    this.features = parts.features;
    this.brokers = parts.brokers;
    this.topics = parts.topics;
    this.configs = parts.configs;
    this.nextProducerId = parts.nextProducerId;
  }

  /** The finalized metadata.version, or 0 before the cluster was bootstrapped. */
  get metadataVersion(): number {
    return this.features.get(METADATA_VERSION_FEATURE) ?? 0;
  }

  get isEmpty(): boolean {
    return (
      this.features.size === 0 &&
      this.brokers.size === 0 &&
      this.topics.byId.size === 0 &&
      this.configs.size === 0 &&
      this.nextProducerId === 0n
    );
  }

  topic(name: string): TopicImage | undefined {
    return this.topics.byName.get(name);
  }

  topicById(id: string): TopicImage | undefined {
    return this.topics.byId.get(id);
  }

  broker(id: number): BrokerRegistration | undefined {
    return this.brokers.get(id);
  }

  /** The dynamic configs of one resource (empty when it has none). */
  configsOf(type: number, name: string): ReadonlyMap<string, string> {
    return this.configs.get(configResourceKey(type, name))?.configs ?? NO_CONFIGS;
  }

  /** The same contents at another position of the log (a control batch moved it on). */
  withProvenance(provenance: MetadataProvenance): MetadataImage {
    return new MetadataImage(provenance, this);
  }
}

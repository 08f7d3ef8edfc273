/**
 * What the request handlers may call: the subsystems of a running broker, wired by
 * broker.ts. Handlers stay thin: they validate, call one of these and shape the response.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { QuorumController } from '../controller/index.js';
import type { GroupCoordinator } from '../coordinator/group/index.js';
import type { LogManager } from '../log/log-manager.js';
import type { BrokerRegistration, MetadataImage } from '../metadata/index.js';
import type { FetchSessionCache } from '../replica/fetch-session-cache.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { InternalTopics } from './internal-topics.js';
import type { ProducerIdManager } from './producer-id-manager.js';

export interface BrokerServices {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  /** The latest committed metadata image. */
  image(): MetadataImage;
  /**
   * Resolves once every image committed so far has been applied to the replica manager
   * (partitions hosted, deletions done), so a client told "created" can produce at once.
   */
  metadataApplied(): Promise<void>;
  readonly controller: QuorumController;
  readonly replicaManager: ReplicaManager;
  /** The local log dirs and the logs in them (DescribeLogDirs). */
  readonly logManager: LogManager;
  readonly fetchSessions: FetchSessionCache;
  readonly producerIds: ProducerIdManager;
  readonly groupCoordinator: GroupCoordinator;
  /** Creates `__consumer_offsets` (and later internal topics) on first use. */
  readonly internalTopics: InternalTopics;
}

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** Unfenced brokers with an endpoint on the named listener, as clients may reach them. */
export function liveBrokerAddresses(image: MetadataImage, listenerName: string): BrokerAddress[] {
  const addresses: BrokerAddress[] = [];
  for (const broker of image.brokers.values()) {
    const address = brokerAddress(broker, listenerName);
    if (address !== undefined && !broker.fenced) addresses.push(address);
  }
  return addresses.sort((a, b) => a.nodeId - b.nodeId);
}

export function brokerAddress(
  broker: BrokerRegistration,
  listenerName: string,
): BrokerAddress | undefined {
  const endpoint = broker.endpoints.find((e) => e.name === listenerName);
  if (endpoint === undefined) return undefined;
  return { nodeId: broker.id, host: endpoint.host, port: endpoint.port, rack: broker.rack };
}

/**
 * The composition root of a single-node broker (broker and controller in one process):
 * storage identity, metadata log, quorum controller, logs, replica manager, the network
 * listeners and the request handlers, started in dependency order and shut down in reverse.
 *
 * Metadata reaches the replica manager only through published images: at startup the whole
 * image is replayed (every partition this node hosts), afterwards each delta (created,
 * changed and deleted partitions, topic config changes).
 */
import { randomFillSync } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { BrokerConfig, Endpoint } from '../config/broker-config.js';
import { SECURITY_PROTOCOLS } from '../config/listeners.js';
import { QuorumController, controllerSettings } from '../controller/index.js';
import {
  GROUP_METADATA_TOPIC,
  GroupCoordinator,
  ReplicaGroupLog,
  groupCoordinatorConfig,
} from '../coordinator/group/index.js';
import { LogManager } from '../log/log-manager.js';
import { formatLogDir, readMetaProperties } from '../log/meta-properties.js';
import { parseTopicConfigs, toLogConfig, type TopicConfigs } from '../log/topic-config.js';
import {
  ConfigResourceType,
  MetadataLog,
  type BrokerEndpoint,
  type MetadataDelta,
  type MetadataImage,
  type PartitionRegistration,
} from '../metadata/index.js';
import { SocketServer } from '../network/socket-server.js';
import { topicCompressionFromName } from '../protocol/compression/index.js';
import { isCompressionTypeId } from '../protocol/compression/compression-type.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import { FetchSessionCache } from '../replica/fetch-session-cache.js';
import { ReplicaManager } from '../replica/replica-manager.js';
import type { ReplicaTopicConfig, TopicPartitionRef } from '../replica/types.js';
import type { BrokerServices } from './broker-services.js';
import {
  createApiVersionsHandler,
  DEFAULT_SUPPORTED_FEATURES,
} from './handlers/18-api-versions.js';
import { ApiKey } from '../protocol/messages/generated/index.js';
import { registerBrokerHandlers } from './handlers/index.js';
import { ProducerIdManager } from './producer-id-manager.js';
import { InternalTopics } from './internal-topics.js';
import { HandlerRegistry, Router } from './router.js';

/**
 * Kafka processes one request per connection at a time, so a producer's pipelined requests
 * wait behind each one's disk write. Here consecutive Produce requests of a connection are
 * processed together (up to a producer's default max.in.flight.requests.per.connection);
 * each partition still appends them in the order they arrived, and responses keep request
 * order. Every other request runs alone, as in Kafka.
 */
const PRODUCE_PIPELINING = {
  maxInFlightRequests: 5,
  mayOverlap: (apiKey: number) => apiKey === ApiKey.Produce,
};

export interface StartBrokerOptions {
  logger: Logger;
  /**
   * Format unformatted log dirs with a new cluster id instead of refusing to start: for a
   * broker started without a config file, as a zero-setup single node.
   */
  formatIfUnformatted?: boolean;
}

export interface BoundListener {
  name: string;
  host: string;
  port: number;
}

export interface RunningBroker {
  readonly clusterId: string;
  readonly nodeId: number;
  readonly listeners: readonly BoundListener[];
  /** Stops accepting, drains in-flight requests, flushes and closes everything. Idempotent. */
  shutdown(): Promise<void>;
}

/** The broker cannot start as configured; the message is one line for the user. */
export class BrokerStartupError extends Error {
  override readonly name = 'BrokerStartupError';
}

export async function startBroker(
  config: BrokerConfig,
  options: StartBrokerOptions,
): Promise<RunningBroker> {
  const logger = options.logger;
  const nodeId = config.nodeId;
  const clusterId = await ensureStorageFormatted(
    config,
    options.formatIfUnformatted ?? false,
    logger,
  );

  // Everything opened so far, closed in reverse if a later step fails.
  const cleanups: (() => Promise<void>)[] = [];
  const closeOpened = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) =>
        logger.error({ err }, 'cleanup after failed start failed'),
      );
    }
  };

  try {
    const metadataLog = await MetadataLog.open(config.metadataLogDir, nodeId, {
      logger: logger.child({ component: 'metadata-log' }),
    });
    cleanups.push(() => metadataLog.close());
    logger.info(
      { dir: config.metadataLogDir, epoch: metadataLog.leaderEpoch },
      'metadata log opened',
    );

    const controller = await QuorumController.start({
      quorum: metadataLog,
      settings: controllerSettings(config),
    });
    cleanups.push(() => controller.drain());
    logger.info({ nodeId }, 'controller started');

    const topicConfigs = new TopicConfigResolver(config, () => metadataLog.image, logger);
    // Set once the replica manager exists; the log manager is opened before it.
    const hosting: { replicas?: ReplicaManager } = {};
    const logManager = await LogManager.open({
      logDirs: config.logDirs,
      configFor: (topic) => toLogConfig(topicConfigs.of(topic)),
      clusterId,
      nodeId,
      logger: logger.child({ component: 'log-manager' }),
      recoveryConcurrencyPerDir: config.numRecoveryThreadsPerDataDir,
      retentionCheckIntervalMs: config.logRetentionCheckIntervalMs,
      recoveryPointCheckpointIntervalMs: config.logFlushOffsetCheckpointIntervalMs,
      logStartOffsetCheckpointIntervalMs: config.logFlushStartOffsetCheckpointIntervalMs,
      highWatermarkCheckpointIntervalMs: config.replicaHighWatermarkCheckpointIntervalMs,
      cleanerEnabled: config.logCleanerEnable,
      // Replication decides the high watermark once the replica manager hosts the partition.
      highWatermarkFor: (topic, partition) =>
        hosting.replicas?.highWatermarkFor(topic, partition) ??
        logManager.getLog(topic, partition)?.logEndOffset ??
        0n,
    });
    cleanups.push(() => logManager.shutdown());
    logger.info({ logDirs: config.logDirs, logs: logManager.logs().length }, 'log manager opened');

    const replicas = new ReplicaManager({
      brokerId: nodeId,
      logManager,
      configFor: (topic) => topicConfigs.replicaConfigOf(topic),
      logger: logger.child({ component: 'replica-manager' }),
      partitionExists: (topic, partition) =>
        metadataLog.image.topic(topic)?.partitions.has(partition) ?? false,
      producerIdExpirationMs: config.producerIdExpirationMs,
    });
    hosting.replicas = replicas;
    cleanups.push(() => replicas.shutdown());

    const groupCoordinator = startGroupCoordinator(
      config,
      replicas,
      logManager,
      metadataLog,
      logger,
    );
    cleanups.push(() => groupCoordinator.shutdown());

    const publisher = new MetadataPublisher(nodeId, replicas, groupCoordinator, logger);
    await publisher.replay(metadataLog.image);
    const unsubscribe = metadataLog.onImage((image, delta) => publisher.publish(image, delta));
    cleanups.push(async () => {
      unsubscribe();
      await publisher.idle();
    });

    let brokerEpoch = -1n;
    const services: BrokerServices = {
      nodeId,
      clusterId,
      config,
      image: () => metadataLog.image,
      metadataApplied: () => publisher.idle(),
      controller,
      replicaManager: replicas,
      logManager,
      fetchSessions: new FetchSessionCache({
        maxSessions: config.maxIncrementalFetchSessionCacheSlots,
      }),
      producerIds: new ProducerIdManager(() => controller.allocateProducerIds(nodeId, brokerEpoch)),
      groupCoordinator,
      internalTopics: new InternalTopics({
        controller,
        image: () => metadataLog.image,
        metadataApplied: () => publisher.idle(),
      }),
    };
    const registry = new HandlerRegistry();
    registerBrokerHandlers(registry, services);
    registry.register(createApiVersionsHandler(registry));
    const router = new Router(registry, logger.child({ component: 'router' }));

    // Bound before registering, so a listener on port 0 registers the port it got.
    const servers: { endpoint: Endpoint; server: SocketServer }[] = [];
    for (const endpoint of brokerListeners(config)) {
      const server = new SocketServer({
        listener: {
          name: endpoint.listenerName,
          host: endpoint.host ?? '0.0.0.0',
          port: endpoint.port,
        },
        dispatcher: router.dispatch,
        logger: logger.child({ component: 'network', listener: endpoint.listenerName }),
        limits: {
          socketRequestMaxBytes: config.socketRequestMaxBytes,
          // Node's socket timeout: 0 disables it, and it cannot exceed 2^31-1 ms.
          connectionsMaxIdleMs: Math.min(
            Math.max(0, Number(config.connectionsMaxIdleMs)),
            2 ** 31 - 1,
          ),
          ...PRODUCE_PIPELINING,
        },
      });
      await server.start();
      cleanups.push(() => server.shutdown());
      servers.push({ endpoint, server });
    }
    const bound: BoundListener[] = servers.map(({ endpoint, server }) => ({
      name: endpoint.listenerName,
      host: endpoint.host ?? '0.0.0.0',
      port: server.boundPort,
    }));

    const registration = await controller.registerBroker({
      brokerId: nodeId,
      incarnationId: randomUuid((buf) => randomFillSync(buf)),
      listeners: advertisedEndpoints(config, bound),
      rack: config.brokerRack ?? null,
      features: DEFAULT_SUPPORTED_FEATURES.map((f) => ({
        name: f.name,
        minSupportedVersion: f.minVersion,
        maxSupportedVersion: f.maxVersion,
      })),
      logDirs: logManager
        .liveLogDirs()
        .map((dir) => logManager.directoryId(dir))
        .filter((id): id is string => id !== undefined),
    });
    if (registration.errorCode !== 0) {
      throw new BrokerStartupError(
        `broker registration failed: ${registration.errorMessage ?? `error code ${registration.errorCode}`}`,
      );
    }
    brokerEpoch = registration.brokerEpoch;
    logger.info({ nodeId, brokerEpoch: String(brokerEpoch) }, 'broker registered');

    replicas.startup();
    logManager.startTasks();
    groupCoordinator.startup();
    for (const listener of bound) logger.info(listener, 'listener ready');

    let shutdownDone: Promise<void> | null = null;
    const shutdownOnce = async () => {
      logger.info('broker shutting down');
      // Parked JoinGroup/SyncGroup requests are answered now, so listeners can drain.
      await groupCoordinator.shutdown();
      for (const { endpoint, server } of servers) {
        await server.shutdown();
        logger.info(
          { listener: endpoint.listenerName },
          'listener closed, in-flight requests drained',
        );
      }
      await controller.drain();
      unsubscribe();
      await publisher.idle();
      await replicas.shutdown();
      logger.info('replica manager shut down');
      await logManager.shutdown(brokerEpoch);
      logger.info('log manager shut down');
      await metadataLog.close();
      logger.info('metadata log closed');
    };
    return {
      clusterId,
      nodeId,
      listeners: bound,
      shutdown: () => (shutdownDone ??= shutdownOnce()),
    };
  } catch (err) {
    await closeOpened();
    throw err;
  }
}

/** The group coordinator over this broker's `__consumer_offsets` partitions. */
function startGroupCoordinator(
  config: BrokerConfig,
  replicas: ReplicaManager,
  logManager: LogManager,
  metadataLog: MetadataLog,
  logger: Logger,
): GroupCoordinator {
  const settings = groupCoordinatorConfig(config);
  const groupLogger = logger.child({ component: 'group-coordinator' });
  const codec = settings.offsetsTopicCompressionCodec;
  return new GroupCoordinator({
    config: settings,
    log: new ReplicaGroupLog({
      replicas,
      logs: logManager,
      compression: isCompressionTypeId(codec) ? codec : 0,
      commitTimeoutMs: settings.offsetsCommitTimeoutMs,
      loadBufferSize: config.offsetsLoadBufferSize,
      onError: (err, what) => groupLogger.error({ err }, what),
    }),
    partitionCount: () =>
      metadataLog.image.topic(GROUP_METADATA_TOPIC)?.partitions.size ??
      settings.offsetsTopicPartitions,
    logger: groupLogger,
  });
}

/**
 * Every log dir (and the metadata dir) must carry meta.properties of one cluster. Kafka
 * refuses to start on an unformatted dir; the zero-config single node formats its own.
 */
async function ensureStorageFormatted(
  config: BrokerConfig,
  formatIfUnformatted: boolean,
  logger: Logger,
): Promise<string> {
  const dirs = [...new Set([...config.logDirs, config.metadataLogDir])];
  const metas = await Promise.all(
    dirs.map(async (dir) => ({ dir, meta: await readMetaProperties(dir) })),
  );
  const unformatted = metas.filter((m) => m.meta === null).map((m) => m.dir);
  const clusterIds = new Set(metas.flatMap((m) => (m.meta ? [m.meta.clusterId] : [])));
  if (clusterIds.size > 1) {
    throw new BrokerStartupError(
      `log directories belong to different clusters (${[...clusterIds].join(', ')})`,
    );
  }
  if (unformatted.length === 0) return [...clusterIds][0];
  if (!formatIfUnformatted) {
    throw new BrokerStartupError(
      `No meta.properties found in ${unformatted[0]}; format the storage first: bin/kafka-storage format --config <server.properties> --cluster-id $(bin/kafka-storage random-uuid)`,
    );
  }
  const clusterId = [...clusterIds][0] ?? randomUuid((buf) => randomFillSync(buf));
  for (const dir of unformatted) {
    await formatLogDir(dir, { clusterId, nodeId: config.nodeId });
    logger.info({ dir, clusterId }, 'formatted log directory');
  }
  return clusterId;
}

/** The listeners clients and brokers talk to: every bound listener but the controller's. */
function brokerListeners(config: BrokerConfig): Endpoint[] {
  const controllerNames = new Set(config.controllerListenerNames);
  return config.listeners.filter((l) => !controllerNames.has(l.listenerName));
}

/** advertised.listeners with ports and hosts left open filled from what was bound. */
function advertisedEndpoints(
  config: BrokerConfig,
  bound: readonly BoundListener[],
): BrokerEndpoint[] {
  return config.advertisedBrokerListeners.map((endpoint) => {
    const listener = bound.find((b) => b.name === endpoint.listenerName);
    const port = endpoint.port === 0 && listener ? listener.port : endpoint.port;
    return {
      name: endpoint.listenerName,
      host: endpoint.host ?? hostname(),
      port,
      securityProtocol: SECURITY_PROTOCOLS.indexOf(endpoint.securityProtocol),
    };
  });
}

/**
 * A topic's effective configs: its overrides in the image over the broker's static topic
 * defaults. Parsed once per overrides map (the image shares unchanged maps), since appends
 * ask for it on every request.
 */
class TopicConfigResolver {
  private readonly cache = new WeakMap<ReadonlyMap<string, string>, TopicConfigs>();
  /** Derived once per parsed config: appends ask for it on every request. */
  private readonly replicaConfigs = new WeakMap<TopicConfigs, ReplicaTopicConfig>();

  constructor(
    private readonly config: BrokerConfig,
    private readonly image: () => MetadataImage,
    private readonly logger: Logger,
  ) {}

  of(topic: string): TopicConfigs {
    const overrides = this.image().configsOf(ConfigResourceType.Topic, topic);
    let parsed = this.cache.get(overrides);
    if (parsed === undefined) {
      try {
        parsed = parseTopicConfigs(Object.fromEntries(overrides), this.config.topicConfigDefaults);
      } catch (err) {
        // The controller validated these; a failure here means a newer broker wrote them.
        this.logger.warn({ topic, err }, 'topic configs unusable, using the broker defaults');
        parsed = this.config.logDefaults;
      }
      this.cache.set(overrides, parsed);
    }
    return parsed;
  }

  replicaConfigOf(topic: string): ReplicaTopicConfig {
    const configs = this.of(topic);
    let replicaConfig = this.replicaConfigs.get(configs);
    if (replicaConfig === undefined) {
      replicaConfig = {
        ...toLogConfig(configs),
        compressionType: topicCompressionFromName(configs.compressionType),
        minInsyncReplicas: configs.minInsyncReplicas,
      };
      this.replicaConfigs.set(configs, replicaConfig);
    }
    return replicaConfig;
  }
}

/**
 * Applies metadata images to the replica manager, one delta after another in commit order
 * (listeners are called synchronously; the work behind them is chained).
 */
class MetadataPublisher {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly nodeId: number,
    private readonly replicas: ReplicaManager,
    private readonly groups: GroupCoordinator,
    private readonly logger: Logger,
  ) {}

  /** Startup: host every partition of the image that has a replica here. */
  async replay(image: MetadataImage): Promise<void> {
    let hosted = 0;
    for (const topic of image.topics.byName.values()) {
      for (const [partition, registration] of topic.partitions) {
        if (!registration.replicas.includes(this.nodeId)) continue;
        await this.apply(topic.name, topic.id, partition, registration, false);
        hosted += 1;
      }
    }
    this.logger.info(
      { partitions: hosted, metadataOffset: String(image.offset) },
      'metadata replayed',
    );
  }

  publish(image: MetadataImage, delta: MetadataDelta): void {
    this.tail = this.tail
      .then(() => this.publishNow(image, delta))
      .catch((err: unknown) => this.logger.error({ err }, 'applying metadata failed'));
  }

  idle(): Promise<void> {
    return this.tail;
  }

  private async publishNow(image: MetadataImage, delta: MetadataDelta): Promise<void> {
    for (const topic of delta.deletedTopics.values()) {
      const partitions: TopicPartitionRef[] = [...topic.partitions.keys()].map((partition) => ({
        topic: topic.name,
        partition,
      }));
      await this.replicas.removePartitions(partitions, { deleteLogs: true });
      if (topic.name === GROUP_METADATA_TOPIC) {
        for (const partition of topic.partitions.keys()) this.groups.onResignation(partition);
      }
      this.logger.info({ topic: topic.name, topicId: topic.id }, 'topic deleted');
    }
    for (const topicId of delta.changedTopicIds) {
      const topic = image.topicById(topicId);
      if (topic === undefined) continue;
      const isNew = delta.createdTopicIds.has(topicId);
      for (const [partition, registration] of delta.changedPartitions(topicId)) {
        if (registration.replicas.includes(this.nodeId)) {
          await this.apply(topic.name, topic.id, partition, registration, isNew);
        } else if (this.replicas.getPartition(topic.name, partition)) {
          await this.replicas.removePartitions([{ topic: topic.name, partition }], {
            deleteLogs: false,
          });
          if (topic.name === GROUP_METADATA_TOPIC) this.groups.onResignation(partition);
        }
      }
      if (isNew) {
        this.logger.info(
          { topic: topic.name, topicId, partitions: topic.partitions.size },
          'topic created',
        );
      }
    }
    for (const key of delta.changedConfigResources) {
      const prefix = `${ConfigResourceType.Topic}:`;
      if (!key.startsWith(prefix)) continue;
      const topic = key.slice(prefix.length);
      if (image.topic(topic) === undefined) continue;
      this.replicas.updateTopicConfig(topic);
      this.logger.info({ topic }, 'topic config updated');
    }
  }

  private async apply(
    topic: string,
    topicId: string,
    partition: number,
    registration: PartitionRegistration,
    isNew: boolean,
  ): Promise<void> {
    await this.replicas.applyPartitionState({
      topic,
      topicId,
      partition,
      leaderId: registration.leader,
      leaderEpoch: registration.leaderEpoch,
      replicas: registration.replicas,
      isr: registration.isr,
      isLeader: registration.leader === this.nodeId,
      isNew,
    });
    if (topic !== GROUP_METADATA_TOPIC) return;
    // Loading runs in the background; requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS.
    if (registration.leader === this.nodeId) {
      void this.groups.onElection(partition, registration.leaderEpoch);
    } else {
      this.groups.onResignation(partition);
    }
  }
}

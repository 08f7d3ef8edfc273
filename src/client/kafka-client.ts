import { ErrorCode, KafkaError, errorInfo } from '../protocol/errors.js';
import { ApiKey } from '../protocol/messages/generated/index.js';
import type { FetchResponse } from '../protocol/messages/generated/fetch-response.js';
import type { MetadataResponse } from '../protocol/messages/generated/metadata-response.js';
import { Connection, ConnectionClosedError } from './connection.js';

/**
 * A small internal Kafka client: bootstrap, Metadata refresh, leader routing per partition,
 * one pooled connection per node, and typed calls that turn error codes into KafkaError.
 */

export interface KafkaClientOptions {
  /** host:port entries (Kafka's bootstrap.servers), as a list or comma-separated. */
  bootstrapServers: string | readonly string[];
  clientId?: string;
  requestTimeoutMs?: number;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  errorCode: number;
  partitions: PartitionInfo[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: TopicInfo[];
}

export interface NewTopic {
  name: string;
  numPartitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
}

/** DescribeConfigs' DEFAULT_CONFIG source. */
const CONFIG_SOURCE_DEFAULT = 5;

export const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  source: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
}

export interface AlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: { name: string; op: number; value?: string | null }[];
}

export interface FetchTarget {
  topic: string;
  partition: number;
  offset: bigint;
  maxBytes?: number;
}

export interface FetchOptions {
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  isolationLevel?: number;
}

export interface FetchedPartition {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  records: Buffer | null;
}

export interface ProduceResult {
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
}

/** ListOffsets special timestamps. */
export const OffsetSpec = { LATEST: -1n, EARLIEST: -2n, MAX_TIMESTAMP: -3n } as const;

/** How long topic(…, allowAutoTopicCreation) waits for a just-created topic's leader. */
const NEW_TOPIC_RETRY_MS = 100;
const NEW_TOPIC_METADATA_ATTEMPTS = 50;

/** Throws KafkaError(code) named after the code, with the broker's message when there is one. */
export function throwIfError(code: number, message?: string | null, what?: string): void {
  if (code === ErrorCode.NONE) return;
  const info = errorInfo(code);
  throw new KafkaError(
    code,
    message ? message : `${info.name}: ${info.message}${what ? ` (${what})` : ''}`,
  );
}

export function parseHostPort(server: string): { host: string; port: number } {
  const trimmed = server.trim();
  const idx = trimmed.lastIndexOf(':');
  if (idx <= 0) throw new Error(`invalid bootstrap server "${server}" (expected host:port)`);
  let host = trimmed.slice(0, idx);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(trimmed.slice(idx + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`invalid port in bootstrap server "${server}"`);
  }
  return { host, port };
}

export class KafkaClient {
  private readonly bootstrap: { host: string; port: number }[];
  readonly clientId: string;
  private readonly requestTimeoutMs: number;
  private bootstrapConnection: Promise<Connection> | null = null;
  private closed = false;
  private readonly nodeConnections = new Map<number, Promise<Connection>>();
  private brokers = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, TopicInfo>();
  private controllerId = -1;
  clusterId: string | null = null;

  constructor(options: KafkaClientOptions) {
    const list =
      typeof options.bootstrapServers === 'string'
        ? options.bootstrapServers.split(',')
        : options.bootstrapServers;
    this.bootstrap = list.filter((s) => s.trim() !== '').map(parseHostPort);
    if (this.bootstrap.length === 0) throw new Error('no bootstrap servers given');
    this.clientId = options.clientId ?? 'kafka-ts-client';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  private connect(host: string, port: number): Promise<Connection> {
    // A request still on its way when the client closes must not open a new socket.
    if (this.closed) return Promise.reject(new ConnectionClosedError('the client is closed'));
    return Connection.connect({
      host,
      port,
      clientId: this.clientId,
      requestTimeoutMs: this.requestTimeoutMs,
    });
  }

  /** A connection to any bootstrap server (the first that answers). */
  async anyConnection(): Promise<Connection> {
    if (this.bootstrapConnection) {
      const existing = await this.bootstrapConnection.catch(() => null);
      if (existing && !existing.isClosed) return existing;
    }
    this.bootstrapConnection = (async () => {
      let lastError: unknown;
      for (const { host, port } of this.bootstrap) {
        try {
          return await this.connect(host, port);
        } catch (err) {
          lastError = err;
        }
      }
      throw lastError instanceof Error
        ? lastError
        : new ConnectionClosedError('no bootstrap server reachable');
    })();
    return this.bootstrapConnection;
  }

  /** The pooled connection to a node (by its advertised endpoint from Metadata). */
  async connectionTo(nodeId: number): Promise<Connection> {
    const cached = this.nodeConnections.get(nodeId);
    if (cached) {
      const existing = await cached.catch(() => null);
      if (existing && !existing.isClosed) return existing;
      this.nodeConnections.delete(nodeId);
    }
    let broker = this.brokers.get(nodeId);
    if (!broker) {
      await this.refreshMetadata(null);
      broker = this.brokers.get(nodeId);
    }
    if (!broker) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `unknown node ${nodeId}`);
    const created = this.connect(broker.host, broker.port);
    this.nodeConnections.set(nodeId, created);
    return created;
  }

  /** A fresh (unpooled) connection to a node, for callers that spread load over sockets. */
  async newConnectionTo(nodeId: number): Promise<Connection> {
    let broker = this.brokers.get(nodeId);
    if (!broker) {
      await this.refreshMetadata(null);
      broker = this.brokers.get(nodeId);
    }
    if (!broker) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `unknown node ${nodeId}`);
    return this.connect(broker.host, broker.port);
  }

  /** The controller when known (admin requests), else any broker. */
  private async adminConnection(): Promise<Connection> {
    if (this.controllerId < 0) await this.refreshMetadata([]);
    if (this.controllerId >= 0 && this.brokers.has(this.controllerId)) {
      return this.connectionTo(this.controllerId);
    }
    return this.anyConnection();
  }

  /** Metadata for the given topics (null: all), cached for routing. */
  async metadata(
    topics: readonly string[] | null = null,
    allowAutoTopicCreation = false,
  ): Promise<ClusterMetadata> {
    const connection = await this.anyConnection();
    const version = connection.versionFor(ApiKey.Metadata);
    const response: MetadataResponse = await connection.send(ApiKey.Metadata, version, {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation,
    });
    this.brokers = new Map(response.brokers.map((b) => [b.nodeId, { ...b }]));
    this.controllerId = response.controllerId;
    this.clusterId = response.clusterId;
    const result: ClusterMetadata = {
      clusterId: response.clusterId,
      controllerId: response.controllerId,
      brokers: response.brokers.map((b) => ({
        nodeId: b.nodeId,
        host: b.host,
        port: b.port,
        rack: b.rack,
      })),
      topics: response.topics.map((t) => ({
        name: t.name ?? '',
        topicId: t.topicId,
        isInternal: t.isInternal,
        errorCode: t.errorCode,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offlineReplicas: p.offlineReplicas,
            errorCode: p.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      })),
    };
    for (const topic of result.topics) {
      if (topic.errorCode === 0) this.topics.set(topic.name, topic);
      else this.topics.delete(topic.name);
    }
    return result;
  }

  refreshMetadata(topics: readonly string[] | null): Promise<ClusterMetadata> {
    return this.metadata(topics);
  }

  /**
   * Cached topic metadata, refreshed when missing; throws UNKNOWN_TOPIC_OR_PARTITION. With
   * `allowAutoTopicCreation`, a missing topic is created where the broker allows it, as a
   * Kafka producer's metadata request does, and waited for while its leader is elected.
   */
  async topic(name: string, refresh = false, allowAutoTopicCreation = false): Promise<TopicInfo> {
    const cached = refresh ? undefined : this.topics.get(name);
    if (cached) return cached;
    for (let attempt = 1; ; attempt++) {
      const md = await this.metadata([name], allowAutoTopicCreation);
      const t = md.topics.find((x) => x.name === name);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} not found`);
      if (
        allowAutoTopicCreation &&
        t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE &&
        attempt < NEW_TOPIC_METADATA_ATTEMPTS
      ) {
        await new Promise((resolve) => setTimeout(resolve, NEW_TOPIC_RETRY_MS));
        continue;
      }
      throwIfError(t.errorCode, null, `topic ${name}`);
      return t;
    }
  }

  /** The leader's node id for a partition (refreshing metadata once when unknown). */
  async leaderFor(topic: string, partition: number): Promise<number> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const info = await this.topic(topic, attempt > 0);
      const p = info.partitions.find((x) => x.partition === partition);
      if (p && p.leader >= 0) return p.leader;
      if (!p && attempt > 0) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `${topic}-${partition} does not exist`,
        );
      }
    }
    throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition} has no leader`);
  }

  async createTopics(
    topics: readonly NewTopic[],
    options: { timeoutMs?: number; validateOnly?: boolean } = {},
  ): Promise<
    { name: string; topicId: string; numPartitions: number; replicationFactor: number }[]
  > {
    const connection = await this.adminConnection();
    const version = connection.versionFor(ApiKey.CreateTopics);
    const response = await connection.send(ApiKey.CreateTopics, version, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: options.timeoutMs ?? this.requestTimeoutMs,
      validateOnly: options.validateOnly ?? false,
    });
    for (const t of response.topics) throwIfError(t.errorCode, t.errorMessage, `topic ${t.name}`);
    return response.topics.map((t) => ({
      name: t.name,
      topicId: t.topicId,
      numPartitions: t.numPartitions,
      replicationFactor: t.replicationFactor,
    }));
  }

  async deleteTopics(names: readonly string[], timeoutMs = this.requestTimeoutMs): Promise<void> {
    const connection = await this.adminConnection();
    const version = connection.versionFor(ApiKey.DeleteTopics);
    const response = await connection.send(ApiKey.DeleteTopics, version, {
      topicNames: [...names],
      topics: names.map((name) => ({ name })),
      timeoutMs,
    });
    for (const r of response.responses)
      throwIfError(r.errorCode, r.errorMessage, `topic ${r.name}`);
    for (const name of names) this.topics.delete(name);
  }

  async createPartitions(
    topic: string,
    count: number,
    options: { timeoutMs?: number; validateOnly?: boolean } = {},
  ): Promise<void> {
    const connection = await this.adminConnection();
    const version = connection.versionFor(ApiKey.CreatePartitions);
    const response = await connection.send(ApiKey.CreatePartitions, version, {
      topics: [{ name: topic, count, assignments: null }],
      timeoutMs: options.timeoutMs ?? this.requestTimeoutMs,
      validateOnly: options.validateOnly ?? false,
    });
    for (const r of response.results) throwIfError(r.errorCode, r.errorMessage, `topic ${r.name}`);
    this.topics.delete(topic);
  }

  async describeConfigs(
    resourceType: number,
    resourceName: string,
    keys: readonly string[] | null = null,
    includeSynonyms = false,
  ): Promise<ConfigEntry[]> {
    const connection =
      resourceType === ConfigResourceType.BROKER && /^\d+$/.test(resourceName)
        ? await this.connectionTo(Number(resourceName))
        : await this.adminConnection();
    const version = connection.versionFor(ApiKey.DescribeConfigs);
    const response = await connection.send(ApiKey.DescribeConfigs, version, {
      resources: [
        { resourceType, resourceName, configurationKeys: keys === null ? null : [...keys] },
      ],
      includeSynonyms,
      includeDocumentation: false,
    });
    const result = response.results[0];
    if (!result)
      throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'empty DescribeConfigs response');
    throwIfError(result.errorCode, result.errorMessage, `resource ${resourceName}`);
    return result.configs.map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      // isDefault exists only in v0; later versions name the source instead.
      isDefault: version === 0 ? c.isDefault : c.configSource === CONFIG_SOURCE_DEFAULT,
      source: c.configSource,
      isSensitive: c.isSensitive,
      synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })),
    }));
  }

  async incrementalAlterConfigs(
    resources: readonly AlterConfigsResource[],
    validateOnly = false,
  ): Promise<void> {
    const brokerTarget = resources.find(
      (r) => r.resourceType === ConfigResourceType.BROKER && /^\d+$/.test(r.resourceName),
    );
    const connection = brokerTarget
      ? await this.connectionTo(Number(brokerTarget.resourceName))
      : await this.adminConnection();
    const version = connection.versionFor(ApiKey.IncrementalAlterConfigs);
    const response = await connection.send(ApiKey.IncrementalAlterConfigs, version, {
      resources: resources.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: r.configs.map((c) => ({
          name: c.name,
          configOperation: c.op,
          value: c.value ?? null,
        })),
      })),
      validateOnly,
    });
    for (const r of response.responses) {
      throwIfError(r.errorCode, r.errorMessage, `resource ${r.resourceName}`);
    }
  }

  /** DeleteRecords: moves each partition's log start offset up to the given offset. */
  async deleteRecords(
    topic: string,
    offsets: ReadonlyMap<number, bigint>,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<Map<number, bigint>> {
    const result = new Map<number, bigint>();
    for (const [leader, partitions] of await this.groupByLeader(topic, [...offsets.keys()])) {
      const connection = await this.connectionTo(leader);
      const version = connection.versionFor(ApiKey.DeleteRecords);
      const response = await connection.send(ApiKey.DeleteRecords, version, {
        topics: [
          {
            name: topic,
            partitions: partitions.map((p) => ({ partitionIndex: p, offset: offsets.get(p)! })),
          },
        ],
        timeoutMs,
      });
      for (const t of response.topics) {
        for (const p of t.partitions) {
          throwIfError(p.errorCode, null, `${topic}-${p.partitionIndex}`);
          result.set(p.partitionIndex, p.lowWatermark);
        }
      }
    }
    return result;
  }

  private async groupByLeader(
    topic: string,
    partitions: readonly number[],
  ): Promise<Map<number, number[]>> {
    const groups = new Map<number, number[]>();
    for (const p of partitions) {
      const leader = await this.leaderFor(topic, p);
      const list = groups.get(leader) ?? [];
      list.push(p);
      groups.set(leader, list);
    }
    return groups;
  }

  /**
   * Produces one record batch (already built) to a partition's leader. With acks=0 the
   * broker sends no response and this resolves with null once the request is written.
   */
  async produce(
    topic: string,
    partition: number,
    batch: Buffer,
    acks: number = -1,
    options: { timeoutMs?: number; transactionalId?: string | null; connection?: Connection } = {},
  ): Promise<ProduceResult | null> {
    const connection =
      options.connection ?? (await this.connectionTo(await this.leaderFor(topic, partition)));
    const version = connection.versionFor(ApiKey.Produce, undefined, 3);
    const body = {
      transactionalId: options.transactionalId ?? null,
      acks,
      timeoutMs: options.timeoutMs ?? this.requestTimeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
    };
    if (acks === 0) {
      await connection.sendNoResponse(ApiKey.Produce, version, body);
      return null;
    }
    const response = await connection.send(ApiKey.Produce, version, body);
    const p = response.responses[0]?.partitionResponses[0];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'empty Produce response');
    throwIfError(p.errorCode, p.errorMessage, `${topic}-${partition}`);
    return {
      baseOffset: p.baseOffset,
      logAppendTimeMs: p.logAppendTimeMs,
      logStartOffset: p.logStartOffset,
    };
  }

  /** Fetches from each partition's leader (one request per leader); per-partition errors are returned, not thrown. */
  async fetch(
    targets: readonly FetchTarget[],
    options: FetchOptions = {},
  ): Promise<FetchedPartition[]> {
    const byLeader = new Map<number, FetchTarget[]>();
    for (const t of targets) {
      const leader = await this.leaderFor(t.topic, t.partition);
      const list = byLeader.get(leader) ?? [];
      list.push(t);
      byLeader.set(leader, list);
    }
    const results = await Promise.all(
      [...byLeader].map(([leader, list]) => this.fetchFrom(leader, list, options)),
    );
    return results.flat();
  }

  private async fetchFrom(
    leader: number,
    targets: readonly FetchTarget[],
    options: FetchOptions,
  ): Promise<FetchedPartition[]> {
    const connection = await this.connectionTo(leader);
    const version = connection.versionFor(ApiKey.Fetch, undefined, 4);
    const byTopic = new Map<string, FetchTarget[]>();
    for (const t of targets) byTopic.set(t.topic, [...(byTopic.get(t.topic) ?? []), t]);
    const idToName = new Map<string, string>();
    const topics = [];
    for (const [name, list] of byTopic) {
      const info = await this.topic(name);
      idToName.set(info.topicId, name);
      topics.push({
        topic: name,
        topicId: info.topicId,
        partitions: list.map((t) => ({
          partition: t.partition,
          currentLeaderEpoch: -1,
          fetchOffset: t.offset,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: t.maxBytes ?? 1024 * 1024,
        })),
      });
    }
    const maxWaitMs = options.maxWaitMs ?? 500;
    const response: FetchResponse = await connection.send(
      ApiKey.Fetch,
      version,
      {
        replicaId: -1,
        maxWaitMs,
        minBytes: options.minBytes ?? 1,
        maxBytes: options.maxBytes ?? 50 * 1024 * 1024,
        isolationLevel: options.isolationLevel ?? 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics,
        forgottenTopicsData: [],
        rackId: '',
      },
      this.requestTimeoutMs + maxWaitMs,
    );
    throwIfError(response.errorCode, null, 'fetch');
    const out: FetchedPartition[] = [];
    for (const t of response.responses) {
      const name = t.topic || idToName.get(t.topicId) || '';
      for (const p of t.partitions) {
        out.push({
          topic: name,
          partition: p.partitionIndex,
          errorCode: p.errorCode,
          highWatermark: p.highWatermark,
          lastStableOffset: p.lastStableOffset,
          logStartOffset: p.logStartOffset,
          records: p.records,
        });
      }
    }
    return out;
  }

  /** ListOffsets for partitions of one topic; `timestamp` is OffsetSpec.* or a time in ms. */
  async listOffsets(
    topic: string,
    partitions: readonly number[],
    timestamp: bigint,
    isolationLevel = 0,
  ): Promise<Map<number, { offset: bigint; timestamp: bigint; leaderEpoch: number }>> {
    const result = new Map<number, { offset: bigint; timestamp: bigint; leaderEpoch: number }>();
    for (const [leader, list] of await this.groupByLeader(topic, partitions)) {
      const connection = await this.connectionTo(leader);
      const version = connection.versionFor(ApiKey.ListOffsets, undefined, 1);
      const response = await connection.send(ApiKey.ListOffsets, version, {
        replicaId: -1,
        isolationLevel,
        topics: [
          {
            name: topic,
            partitions: list.map((p) => ({
              partitionIndex: p,
              currentLeaderEpoch: -1,
              timestamp,
              maxNumOffsets: 1,
            })),
          },
        ],
        timeoutMs: this.requestTimeoutMs,
      });
      for (const t of response.topics) {
        for (const p of t.partitions) {
          throwIfError(p.errorCode, null, `${topic}-${p.partitionIndex}`);
          result.set(p.partitionIndex, {
            offset: p.offset,
            timestamp: p.timestamp,
            leaderEpoch: p.leaderEpoch,
          });
        }
      }
    }
    return result;
  }

  async initProducerId(
    transactionalId: string | null = null,
    transactionTimeoutMs = 60_000,
  ): Promise<{ producerId: bigint; producerEpoch: number }> {
    const connection = await this.anyConnection();
    const version = connection.versionFor(ApiKey.InitProducerId);
    const response = await connection.send(ApiKey.InitProducerId, version, {
      transactionalId,
      transactionTimeoutMs,
      producerId: -1n,
      producerEpoch: -1,
    });
    throwIfError(response.errorCode, null, 'InitProducerId');
    return { producerId: response.producerId, producerEpoch: response.producerEpoch };
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [this.bootstrapConnection, ...this.nodeConnections.values()];
    this.bootstrapConnection = null;
    this.nodeConnections.clear();
    for (const p of all) {
      if (!p) continue;
      const c = await p.catch(() => null);
      c?.close();
    }
  }
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse, encodeRequest, type ApiKeyNumber } from '../../src/protocol/api.js';
import type { Encodable } from '../../src/protocol/codec/compile.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  ApiKey,
  type RequestsByApiKey,
  type ResponsesByApiKey,
} from '../../src/protocol/messages/generated/index.js';
import { ZERO_UUID } from '../../src/protocol/primitives/uuid.js';
import {
  prepareBrokerNode,
  requireBuiltBroker,
  run,
  startBrokerProcess,
  type BrokerNode,
  type RunningBrokerProcess,
} from '../harness/broker-process.js';
import { consumerSubscription, KafkaConnection } from '../harness/kafka-connection.js';
import { WireClient } from '../harness/wire-client.js';

/**
 * The admin APIs of `bin/broker` (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs,
 * CreatePartitions, DeleteRecords, DescribeLogDirs, DescribeProducers,
 * DescribeTopicPartitions) through kafkajs, confluent-kafka's AdminClient and raw requests
 * of every version; the group coordinator's APIs (FindCoordinator, JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups,
 * DeleteGroups, OffsetDelete) at every version with Kafka's semantics and error codes; and
 * the APIs without a subsystem yet (transactions, ACLs, SASL) answering Kafka's error on a
 * connection that stays open.
 */

const SYSTEM_PYTHON = '/usr/bin/python3';
const KCAT = '/usr/bin/kcat';

/** ConfigSource ids. */
const TOPIC_CONFIG = 1;
const DYNAMIC_BROKER_CONFIG = 2;
const DYNAMIC_DEFAULT_BROKER_CONFIG = 3;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;
const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;

const CONFLUENT_ADMIN_SCRIPT = `
import json, sys
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource

bootstrap, topic = sys.argv[1], sys.argv[2]
admin = AdminClient({'bootstrap.servers': bootstrap})
out = {}
futures = admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1,
                                        config={'cleanup.policy': 'compact', 'retention.ms': '3600000'})],
                              operation_timeout=10)
for name, f in futures.items():
    try:
        f.result()
        out['create'] = 'ok'
    except Exception as e:
        out['create'] = str(e)
futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
for name, f in futures.items():
    try:
        f.result()
        out['createAgain'] = 'ok'
    except Exception as e:
        out['createAgain'] = e.args[0].name()

def entries(resource):
    result = {}
    for res, f in admin.describe_configs([resource]).items():
        for name, entry in f.result().items():
            result[name] = {'value': entry.value, 'source': int(entry.source),
                            'isDefault': entry.is_default, 'readOnly': entry.is_read_only,
                            'synonyms': [[s.name, s.value, int(s.source)] for s in entry.synonyms.values()]}
    return result

out['topic'] = entries(ConfigResource(ConfigResource.Type.TOPIC, topic))
out['broker'] = entries(ConfigResource(ConfigResource.Type.BROKER, '1'))
try:
    entries(ConfigResource(ConfigResource.Type.TOPIC, 'no-such-topic'))
    out['unknown'] = 'ok'
except Exception as e:
    out['unknown'] = e.args[0].name()
for res, f in admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic,
                                                  set_config={'retention.ms': '7200000'})]).items():
    f.result()
out['afterAlter'] = entries(ConfigResource(ConfigResource.Type.TOPIC, topic))['retention.ms']
print(json.dumps(out))
`;

describe('bin/broker admin APIs', () => {
  let dir: string;
  let node: BrokerNode;
  let broker: RunningBrokerProcess | undefined;
  let kafka: Kafka;
  let admin: Admin;
  let client: WireClient;
  let correlationId = 0;

  async function call<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    body: Encodable<RequestsByApiKey[K]>,
  ): Promise<ResponsesByApiKey[K]> {
    correlationId += 1;
    client.send(encodeRequest(apiKey, version, correlationId, 'admin-test', body));
    const response = decodeResponse(apiKey, version, await client.nextFrame(10_000));
    expect(response.header.correlationId).toBe(correlationId);
    return response.body;
  }

  async function expectConnectionOpen(): Promise<void> {
    const versions = await call(ApiKey.ApiVersions, 0, {});
    expect(versions.errorCode).toBe(ErrorCode.NONE);
    expect(client.isConnectionClosed).toBe(false);
  }

  beforeAll(async () => {
    requireBuiltBroker();
    dir = await mkdtemp(join(tmpdir(), 'broker-admin-'));
    node = await prepareBrokerNode(dir, {
      'auto.create.topics.enable': 'false',
      'log.retention.hours': '100',
      'log.segment.bytes': '2097152',
      // The group coordinator tests need a small limit to reach GROUP_MAX_SIZE_REACHED.
      'group.max.size': '2',
    });
    broker = await startBrokerProcess(node);
    kafka = new Kafka({
      clientId: 'broker-admin-test',
      brokers: [node.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    });
    admin = kafka.admin();
    await admin.connect();
    client = await WireClient.connect(node.port);
  }, 60_000);

  afterAll(async () => {
    client?.socket.destroy();
    await admin?.disconnect();
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  describe('kafkajs admin', () => {
    it('describeConfigs of a topic: values, sources and synonyms', async () => {
      await admin.createTopics({
        topics: [
          {
            topic: 'cfg',
            numPartitions: 1,
            configEntries: [{ name: 'retention.ms', value: '12345' }],
          },
        ],
      });
      const described = await admin.describeConfigs({
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: 'cfg',
            configNames: ['retention.ms', 'segment.bytes', 'cleanup.policy', 'flush.ms'],
          },
        ],
        includeSynonyms: true,
      });
      const [resource] = described.resources;
      expect(resource).toMatchObject({ errorCode: 0, resourceName: 'cfg', resourceType: TOPIC });
      const byName = new Map(resource.configEntries.map((e) => [e.configName, e]));
      expect([...byName.keys()].sort()).toEqual([
        'cleanup.policy',
        'flush.ms',
        'retention.ms',
        'segment.bytes',
      ]);
      // A topic override; log.retention.hours (a lower synonym) is dropped as Kafka does.
      expect(byName.get('retention.ms')).toMatchObject({
        configValue: '12345',
        configSource: TOPIC_CONFIG,
        readOnly: false,
        isSensitive: false,
        configSynonyms: [
          { configName: 'retention.ms', configValue: '12345', configSource: TOPIC_CONFIG },
        ],
      });
      // A static broker default from server.properties.
      expect(byName.get('segment.bytes')).toMatchObject({
        configValue: '2097152',
        configSource: STATIC_BROKER_CONFIG,
        configSynonyms: [
          {
            configName: 'log.segment.bytes',
            configValue: '2097152',
            configSource: STATIC_BROKER_CONFIG,
          },
          {
            configName: 'log.segment.bytes',
            configValue: '1073741824',
            configSource: DEFAULT_CONFIG,
          },
        ],
      });
      expect(byName.get('cleanup.policy')).toMatchObject({
        configValue: 'delete',
        configSource: DEFAULT_CONFIG,
        configSynonyms: [
          { configName: 'log.cleanup.policy', configValue: 'delete', configSource: DEFAULT_CONFIG },
        ],
      });
      // flush.ms's first synonym (log.flush.interval.ms) has no default: no synonyms.
      expect(byName.get('flush.ms')).toMatchObject({
        configValue: '9223372036854775807',
        configSource: DEFAULT_CONFIG,
        configSynonyms: [],
      });
    }, 30_000);

    it('describeConfigs of the broker and of an unknown topic', async () => {
      const described = await admin.describeConfigs({
        resources: [
          {
            type: ConfigResourceTypes.BROKER,
            name: '1',
            configNames: [
              'log.segment.bytes',
              'num.partitions',
              'node.id',
              'log.retention.hours',
              'log.retention.ms',
              'auto.create.topics.enable',
              'log.cleaner.threads',
            ],
          },
        ],
        includeSynonyms: false,
      });
      const [resource] = described.resources;
      expect(resource).toMatchObject({ errorCode: 0, resourceName: '1', resourceType: BROKER });
      const byName = new Map(resource.configEntries.map((e) => [e.configName, e]));
      expect(byName.get('log.segment.bytes')).toMatchObject({
        configValue: '2097152',
        configSource: STATIC_BROKER_CONFIG,
        readOnly: false,
      });
      expect(byName.get('num.partitions')).toMatchObject({
        configValue: '1',
        configSource: STATIC_BROKER_CONFIG,
        readOnly: true,
      });
      expect(byName.get('node.id')).toMatchObject({
        configValue: '1',
        configSource: STATIC_BROKER_CONFIG,
        readOnly: true,
      });
      expect(byName.get('log.retention.hours')).toMatchObject({
        configValue: '100',
        configSource: STATIC_BROKER_CONFIG,
      });
      expect(byName.get('log.retention.ms')).toMatchObject({
        configValue: null,
        configSource: DEFAULT_CONFIG,
      });
      expect(byName.get('auto.create.topics.enable')).toMatchObject({
        configValue: 'false',
        configSource: STATIC_BROKER_CONFIG,
      });
      expect(byName.get('log.cleaner.threads')).toMatchObject({
        configValue: '1',
        configSource: DEFAULT_CONFIG,
        readOnly: true,
      });

      await expect(
        admin.describeConfigs({
          resources: [{ type: ConfigResourceTypes.TOPIC, name: 'no-such-topic' }],
          includeSynonyms: false,
        }),
      ).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    }, 30_000);

    it('alterConfigs replaces a topic’s overrides; validateOnly changes nothing', async () => {
      await admin.createTopics({
        topics: [
          {
            topic: 'alter-me',
            configEntries: [
              { name: 'retention.ms', value: '1000' },
              { name: 'max.message.bytes', value: '5000' },
            ],
          },
        ],
      });
      await admin.alterConfigs({
        validateOnly: true,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: 'alter-me',
            configEntries: [{ name: 'retention.ms', value: '1' }],
          },
        ],
      });
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: 'alter-me',
            configEntries: [{ name: 'retention.ms', value: '2000' }],
          },
        ],
      });
      const described = await admin.describeConfigs({
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: 'alter-me',
            configNames: ['retention.ms', 'max.message.bytes'],
          },
        ],
        includeSynonyms: false,
      });
      const byName = new Map(described.resources[0].configEntries.map((e) => [e.configName, e]));
      expect(byName.get('retention.ms')).toMatchObject({
        configValue: '2000',
        configSource: TOPIC_CONFIG,
      });
      // Legacy AlterConfigs replaces the whole set: max.message.bytes is back to the default.
      expect(byName.get('max.message.bytes')).toMatchObject({
        configValue: '1048588',
        configSource: DEFAULT_CONFIG,
      });

      await expect(
        admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: 'alter-me',
              configEntries: [{ name: 'retention.ms', value: 'soon' }],
            },
          ],
        }),
      ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    }, 30_000);

    it('createPartitions grows a topic; a smaller count is INVALID_PARTITIONS', async () => {
      await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
      await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] });
      const metadata = await admin.fetchTopicMetadata({ topics: ['grow'] });
      expect(metadata.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      await expect(
        admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 2 }] }),
      ).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });
    }, 30_000);

    it('deleteTopicRecords moves the low watermark', async () => {
      await admin.createTopics({ topics: [{ topic: 'trim', numPartitions: 1 }] });
      const producer = kafka.producer();
      await producer.connect();
      try {
        await producer.send({
          topic: 'trim',
          messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
        });
      } finally {
        await producer.disconnect();
      }
      // kafkajs looks the leader up in its cached metadata: load the topic's first.
      await admin.fetchTopicMetadata({ topics: ['trim'] });
      await admin.deleteTopicRecords({
        topic: 'trim',
        partitions: [{ partition: 0, offset: '4' }],
      });
      expect(await admin.fetchTopicOffsets('trim')).toEqual([
        expect.objectContaining({ partition: 0, low: '4', high: '10' }),
      ]);
      // -1: up to the high watermark.
      await admin.deleteTopicRecords({
        topic: 'trim',
        partitions: [{ partition: 0, offset: '-1' }],
      });
      expect(await admin.fetchTopicOffsets('trim')).toEqual([
        expect.objectContaining({ partition: 0, low: '10', high: '10' }),
      ]);
    }, 30_000);

    it('describeCluster', async () => {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: node.port }]);
      expect(cluster.controller).toBe(1);
      expect(cluster.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }, 30_000);
  });

  it('confluent-kafka AdminClient: create_topics, describe_configs, alter_configs', async () => {
    const script = join(dir, 'confluent-admin.py');
    await writeFile(script, CONFLUENT_ADMIN_SCRIPT);
    const result = await run(SYSTEM_PYTHON, [script, node.bootstrap, 'py-topic'], {
      timeoutMs: 45_000,
    });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    type Entry = {
      value: string | null;
      source: number;
      isDefault: boolean;
      readOnly: boolean;
      synonyms: [string, string | null, number][];
    };
    const out = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      create: string;
      createAgain: string;
      topic: Record<string, Entry>;
      broker: Record<string, Entry>;
      unknown: string;
      afterAlter: Entry;
    };
    expect(out.create).toBe('ok');
    expect(out.createAgain).toBe('TOPIC_ALREADY_EXISTS');
    expect(out.unknown).toBe('UNKNOWN_TOPIC_OR_PART');
    expect(Object.keys(out.topic)).toEqual(
      expect.arrayContaining(['cleanup.policy', 'retention.ms']),
    );
    expect(out.topic['cleanup.policy']).toMatchObject({
      value: 'compact',
      source: TOPIC_CONFIG,
      isDefault: false,
      readOnly: false,
    });
    expect(out.topic['retention.ms']).toMatchObject({ value: '3600000', source: TOPIC_CONFIG });
    expect(out.topic['segment.bytes']).toMatchObject({
      value: '2097152',
      source: STATIC_BROKER_CONFIG,
      isDefault: false,
    });
    expect(out.topic['min.insync.replicas']).toMatchObject({
      value: '1',
      source: DEFAULT_CONFIG,
      isDefault: true,
    });
    expect(out.broker['log.segment.bytes']).toMatchObject({
      value: '2097152',
      source: STATIC_BROKER_CONFIG,
      readOnly: false,
    });
    expect(out.broker['node.id']).toMatchObject({
      value: '1',
      source: STATIC_BROKER_CONFIG,
      readOnly: true,
    });
    expect(out.afterAlter).toMatchObject({ value: '7200000', source: TOPIC_CONFIG });
  }, 60_000);

  describe('raw requests, every version', () => {
    it('DescribeConfigs v0-4: isDefault (v0), synonyms (v1+), types and documentation (v3+)', async () => {
      await admin.createTopics({
        topics: [
          { topic: 'raw-cfg', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        ],
      });
      for (let v = 0; v <= 4; v++) {
        const body = await call(ApiKey.DescribeConfigs, v, {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: 'raw-cfg',
              configurationKeys: ['cleanup.policy', 'segment.ms'],
            },
            { resourceType: TOPIC, resourceName: 'missing', configurationKeys: null },
            { resourceType: TOPIC, resourceName: 'bad/name', configurationKeys: null },
            { resourceType: BROKER, resourceName: '2', configurationKeys: null },
            { resourceType: BROKER, resourceName: 'x', configurationKeys: null },
            { resourceType: BROKER, resourceName: '', configurationKeys: null },
            { resourceType: BROKER_LOGGER, resourceName: '1', configurationKeys: null },
            { resourceType: BROKER_LOGGER, resourceName: '', configurationKeys: null },
            { resourceType: 99, resourceName: 'x', configurationKeys: null },
          ],
          includeSynonyms: v >= 1,
          includeDocumentation: v >= 3,
        });
        const [
          topic,
          missing,
          badName,
          otherBroker,
          notId,
          clusterDefault,
          logger,
          loggerEmpty,
          unknownType,
        ] = body.results;
        expect(topic).toMatchObject({ errorCode: 0, resourceName: 'raw-cfg', resourceType: TOPIC });
        const [cleanup, segmentMs] = topic.configs;
        expect(cleanup).toMatchObject({
          name: 'cleanup.policy',
          value: 'compact',
          readOnly: false,
          isDefault: false,
          isSensitive: false,
          configSource: v >= 1 ? TOPIC_CONFIG : -1,
          configType: v >= 3 ? 7 : 0,
        });
        expect(segmentMs).toMatchObject({
          name: 'segment.ms',
          value: '604800000',
          isDefault: v === 0,
          configSource: v >= 1 ? DEFAULT_CONFIG : -1,
          configType: v >= 3 ? 5 : 0,
        });
        expect(cleanup.synonyms).toEqual(
          v >= 1
            ? [
                { name: 'cleanup.policy', value: 'compact', source: TOPIC_CONFIG },
                { name: 'log.cleanup.policy', value: 'delete', source: DEFAULT_CONFIG },
              ]
            : [],
        );
        // segment.ms's first synonym log.roll.ms has no default; log.roll.hours is dropped.
        expect(segmentMs.synonyms).toEqual([]);
        // Not on the wire before v3 (decoded as the default).
        if (v >= 3) expect(cleanup.documentation).toMatch(/compact/);
        expect(missing).toMatchObject({
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: null,
          configs: [],
        });
        expect(badName).toMatchObject({
          errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
          configs: [],
        });
        expect(otherBroker).toMatchObject({
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'Unexpected broker id, expected 1 or empty string, but received 2',
        });
        expect(notId).toMatchObject({
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'Broker id must be an integer, but it is: x',
        });
        expect(clusterDefault).toMatchObject({ errorCode: 0, resourceName: '', configs: [] });
        expect(logger).toMatchObject({ errorCode: 0, configs: [] });
        expect(loggerEmpty).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST });
        expect(unknownType).toMatchObject({
          errorCode: ErrorCode.INVALID_REQUEST,
          resourceType: 99,
        });
      }
      // Empty key list: everything (as null).
      const all = await call(ApiKey.DescribeConfigs, 4, {
        resources: [{ resourceType: BROKER, resourceName: '1', configurationKeys: [] }],
      });
      expect(all.results[0].configs.length).toBeGreaterThan(100);
      await expectConnectionOpen();
    });

    it('IncrementalAlterConfigs v0-1 and AlterConfigs v0-2: dynamic broker defaults and per-resource errors', async () => {
      for (let v = 0; v <= 1; v++) {
        const body = await call(ApiKey.IncrementalAlterConfigs, v, {
          resources: [
            {
              resourceType: BROKER,
              resourceName: '',
              configs: [
                { name: 'log.retention.ms', configOperation: 0, value: String(86_400_000 + v) },
              ],
            },
            {
              resourceType: TOPIC,
              resourceName: 'missing',
              configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }],
            },
            {
              resourceType: TOPIC,
              resourceName: 'raw-cfg',
              configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }],
            },
          ],
          validateOnly: false,
        });
        expect(body.responses.map((r) => [r.resourceName, r.errorCode])).toEqual([
          ['', 0],
          ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
          ['raw-cfg', 0],
        ]);
      }
      const nodeLevel = await call(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [
          {
            resourceType: BROKER,
            resourceName: '1',
            configs: [{ name: 'log.segment.bytes', configOperation: 0, value: '3145728' }],
          },
        ],
        validateOnly: false,
      });
      expect(nodeLevel.responses[0].errorCode).toBe(0);

      // The cluster default and the node's dynamic value show up with their sources.
      const described = await call(ApiKey.DescribeConfigs, 4, {
        resources: [
          { resourceType: BROKER, resourceName: '', configurationKeys: null },
          {
            resourceType: BROKER,
            resourceName: '1',
            configurationKeys: ['log.retention.ms', 'log.segment.bytes'],
          },
          {
            resourceType: TOPIC,
            resourceName: 'cfg',
            configurationKeys: ['segment.bytes'],
          },
        ],
        includeSynonyms: true,
      });
      const [cluster, self, topic] = described.results;
      expect(cluster.configs).toEqual([
        expect.objectContaining({
          name: 'log.retention.ms',
          value: '86400001',
          configSource: DYNAMIC_DEFAULT_BROKER_CONFIG,
          readOnly: false,
          synonyms: [
            { name: 'log.retention.ms', value: '86400001', source: DYNAMIC_DEFAULT_BROKER_CONFIG },
          ],
        }),
      ]);
      expect(self.configs).toEqual([
        expect.objectContaining({
          name: 'log.retention.ms',
          value: '86400001',
          configSource: DYNAMIC_DEFAULT_BROKER_CONFIG,
          synonyms: [
            { name: 'log.retention.ms', value: '86400001', source: DYNAMIC_DEFAULT_BROKER_CONFIG },
            { name: 'log.retention.hours', value: '100', source: STATIC_BROKER_CONFIG },
            { name: 'log.retention.hours', value: '168', source: DEFAULT_CONFIG },
          ],
        }),
        expect.objectContaining({
          name: 'log.segment.bytes',
          value: '3145728',
          configSource: DYNAMIC_BROKER_CONFIG,
        }),
      ]);
      expect(topic.configs[0]).toMatchObject({
        name: 'segment.bytes',
        value: '3145728',
        configSource: DYNAMIC_BROKER_CONFIG,
        synonyms: [
          { name: 'log.segment.bytes', value: '3145728', source: DYNAMIC_BROKER_CONFIG },
          { name: 'log.segment.bytes', value: '2097152', source: STATIC_BROKER_CONFIG },
          { name: 'log.segment.bytes', value: '1073741824', source: DEFAULT_CONFIG },
        ],
      });

      for (let v = 0; v <= 2; v++) {
        const body = await call(ApiKey.AlterConfigs, v, {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: 'raw-cfg',
              configs: [{ name: 'retention.ms', value: String(5000 + v) }],
            },
            {
              resourceType: TOPIC,
              resourceName: 'raw-cfg-2',
              configs: [{ name: 'retention.ms', value: '1' }],
            },
            {
              resourceType: BROKER,
              resourceName: '1',
              configs: [{ name: 'num.io.threads', value: '2' }],
            },
          ],
          validateOnly: v === 2,
        });
        expect(body.responses.map((r) => [r.resourceName, r.errorCode])).toEqual([
          ['raw-cfg', 0],
          ['raw-cfg-2', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
          ['1', ErrorCode.INVALID_CONFIG],
        ]);
      }
      const after = await call(ApiKey.DescribeConfigs, 1, {
        resources: [
          { resourceType: TOPIC, resourceName: 'raw-cfg', configurationKeys: ['retention.ms'] },
        ],
      });
      // v2 was validateOnly: v1's value stays.
      expect(after.results[0].configs[0]).toMatchObject({
        value: '5001',
        configSource: TOPIC_CONFIG,
      });
      await expectConnectionOpen();
    });

    it('CreatePartitions v0-3 and DeleteRecords v0-2', async () => {
      await admin.createTopics({ topics: [{ topic: 'raw-parts', numPartitions: 1 }] });
      for (let v = 0; v <= 3; v++) {
        const body = await call(ApiKey.CreatePartitions, v, {
          topics: [
            { name: 'raw-parts', count: v + 2, assignments: null },
            { name: 'missing', count: 2, assignments: null },
            { name: 'raw-parts-validate', count: 1, assignments: null },
          ],
          timeoutMs: 5000,
          validateOnly: false,
        });
        expect(body.results.map((r) => [r.name, r.errorCode])).toEqual([
          ['raw-parts', 0],
          ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
          ['raw-parts-validate', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ]);
      }
      const validateOnly = await call(ApiKey.CreatePartitions, 3, {
        topics: [{ name: 'raw-parts', count: 10, assignments: null }],
        timeoutMs: 5000,
        validateOnly: true,
      });
      expect(validateOnly.results[0].errorCode).toBe(0);
      const metadata = await admin.fetchTopicMetadata({ topics: ['raw-parts'] });
      expect(metadata.topics[0].partitions).toHaveLength(5);

      for (let v = 0; v <= 2; v++) {
        const body = await call(ApiKey.DeleteRecords, v, {
          topics: [
            {
              name: 'raw-parts',
              partitions: [
                { partitionIndex: 0, offset: 0n },
                { partitionIndex: 1, offset: 5n },
                { partitionIndex: 9, offset: 0n },
              ],
            },
            { name: 'missing', partitions: [{ partitionIndex: 0, offset: 0n }] },
          ],
          timeoutMs: 5000,
        });
        expect(body.topics).toEqual([
          {
            name: 'raw-parts',
            partitions: [
              { partitionIndex: 0, lowWatermark: 0n, errorCode: 0 },
              { partitionIndex: 1, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE },
              {
                partitionIndex: 9,
                lowWatermark: -1n,
                errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              },
            ],
          },
          {
            name: 'missing',
            partitions: [
              {
                partitionIndex: 0,
                lowWatermark: -1n,
                errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              },
            ],
          },
        ]);
      }
      await expectConnectionOpen();
    });

    it('DescribeLogDirs v0-4, DescribeProducers v0', async () => {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        await producer.send({ topic: 'grow', acks: -1, messages: [{ partition: 1, value: 'x' }] });
      } finally {
        await producer.disconnect();
      }
      for (let v = 0; v <= 4; v++) {
        const body = await call(ApiKey.DescribeLogDirs, v, {
          topics: [
            { topic: 'grow', partitions: [1, 2, 7] },
            { topic: 'missing', partitions: [0] },
          ],
        });
        expect(body.errorCode).toBe(0);
        expect(body.results).toHaveLength(1);
        const [logDir] = body.results;
        expect(logDir).toMatchObject({ errorCode: 0, logDir: join(dir, 'logs') });
        expect(logDir.topics).toHaveLength(1);
        expect(logDir.topics[0].name).toBe('grow');
        expect(logDir.topics[0].partitions.map((p) => p.partitionIndex)).toEqual([1, 2]);
        const [withRecord, empty] = logDir.topics[0].partitions;
        expect(withRecord.partitionSize).toBeGreaterThan(0n);
        expect(empty).toEqual({
          partitionIndex: 2,
          partitionSize: 0n,
          offsetLag: 0n,
          isFutureKey: false,
        });
        if (v >= 4) {
          expect(logDir.totalBytes).toBeGreaterThan(0n);
          expect(logDir.usableBytes).toBeGreaterThan(0n);
          expect(logDir.usableBytes).toBeLessThanOrEqual(logDir.totalBytes);
        } else {
          expect(logDir.totalBytes).toBe(-1n);
        }
      }
      const all = await call(ApiKey.DescribeLogDirs, 1, { topics: null });
      const names = all.results[0].topics.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['grow', 'trim', 'cfg']));

      const producers = await call(ApiKey.DescribeProducers, 0, {
        topics: [
          { name: 'grow', partitionIndexes: [1, 0] },
          { name: 'missing', partitionIndexes: [0] },
        ],
      });
      expect(producers.topics[0].partitions[0]).toMatchObject({ partitionIndex: 1, errorCode: 0 });
      expect(producers.topics[0].partitions[0].activeProducers).toEqual([
        expect.objectContaining({ producerEpoch: 0, lastSequence: 0, currentTxnStartOffset: -1n }),
      ]);
      expect(producers.topics[0].partitions[1]).toMatchObject({
        partitionIndex: 0,
        errorCode: 0,
        activeProducers: [],
      });
      expect(producers.topics[1].partitions[0]).toMatchObject({
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      });
      await expectConnectionOpen();
    });

    it('DescribeTopicPartitions v0: pagination by cursor, unknown topics, bad cursors', async () => {
      const first = await call(ApiKey.DescribeTopicPartitions, 0, {
        topics: [{ name: 'grow' }, { name: 'missing' }, { name: 'cfg' }],
        responsePartitionLimit: 2,
        cursor: null,
      });
      expect(first.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
        ['cfg', 0, 1],
        ['grow', 0, 1],
      ]);
      expect(first.topics[0].topicId).not.toBe(ZERO_UUID);
      expect(first.topics[0].topicAuthorizedOperations).toBe(3576);
      expect(first.topics[1].partitions[0]).toMatchObject({
        errorCode: 0,
        partitionIndex: 0,
        leaderId: 1,
        replicaNodes: [1],
        isrNodes: [1],
        eligibleLeaderReplicas: [],
        lastKnownElr: [],
        offlineReplicas: [],
      });
      expect(first.nextCursor).toEqual({ topicName: 'grow', partitionIndex: 1 });
      const second = await call(ApiKey.DescribeTopicPartitions, 0, {
        topics: [{ name: 'grow' }, { name: 'missing' }, { name: 'cfg' }],
        responsePartitionLimit: 2,
        cursor: first.nextCursor,
      });
      expect(second.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual(
        [['grow', [1, 2]]],
      );
      expect(second.nextCursor).toEqual({ topicName: 'missing', partitionIndex: 0 });
      const third = await call(ApiKey.DescribeTopicPartitions, 0, {
        topics: [{ name: 'grow' }, { name: 'missing' }, { name: 'cfg' }],
        responsePartitionLimit: 2,
        cursor: second.nextCursor,
      });
      expect(third.topics).toEqual([
        expect.objectContaining({
          name: 'missing',
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          topicId: ZERO_UUID,
          partitions: [],
        }),
      ]);
      expect(third.nextCursor).toBeNull();

      // Every topic (unknown ones are never listed), in name order.
      const all = await call(ApiKey.DescribeTopicPartitions, 0, { topics: [] });
      const names = all.topics.map((t) => t.name);
      expect(names).toEqual([...names].sort());
      expect(names).toEqual(expect.arrayContaining(['cfg', 'grow', 'trim']));
      expect(all.nextCursor).toBeNull();

      const badCursor = await call(ApiKey.DescribeTopicPartitions, 0, {
        topics: [{ name: 'grow' }],
        cursor: { topicName: 'cfg', partitionIndex: 0 },
      });
      expect(badCursor.topics).toEqual([
        expect.objectContaining({ name: 'grow', errorCode: ErrorCode.INVALID_REQUEST }),
      ]);
      const negative = await call(ApiKey.DescribeTopicPartitions, 0, {
        topics: [{ name: 'grow' }],
        cursor: { topicName: 'grow', partitionIndex: -1 },
      });
      expect(negative.topics[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
      await expectConnectionOpen();
    });

    describe('group coordinator', () => {
      /** A JoinGroup request body; fields left out take the defaults below. */
      type JoinBody = Encodable<RequestsByApiKey[typeof ApiKey.JoinGroup]>;
      const SESSION_MS = 10_000;
      /** Short, so a rebalance waiting for a member that never rejoins ends within a test. */
      const REBALANCE_MS = 4_000;
      const TOPIC_A = 'grp-a'; // 2 partitions
      const TOPIC_B = 'grp-b'; // 1 partition
      const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
      const SUBSCRIPTION_A = consumerSubscription([TOPIC_A]);
      const connections: KafkaConnection[] = [];

      /** Another client connection (one per member whose requests park in the broker). */
      async function connection(clientId: string): Promise<KafkaConnection> {
        const conn = await KafkaConnection.open(node.port, clientId);
        connections.push(conn);
        return conn;
      }

      function joinBody(groupId: string, memberId: string, extra: JoinBody = {}): JoinBody {
        return {
          groupId,
          memberId,
          sessionTimeoutMs: SESSION_MS,
          rebalanceTimeoutMs: REBALANCE_MS,
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: SUBSCRIPTION_A }],
          ...extra,
        };
      }

      /**
       * A new member joins: from v4 a dynamic one first gets its member id with
       * MEMBER_ID_REQUIRED, then joins with it. Resolves when the join phase completes.
       */
      async function joinNew(
        conn: KafkaConnection,
        version: number,
        groupId: string,
        extra: JoinBody = {},
      ) {
        let memberId = '';
        // Static members (group.instance.id) join at once.
        if (version >= 4 && extra.groupInstanceId == null) {
          const first = await conn.call(ApiKey.JoinGroup, version, joinBody(groupId, '', extra));
          expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
          memberId = first.memberId;
        }
        return conn.call(ApiKey.JoinGroup, version, joinBody(groupId, memberId, extra));
      }

      /** A group with one member, through join and sync: Stable at generation 1. */
      async function stableGroup(
        conn: KafkaConnection,
        groupId: string,
        extra: JoinBody = {},
      ): Promise<{ memberId: string; generationId: number }> {
        const joined = await joinNew(conn, 5, groupId, extra);
        expect(joined).toMatchObject({ errorCode: 0, generationId: 1, leader: joined.memberId });
        const synced = await conn.call(ApiKey.SyncGroup, 3, {
          groupId,
          generationId: joined.generationId,
          memberId: joined.memberId,
          groupInstanceId: extra.groupInstanceId ?? null,
          assignments: [{ memberId: joined.memberId, assignment: Buffer.from('assigned') }],
        });
        expect(synced.errorCode).toBe(0);
        return { memberId: joined.memberId, generationId: joined.generationId };
      }

      /** Whether a request parked in the broker has been answered yet. */
      function track<T>(promise: Promise<T>): { promise: Promise<T>; answered: () => boolean } {
        let answered = false;
        void promise.then(
          () => (answered = true),
          () => (answered = true),
        );
        return { promise, answered: () => answered };
      }

      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

      /** The broker's log lines about one group, for the message of an assertion. */
      function groupLog(groupId: string): string {
        return (broker?.output() ?? '')
          .split('\n')
          .filter((line) => line.includes(`"group":"${groupId}"`))
          .join('\n');
      }

      async function describeGroup(groupId: string) {
        const described = await call(ApiKey.DescribeGroups, 5, { groups: [groupId] });
        return described.groups[0];
      }

      async function waitForState(groupId: string, state: string): Promise<void> {
        const deadline = Date.now() + 5_000;
        while ((await describeGroup(groupId)).groupState !== state) {
          if (Date.now() > deadline) throw new Error(`${groupId} never reached ${state}`);
          await sleep(20);
        }
      }

      function commitBody(
        groupId: string,
        generationId: number,
        memberId: string,
        offsets: [topic: string, partition: number, offset: bigint, metadata?: string][],
        extra: { groupInstanceId?: string | null; retentionTimeMs?: bigint } = {},
      ): Encodable<RequestsByApiKey[typeof ApiKey.OffsetCommit]> {
        const topics = [...new Set(offsets.map(([topic]) => topic))];
        return {
          groupId,
          generationIdOrMemberEpoch: generationId,
          memberId,
          ...extra,
          topics: topics.map((name) => ({
            name,
            partitions: offsets
              .filter(([topic]) => topic === name)
              .map(([, partitionIndex, committedOffset, committedMetadata]) => ({
                partitionIndex,
                committedOffset,
                committedMetadata: committedMetadata ?? '',
              })),
          })),
        };
      }

      /** [topic, partition, errorCode] of every partition of an OffsetCommit response. */
      function commitErrors(
        body: ResponsesByApiKey[typeof ApiKey.OffsetCommit],
      ): [string, number, number][] {
        return body.topics.flatMap((t) =>
          t.partitions.map((p): [string, number, number] => [
            t.name,
            p.partitionIndex,
            p.errorCode,
          ]),
        );
      }

      /** The committed offsets of `groupId` (OffsetFetch at `version`): [topic, partition, offset]. */
      async function fetchOffsets(
        groupId: string,
        topics: { name: string; partitionIndexes: number[] }[],
        version = 7,
      ): Promise<[string, number, bigint][]> {
        if (version >= 8) {
          const body = await call(ApiKey.OffsetFetch, version, { groups: [{ groupId, topics }] });
          expect(body.groups.map((g) => [g.groupId, g.errorCode])).toEqual([[groupId, 0]]);
          return body.groups[0].topics.flatMap((t) =>
            t.partitions.map((p): [string, number, bigint] => {
              expect(p.errorCode).toBe(0);
              return [t.name, p.partitionIndex, p.committedOffset];
            }),
          );
        }
        const body = await call(ApiKey.OffsetFetch, version, { groupId, topics });
        expect(body.errorCode).toBe(0);
        return body.topics.flatMap((t) =>
          t.partitions.map((p): [string, number, bigint] => {
            expect(p.errorCode).toBe(0);
            return [t.name, p.partitionIndex, p.committedOffset];
          }),
        );
      }

      beforeAll(async () => {
        // As clients do first: the lookup creates __consumer_offsets, led by this broker.
        const found = await call(ApiKey.FindCoordinator, 3, { key: 'any', keyType: 0 });
        expect(found).toMatchObject({ errorCode: 0, nodeId: 1 });
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            { topic: TOPIC_A, numPartitions: 2 },
            { topic: TOPIC_B, numPartitions: 1 },
          ],
        });
      }, 30_000);

      afterAll(() => {
        for (const conn of connections) conn.close();
      });

      it('FindCoordinator v0-6: groups here, transactions unavailable, other key types invalid', async () => {
        const NA = ErrorCode.COORDINATOR_NOT_AVAILABLE;
        const here = { nodeId: 1, host: '127.0.0.1', port: node.port };
        const nowhere = { nodeId: -1, host: '', port: -1 };
        for (let v = 0; v <= 6; v++) {
          const lookup = (keyType: number, keys: string[]) =>
            call(ApiKey.FindCoordinator, v, {
              key: v < 4 ? keys[0] : '',
              keyType,
              coordinatorKeys: v >= 4 ? keys : [],
            });
          const group = await lookup(0, ['g1', 'g2']);
          if (v < 4) {
            expect(group).toMatchObject({ errorCode: 0, ...here });
          } else {
            expect(group.coordinators).toEqual([
              expect.objectContaining({ key: 'g1', errorCode: 0, ...here }),
              expect.objectContaining({ key: 'g2', errorCode: 0, ...here }),
            ]);
          }
          if (v === 0) continue; // v0 has no key type: always a group
          const txn = await lookup(1, ['tx1', 'tx2']);
          const other = await lookup(2, ['x']);
          const unknownType = await lookup(99, ['y']);
          if (v < 4) {
            expect(txn).toMatchObject({ errorCode: NA, ...nowhere });
            expect(other).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, ...nowhere });
            expect(unknownType).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, ...nowhere });
          } else {
            expect(unknownType.coordinators).toEqual([
              expect.objectContaining({
                key: 'y',
                errorCode: ErrorCode.INVALID_REQUEST,
                ...nowhere,
              }),
            ]);
            expect(txn.coordinators).toEqual([
              expect.objectContaining({ key: 'tx1', errorCode: NA, ...nowhere }),
              expect.objectContaining({ key: 'tx2', errorCode: NA, ...nowhere }),
            ]);
            expect(other.coordinators).toEqual([
              expect.objectContaining({
                key: 'x',
                errorCode: ErrorCode.INVALID_REQUEST,
                ...nowhere,
              }),
            ]);
          }
        }
        await expectConnectionOpen();
      });

      it('JoinGroup v0-9 → SyncGroup → Heartbeat → OffsetCommit → OffsetFetch → LeaveGroup', async () => {
        for (let v = 0; v <= 9; v++) {
          const groupId = `life-v${v}`;
          const syncVersion = Math.min(v, 5);
          const heartbeatVersion = Math.min(v, 4);
          const leaveVersion = Math.min(v, 5);
          // v0 carries neither member nor generation: it is tried on its own below.
          const commitVersion = Math.max(v, 1);
          let memberId = '';
          if (v >= 4) {
            const first = await call(ApiKey.JoinGroup, v, joinBody(groupId, ''));
            expect(first).toMatchObject({
              errorCode: ErrorCode.MEMBER_ID_REQUIRED,
              generationId: -1,
              leader: '',
              members: [],
              protocolName: v >= 7 ? null : '',
            });
            expect(first.memberId).toMatch(new RegExp(`^admin-test-${UUID}$`));
            memberId = first.memberId;
          }
          const joined = await call(ApiKey.JoinGroup, v, joinBody(groupId, memberId));
          if (v < 4) expect(joined.memberId).toMatch(new RegExp(`^admin-test-${UUID}$`));
          else expect(joined.memberId).toBe(memberId);
          memberId = joined.memberId;
          expect(joined).toMatchObject({
            errorCode: 0,
            generationId: 1,
            leader: memberId,
            protocolName: 'range',
            protocolType: v >= 7 ? 'consumer' : null,
            skipAssignment: false,
            members: [{ memberId, groupInstanceId: null, metadata: SUBSCRIPTION_A }],
          });

          const assignment = Buffer.from(`assignment-${v}`);
          const synced = await call(ApiKey.SyncGroup, syncVersion, {
            groupId,
            generationId: 1,
            memberId,
            protocolType: syncVersion >= 5 ? 'consumer' : null,
            protocolName: syncVersion >= 5 ? 'range' : null,
            assignments: [{ memberId, assignment }],
          });
          expect(synced).toMatchObject({
            errorCode: 0,
            assignment,
            protocolType: syncVersion >= 5 ? 'consumer' : null,
            protocolName: syncVersion >= 5 ? 'range' : null,
          });

          const beat = await call(ApiKey.Heartbeat, heartbeatVersion, {
            groupId,
            generationId: 1,
            memberId,
          });
          expect(beat.errorCode).toBe(0);

          const committed = await call(ApiKey.OffsetCommit, commitVersion, {
            groupId,
            generationIdOrMemberEpoch: 1,
            memberId,
            topics: [
              {
                name: TOPIC_A,
                partitions: [
                  {
                    partitionIndex: 0,
                    committedOffset: BigInt(100 + v),
                    committedLeaderEpoch: 3,
                    committedMetadata: `meta-${v}`,
                  },
                ],
              },
            ],
          });
          expect(commitErrors(committed)).toEqual([[TOPIC_A, 0, 0]]);

          // The partition never committed is -1 with empty metadata; the leader epoch
          // travels from OffsetCommit v6 and OffsetFetch v5.
          const expected = [
            { partitionIndex: 0, committedOffset: BigInt(100 + v), metadata: `meta-${v}` },
            { partitionIndex: 1, committedOffset: -1n, metadata: '', committedLeaderEpoch: -1 },
          ];
          if (v >= 6) Object.assign(expected[0], { committedLeaderEpoch: 3 });
          if (v >= 8) {
            const fetched = await call(ApiKey.OffsetFetch, v, {
              groups: [{ groupId, topics: [{ name: TOPIC_A, partitionIndexes: [0, 1] }] }],
            });
            expect(fetched.groups).toEqual([
              {
                groupId,
                errorCode: 0,
                topics: [
                  {
                    name: TOPIC_A,
                    partitions: expected.map((p) =>
                      expect.objectContaining({ ...p, errorCode: 0 }),
                    ),
                  },
                ],
              },
            ]);
          } else {
            const fetched = await call(ApiKey.OffsetFetch, v, {
              groupId,
              topics: [{ name: TOPIC_A, partitionIndexes: [0, 1] }],
            });
            expect(fetched.errorCode).toBe(0);
            expect(fetched.topics).toEqual([
              {
                name: TOPIC_A,
                partitions: expected.map((p) => expect.objectContaining({ ...p, errorCode: 0 })),
              },
            ]);
          }

          const left = await call(
            ApiKey.LeaveGroup,
            leaveVersion,
            leaveVersion < 3
              ? { groupId, memberId }
              : { groupId, members: [{ memberId, groupInstanceId: null }] },
          );
          expect(left.errorCode).toBe(0);
          if (leaveVersion >= 3) {
            expect(left.members).toEqual([{ memberId, groupInstanceId: null, errorCode: 0 }]);
          }
          // The last member left: the group is Empty with its offsets kept.
          expect(await describeGroup(groupId)).toMatchObject({
            errorCode: 0,
            groupState: 'Empty',
            protocolType: 'consumer',
            members: [],
          });
          expect(await fetchOffsets(groupId, [{ name: TOPIC_A, partitionIndexes: [0] }])).toEqual([
            [TOPIC_A, 0, BigInt(100 + v)],
          ]);
        }
        await expectConnectionOpen();
      });

      it('unknown members and stale generations: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION', async () => {
        const groupId = 'stale';
        const { memberId } = await stableGroup(await connection('stale-member'), groupId);
        const UNKNOWN = ErrorCode.UNKNOWN_MEMBER_ID;
        const ILLEGAL = ErrorCode.ILLEGAL_GENERATION;
        for (let v = 0; v <= 4; v++) {
          const beat = (m: string, generationId: number, g = groupId) =>
            call(ApiKey.Heartbeat, v, { groupId: g, generationId, memberId: m });
          expect((await beat('nobody', 1)).errorCode).toBe(UNKNOWN);
          expect((await beat(memberId, 0)).errorCode).toBe(ILLEGAL);
          expect((await beat(memberId, 2)).errorCode).toBe(ILLEGAL);
          expect((await beat(memberId, 1, 'no-such-group')).errorCode).toBe(UNKNOWN);
          expect((await beat(memberId, 1)).errorCode).toBe(0);
        }
        for (let v = 0; v <= 5; v++) {
          const sync = (m: string, generationId: number, g = groupId) =>
            call(ApiKey.SyncGroup, v, { groupId: g, generationId, memberId: m, assignments: [] });
          expect((await sync('nobody', 1)).errorCode).toBe(UNKNOWN);
          expect((await sync(memberId, 2)).errorCode).toBe(ILLEGAL);
          expect((await sync(memberId, 1, 'no-such-group')).errorCode).toBe(UNKNOWN);
          // A Stable group hands the member its assignment again.
          expect(await sync(memberId, 1)).toMatchObject({
            errorCode: 0,
            assignment: Buffer.from('assigned'),
          });
        }
        const inconsistent = await call(ApiKey.SyncGroup, 5, {
          groupId,
          generationId: 1,
          memberId,
          protocolType: 'consumer',
          protocolName: 'roundrobin',
          assignments: [],
        });
        expect(inconsistent.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
        for (let v = 1; v <= 9; v++) {
          const commit = (m: string, generationId: number) =>
            call(ApiKey.OffsetCommit, v, commitBody(groupId, generationId, m, [[TOPIC_A, 0, 5n]]));
          expect(commitErrors(await commit('nobody', 1))).toEqual([[TOPIC_A, 0, UNKNOWN]]);
          expect(commitErrors(await commit(memberId, 2))).toEqual([[TOPIC_A, 0, ILLEGAL]]);
          // Without a member, a group with members takes no commits (Kafka: only Empty ones).
          expect(commitErrors(await commit('', -1))).toEqual([[TOPIC_A, 0, UNKNOWN]]);
          expect(commitErrors(await commit(memberId, 1))).toEqual([[TOPIC_A, 0, 0]]);
        }
        // v0 has no member id or generation: refused by a group with members.
        const v0 = await call(
          ApiKey.OffsetCommit,
          0,
          commitBody(groupId, -1, '', [[TOPIC_A, 0, 6n]]),
        );
        expect(commitErrors(v0)).toEqual([[TOPIC_A, 0, UNKNOWN]]);
        // A member id the group never gave out cannot rejoin, nor create a group.
        for (let v = 0; v <= 9; v++) {
          const rejoin = await call(ApiKey.JoinGroup, v, joinBody(groupId, 'nobody'));
          expect(rejoin).toMatchObject({ errorCode: UNKNOWN, memberId: 'nobody' });
          const create = await call(ApiKey.JoinGroup, v, joinBody('never-created', 'nobody'));
          expect(create).toMatchObject({ errorCode: UNKNOWN, memberId: 'nobody' });
        }
        expect(await describeGroup('never-created')).toMatchObject({ groupState: 'Dead' });
        expect((await describeGroup(groupId)).groupState).toBe('Stable');
        await expectConnectionOpen();
      });

      it('a pending member (MEMBER_ID_REQUIRED, not yet joined) may leave without a rebalance', async () => {
        const groupId = 'pending-leave';
        const holder = await connection('pending-holder');
        const { memberId } = await stableGroup(holder, groupId);
        // It has its id but has not joined with it: no member yet.
        const pending = await call(ApiKey.JoinGroup, 4, joinBody(groupId, ''));
        expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
        const pendingBeat = await call(ApiKey.Heartbeat, 4, {
          groupId,
          generationId: 1,
          memberId: pending.memberId,
        });
        expect(pendingBeat.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
        expect((await describeGroup(groupId)).groupState).toBe('Stable');

        const left = await call(ApiKey.LeaveGroup, 4, {
          groupId,
          members: [{ memberId: pending.memberId }],
        });
        expect(left.members.map((m) => [m.memberId, m.errorCode])).toEqual([[pending.memberId, 0]]);
        const rejoin = await call(ApiKey.JoinGroup, 4, joinBody(groupId, pending.memberId));
        expect(rejoin.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
        // Kafka (GroupCoordinator.handleLeaveGroup → removePendingMemberAndUpdateGroup) only
        // drops the pending id; the group was never told of it and stays Stable.
        const beat = await holder.call(ApiKey.Heartbeat, 4, { groupId, generationId: 1, memberId });
        expect(beat.errorCode, groupLog(groupId)).toBe(0);
        expect((await describeGroup(groupId)).groupState).toBe('Stable');
      });

      it('JoinGroup v0-9: INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT, INCONSISTENT_GROUP_PROTOCOL', async () => {
        const groupId = 'join-checks';
        const other = await connection('join-checks');
        await stableGroup(other, groupId);
        for (let v = 0; v <= 9; v++) {
          const join = (g: string, extra: JoinBody = {}) =>
            call(ApiKey.JoinGroup, v, joinBody(g, '', extra));
          expect(await join('')).toMatchObject({
            errorCode: ErrorCode.INVALID_GROUP_ID,
            memberId: '',
            generationId: -1,
          });
          // group.min.session.timeout.ms 6000, group.max.session.timeout.ms 1800000.
          for (const sessionTimeoutMs of [5_999, 1_800_001]) {
            expect(await join(`fresh-${v}`, { sessionTimeoutMs })).toMatchObject({
              errorCode: ErrorCode.INVALID_SESSION_TIMEOUT,
              memberId: '',
            });
          }
          expect((await join(`fresh-${v}`, { sessionTimeoutMs: 6_000 })).errorCode).toBe(
            v >= 4 ? ErrorCode.MEMBER_ID_REQUIRED : 0,
          );
          // Another protocol type than the group's, or no protocol in common with its members.
          expect(await join(groupId, { protocolType: 'connect' })).toMatchObject({
            errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
            memberId: '',
          });
          const roundRobin = [{ name: 'roundrobin', metadata: SUBSCRIPTION_A }];
          expect((await join(groupId, { protocols: roundRobin })).errorCode).toBe(
            ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
          );
          // A new group needs a protocol type and at least one protocol.
          expect((await join(`fresh-${v}-x`, { protocols: [] })).errorCode).toBe(
            ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
          );
          expect((await join(`fresh-${v}-y`, { protocolType: '' })).errorCode).toBe(
            ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
          );
        }
        // The empty group id is refused by the membership APIs too.
        for (let v = 0; v <= 4; v++) {
          const beat = await call(ApiKey.Heartbeat, v, {
            groupId: '',
            generationId: 1,
            memberId: 'm',
          });
          expect(beat.errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
        }
        for (let v = 0; v <= 5; v++) {
          const sync = await call(ApiKey.SyncGroup, v, {
            groupId: '',
            memberId: 'm',
            assignments: [],
          });
          expect(sync.errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
          const leave = await call(
            ApiKey.LeaveGroup,
            v,
            v < 3 ? { groupId: '', memberId: 'm' } : { groupId: '', members: [{ memberId: 'm' }] },
          );
          expect(leave.errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
        }
        expect((await describeGroup(groupId)).members).toHaveLength(1);
        await expectConnectionOpen();
      });

      it('a second member joins: REBALANCE_IN_PROGRESS on heartbeat and on commit while CompletingRebalance', async () => {
        const groupId = 'rebalance';
        const a = await connection('member-a');
        const b = await connection('member-b');
        const first = await stableGroup(a, groupId);
        const REBALANCING = ErrorCode.REBALANCE_IN_PROGRESS;

        const bId = await b.call(ApiKey.JoinGroup, 5, joinBody(groupId, ''));
        expect(bId.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
        // B's join parks until A rejoins (or the rebalance timeout).
        const bJoin = track(b.call(ApiKey.JoinGroup, 5, joinBody(groupId, bId.memberId)));
        await waitForState(groupId, 'PreparingRebalance');

        const beat = await a.call(ApiKey.Heartbeat, 4, {
          groupId,
          generationId: 1,
          memberId: first.memberId,
        });
        expect(beat.errorCode).toBe(REBALANCING);
        // Commits of the current generation are still taken while the group prepares.
        const early = await a.call(
          ApiKey.OffsetCommit,
          9,
          commitBody(groupId, 1, first.memberId, [[TOPIC_A, 0, 10n]]),
        );
        expect(commitErrors(early)).toEqual([[TOPIC_A, 0, 0]]);
        expect(bJoin.answered()).toBe(false);
        const earlySync = await a.call(ApiKey.SyncGroup, 3, {
          groupId,
          generationId: 1,
          memberId: first.memberId,
          assignments: [],
        });
        expect(earlySync.errorCode).toBe(REBALANCING);

        const aJoin = await a.call(ApiKey.JoinGroup, 5, joinBody(groupId, first.memberId));
        const bJoined = await bJoin.promise;
        expect(aJoin).toMatchObject({ errorCode: 0, generationId: 2, leader: first.memberId });
        expect(aJoin.members.map((m) => m.memberId).sort()).toEqual(
          [first.memberId, bId.memberId].sort(),
        );
        expect(aJoin.members.every((m) => m.metadata.equals(SUBSCRIPTION_A))).toBe(true);
        expect(bJoined).toMatchObject({
          errorCode: 0,
          generationId: 2,
          leader: first.memberId,
          memberId: bId.memberId,
          members: [],
        });
        expect((await describeGroup(groupId)).groupState).toBe('CompletingRebalance');

        // CompletingRebalance: the generation is known but not yet the assignment.
        const completing = await a.call(
          ApiKey.OffsetCommit,
          8,
          commitBody(groupId, 2, first.memberId, [[TOPIC_A, 0, 11n]]),
        );
        expect(commitErrors(completing)).toEqual([[TOPIC_A, 0, REBALANCING]]);
        const stale = await a.call(
          ApiKey.OffsetCommit,
          8,
          commitBody(groupId, 1, first.memberId, [[TOPIC_A, 0, 11n]]),
        );
        expect(commitErrors(stale)).toEqual([[TOPIC_A, 0, ErrorCode.ILLEGAL_GENERATION]]);
        for (const [memberId, conn] of [
          [first.memberId, a],
          [bId.memberId, b],
        ] as const) {
          const ok = await conn.call(ApiKey.Heartbeat, 3, { groupId, generationId: 2, memberId });
          expect(ok.errorCode).toBe(0);
        }

        // The follower's SyncGroup parks until the leader's brings the assignment.
        const bSync = track(
          b.call(ApiKey.SyncGroup, 5, {
            groupId,
            generationId: 2,
            memberId: bId.memberId,
            protocolType: 'consumer',
            protocolName: 'range',
            assignments: [],
          }),
        );
        await sleep(100);
        expect(bSync.answered()).toBe(false);
        const aSync = await a.call(ApiKey.SyncGroup, 5, {
          groupId,
          generationId: 2,
          memberId: first.memberId,
          protocolType: 'consumer',
          protocolName: 'range',
          assignments: [
            { memberId: first.memberId, assignment: Buffer.from('for-a') },
            { memberId: bId.memberId, assignment: Buffer.from('for-b') },
          ],
        });
        expect(aSync).toMatchObject({ errorCode: 0, assignment: Buffer.from('for-a') });
        expect(await bSync.promise).toMatchObject({
          errorCode: 0,
          assignment: Buffer.from('for-b'),
        });

        const stable = await a.call(
          ApiKey.OffsetCommit,
          8,
          commitBody(groupId, 2, first.memberId, [[TOPIC_A, 0, 12n]]),
        );
        expect(commitErrors(stable)).toEqual([[TOPIC_A, 0, 0]]);
        const described = await describeGroup(groupId);
        expect(described).toMatchObject({
          errorCode: 0,
          groupState: 'Stable',
          protocolType: 'consumer',
          protocolData: 'range',
        });
        expect(
          described.members
            .map((m) => [m.memberId, m.clientId, m.clientHost, m.memberAssignment.toString()])
            .sort(),
        ).toEqual(
          [
            [first.memberId, 'member-a', '/127.0.0.1', 'for-a'],
            [bId.memberId, 'member-b', '/127.0.0.1', 'for-b'],
          ].sort(),
        );

        const left = await call(ApiKey.LeaveGroup, 5, {
          groupId,
          members: [
            { memberId: first.memberId, groupInstanceId: null },
            { memberId: bId.memberId, groupInstanceId: null, reason: 'test over' },
            { memberId: 'nobody', groupInstanceId: null },
          ],
        });
        expect(left).toMatchObject({ errorCode: 0 });
        expect(left.members.map((m) => [m.memberId, m.errorCode])).toEqual([
          [first.memberId, 0],
          [bId.memberId, 0],
          ['nobody', ErrorCode.UNKNOWN_MEMBER_ID],
        ]);
        expect((await describeGroup(groupId)).groupState).toBe('Empty');
        expect(await fetchOffsets(groupId, [{ name: TOPIC_A, partitionIndexes: [0] }])).toEqual([
          [TOPIC_A, 0, 12n],
        ]);
      });

      it('a member that joins but never sends SyncGroup is removed after the rebalance timeout', async () => {
        const groupId = 'never-syncs';
        const fast = { rebalanceTimeoutMs: 1_500 };
        const leader = await connection('syncing-leader');
        const idle = await connection('never-syncs');
        const first = await stableGroup(leader, groupId, fast);
        const joining = idle.call(ApiKey.JoinGroup, 3, joinBody(groupId, '', fast));
        await waitForState(groupId, 'PreparingRebalance');
        const rejoined = await leader.call(
          ApiKey.JoinGroup,
          3,
          joinBody(groupId, first.memberId, fast),
        );
        const joined = await joining;
        expect([rejoined.errorCode, joined.errorCode, rejoined.generationId]).toEqual([0, 0, 2]);
        const synced = await leader.call(ApiKey.SyncGroup, 3, {
          groupId,
          generationId: 2,
          memberId: first.memberId,
          assignments: [],
        });
        expect(synced.errorCode).toBe(0);
        expect((await describeGroup(groupId)).members).toHaveLength(2);
        // The other member never syncs: once the rebalance timeout passed it is dropped and
        // the group rebalances without it.
        await waitForState(groupId, 'PreparingRebalance');
        expect((await describeGroup(groupId)).members.map((m) => m.memberId)).toEqual([
          first.memberId,
        ]);
        const beat = await idle.call(ApiKey.Heartbeat, 4, {
          groupId,
          generationId: 2,
          memberId: joined.memberId,
        });
        expect(beat.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
        const alone = await leader.call(
          ApiKey.JoinGroup,
          3,
          joinBody(groupId, first.memberId, fast),
        );
        expect(alone).toMatchObject({ errorCode: 0, generationId: 3, leader: first.memberId });
        expect(alone.members.map((m) => m.memberId)).toEqual([first.memberId]);
      });

      it('a static member that does not rejoin in time stays in the group (only dynamic ones are dropped)', async () => {
        const groupId = 'static-slow';
        const fast = { rebalanceTimeoutMs: 2_000 };
        const staticConn = await connection('static-slow');
        const dynamicConn = await connection('dynamic-fast');
        const groupInstanceId = 'slow-instance';
        const stat = await stableGroup(staticConn, groupId, { ...fast, groupInstanceId });
        // A dynamic member joins; the static one does not rejoin within the rebalance timeout.
        const joined = await joinNew(dynamicConn, 5, groupId, fast);
        expect(joined).toMatchObject({ errorCode: 0, generationId: 2, leader: joined.memberId });
        // Kafka's onCompleteJoin (GroupMetadataManager.completeClassicGroupJoin) removes only
        // notYetRejoinedDynamicMembers: the static member stays, its metadata goes to the new
        // leader, and its heartbeat of the old generation is ILLEGAL_GENERATION; it is
        // dropped only if it then misses SyncGroup (pending sync) or its session.
        const log = groupLog(groupId);
        expect(joined.members.map((m) => [m.memberId, m.groupInstanceId]).sort(), log).toEqual(
          [
            [joined.memberId, null],
            [stat.memberId, groupInstanceId],
          ].sort(),
        );
        const beat = await staticConn.call(ApiKey.Heartbeat, 4, {
          groupId,
          generationId: 1,
          memberId: stat.memberId,
          groupInstanceId,
        });
        expect(beat.errorCode, log).toBe(ErrorCode.ILLEGAL_GENERATION);
      }, 15_000);

      it('group.max.size 2: a third member gets GROUP_MAX_SIZE_REACHED', async () => {
        const groupId = 'max-size';
        const a = await connection('max-a');
        const b = await connection('max-b');
        const first = await stableGroup(a, groupId);
        // v3: no MEMBER_ID_REQUIRED round; B's join parks until A rejoins.
        const bJoin = b.call(ApiKey.JoinGroup, 3, joinBody(groupId, ''));
        await waitForState(groupId, 'PreparingRebalance');
        const aJoin = await a.call(ApiKey.JoinGroup, 3, joinBody(groupId, first.memberId));
        const bJoined = await bJoin;
        expect([aJoin.errorCode, bJoined.errorCode, aJoin.generationId]).toEqual([0, 0, 2]);

        for (let v = 0; v <= 9; v++) {
          const third = await call(ApiKey.JoinGroup, v, joinBody(groupId, ''));
          expect(third).toMatchObject({
            errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED,
            memberId: '',
          });
        }
        const bSync = b.call(ApiKey.SyncGroup, 2, {
          groupId,
          generationId: 2,
          memberId: bJoined.memberId,
          assignments: [],
        });
        const aSync = await a.call(ApiKey.SyncGroup, 2, {
          groupId,
          generationId: 2,
          memberId: first.memberId,
          assignments: [],
        });
        expect([aSync.errorCode, (await bSync).errorCode]).toEqual([0, 0]);
        expect((await describeGroup(groupId)).groupState).toBe('Stable');
        const third = await call(ApiKey.JoinGroup, 5, joinBody(groupId, ''));
        expect(third.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
        const described = await describeGroup(groupId);
        expect([described.groupState, described.members.length]).toEqual(['Stable', 2]);
      });

      it('static membership v5-9: the same group.instance.id replaces the member; the old id is FENCED_INSTANCE_ID', async () => {
        const FENCED = ErrorCode.FENCED_INSTANCE_ID;
        for (let v = 5; v <= 9; v++) {
          const groupId = `static-v${v}`;
          const groupInstanceId = `instance-${v}`;
          const instance = { groupInstanceId };
          // Static members join at once, without MEMBER_ID_REQUIRED.
          const first = await call(ApiKey.JoinGroup, v, joinBody(groupId, '', instance));
          expect(first).toMatchObject({
            errorCode: 0,
            generationId: 1,
            leader: first.memberId,
            members: [{ memberId: first.memberId, groupInstanceId, metadata: SUBSCRIPTION_A }],
          });
          expect(first.memberId).toMatch(new RegExp(`^${groupInstanceId}-${UUID}$`));
          const assignment = Buffer.from(`static-${v}`);
          const synced = await call(ApiKey.SyncGroup, Math.min(v, 5), {
            groupId,
            generationId: 1,
            memberId: first.memberId,
            groupInstanceId,
            assignments: [{ memberId: first.memberId, assignment }],
          });
          expect(synced).toMatchObject({ errorCode: 0, assignment });

          // The instance restarts: a new member id, the same generation, no rebalance.
          const second = await call(ApiKey.JoinGroup, v, joinBody(groupId, '', instance));
          expect(second).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
          expect(second.memberId).toMatch(new RegExp(`^${groupInstanceId}-${UUID}$`));
          expect(second.memberId).not.toBe(first.memberId);
          if (v >= 9) {
            // KIP-814: the rejoining leader is told it is the leader but may skip assigning.
            expect(second).toMatchObject({
              leader: second.memberId,
              skipAssignment: true,
              members: [{ memberId: second.memberId, groupInstanceId, metadata: SUBSCRIPTION_A }],
            });
          } else {
            // The old leader id: the new incarnation must not think it has to assign.
            expect(second).toMatchObject({
              leader: first.memberId,
              skipAssignment: false,
              members: [],
            });
          }
          expect((await describeGroup(groupId)).groupState).toBe('Stable');

          for (let hv = 3; hv <= 4; hv++) {
            const fenced = await call(ApiKey.Heartbeat, hv, {
              groupId,
              generationId: 1,
              memberId: first.memberId,
              groupInstanceId,
            });
            expect(fenced.errorCode).toBe(FENCED);
          }
          const unknown = await call(ApiKey.Heartbeat, 2, {
            groupId,
            generationId: 1,
            memberId: first.memberId,
          });
          expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
          const fencedSync = await call(ApiKey.SyncGroup, Math.min(v, 5), {
            groupId,
            generationId: 1,
            memberId: first.memberId,
            groupInstanceId,
            assignments: [],
          });
          expect(fencedSync.errorCode).toBe(FENCED);
          const fencedCommit = await call(
            ApiKey.OffsetCommit,
            Math.max(v, 7),
            commitBody(groupId, 1, first.memberId, [[TOPIC_A, 0, 1n]], instance),
          );
          expect(commitErrors(fencedCommit)).toEqual([[TOPIC_A, 0, FENCED]]);
          const fencedLeave = await call(ApiKey.LeaveGroup, Math.min(v, 5), {
            groupId,
            members: [{ memberId: first.memberId, groupInstanceId }],
          });
          expect(fencedLeave.members.map((m) => m.errorCode)).toEqual([FENCED]);
          const fencedJoin = await call(
            ApiKey.JoinGroup,
            v,
            joinBody(groupId, first.memberId, instance),
          );
          expect(fencedJoin).toMatchObject({ errorCode: FENCED, memberId: first.memberId });

          // The new incarnation carries on in generation 1 with the assignment it had.
          const beat = await call(ApiKey.Heartbeat, 4, {
            groupId,
            generationId: 1,
            memberId: second.memberId,
            groupInstanceId,
          });
          expect(beat.errorCode).toBe(0);
          const resynced = await call(ApiKey.SyncGroup, Math.min(v, 5), {
            groupId,
            generationId: 1,
            memberId: second.memberId,
            groupInstanceId,
            assignments: [],
          });
          expect(resynced).toMatchObject({ errorCode: 0, assignment });
          const commit = await call(
            ApiKey.OffsetCommit,
            Math.max(v, 7),
            commitBody(groupId, 1, second.memberId, [[TOPIC_A, 1, 9n]], instance),
          );
          expect(commitErrors(commit)).toEqual([[TOPIC_A, 1, 0]]);
          const described = await describeGroup(groupId);
          expect(described.members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([
            [second.memberId, groupInstanceId],
          ]);

          // An administrator removes the static member by its instance id alone.
          const removed = await call(ApiKey.LeaveGroup, Math.min(v, 5), {
            groupId,
            members: [{ memberId: '', groupInstanceId }],
          });
          expect(removed.errorCode).toBe(0);
          expect(removed.members.map((m) => m.errorCode)).toEqual([0]);
          expect((await describeGroup(groupId)).groupState).toBe('Empty');
        }
        await expectConnectionOpen();
      });

      it('a member that stops heartbeating is removed after its session timeout; the rest rebalance', async () => {
        const groupId = 'session-expiry';
        const live = await connection('live');
        const silent = await connection('silent');
        const session = { sessionTimeoutMs: 6_000 };
        const first = await stableGroup(live, groupId, session);
        const joining = silent.call(ApiKey.JoinGroup, 3, joinBody(groupId, '', session));
        await waitForState(groupId, 'PreparingRebalance');
        const rejoined = await live.call(
          ApiKey.JoinGroup,
          3,
          joinBody(groupId, first.memberId, session),
        );
        const joined = await joining;
        expect([rejoined.errorCode, joined.errorCode, joined.generationId]).toEqual([0, 0, 2]);
        const silentSync = silent.call(ApiKey.SyncGroup, 3, {
          groupId,
          generationId: 2,
          memberId: joined.memberId,
          assignments: [],
        });
        const liveSync = await live.call(ApiKey.SyncGroup, 3, {
          groupId,
          generationId: 2,
          memberId: first.memberId,
          assignments: [],
        });
        expect([liveSync.errorCode, (await silentSync).errorCode]).toEqual([0, 0]);
        const synced = Date.now();

        // The live member heartbeats every 500 ms until it hears of the rebalance.
        let beat = 0;
        while (beat === 0 && Date.now() - synced < 12_000) {
          await sleep(500);
          beat = (
            await live.call(ApiKey.Heartbeat, 4, {
              groupId,
              generationId: 2,
              memberId: first.memberId,
            })
          ).errorCode;
        }
        expect(beat).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
        expect(Date.now() - synced).toBeGreaterThanOrEqual(5_500);
        expect((await describeGroup(groupId)).members.map((m) => m.memberId)).toEqual([
          first.memberId,
        ]);
        const alone = await live.call(
          ApiKey.JoinGroup,
          3,
          joinBody(groupId, first.memberId, session),
        );
        expect(alone).toMatchObject({
          errorCode: 0,
          generationId: 3,
          leader: first.memberId,
          members: [expect.objectContaining({ memberId: first.memberId })],
        });
        const expired = await silent.call(ApiKey.Heartbeat, 4, {
          groupId,
          generationId: 2,
          memberId: joined.memberId,
        });
        expect(expired.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      }, 30_000);

      it('OffsetCommit: unknown groups, simple consumers, unknown topics, metadata size', async () => {
        // A generation for a group that does not exist: ILLEGAL_GENERATION, GROUP_ID_NOT_FOUND from v9.
        for (let v = 1; v <= 9; v++) {
          const groupId = `no-group-v${v}`;
          const body = await call(
            ApiKey.OffsetCommit,
            v,
            commitBody(groupId, 1, 'm', [[TOPIC_A, 0, 1n]]),
          );
          expect(commitErrors(body)).toEqual([
            [TOPIC_A, 0, v >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION],
          ]);
          expect((await describeGroup(groupId)).groupState).toBe('Dead');
        }
        // Generation -1 and no member: a simple consumer's group is created on the fly.
        for (let v = 0; v <= 9; v++) {
          const groupId = `simple-v${v}`;
          const body = await call(
            ApiKey.OffsetCommit,
            v,
            commitBody(groupId, -1, '', [
              [TOPIC_A, 0, BigInt(40 + v), 'simple'],
              [TOPIC_B, 0, BigInt(50 + v)],
            ]),
          );
          expect(commitErrors(body)).toEqual([
            [TOPIC_A, 0, 0],
            [TOPIC_B, 0, 0],
          ]);
          expect(
            await fetchOffsets(
              groupId,
              [
                { name: TOPIC_A, partitionIndexes: [0, 1] },
                { name: TOPIC_B, partitionIndexes: [0] },
              ],
              v,
            ),
          ).toEqual([
            [TOPIC_A, 0, BigInt(40 + v)],
            [TOPIC_A, 1, -1n],
            [TOPIC_B, 0, BigInt(50 + v)],
          ]);
          expect(await describeGroup(groupId)).toMatchObject({
            errorCode: 0,
            groupState: 'Empty',
            protocolType: '',
          });
          if (v >= 2 && v < 8) {
            // No topics: every partition the group committed.
            const all = await call(ApiKey.OffsetFetch, v, { groupId, topics: null });
            expect(
              all.topics
                .flatMap((t) =>
                  t.partitions.map((p) => [t.name, p.partitionIndex, p.committedOffset]),
                )
                .sort(),
            ).toEqual([
              [TOPIC_A, 0, BigInt(40 + v)],
              [TOPIC_B, 0, BigInt(50 + v)],
            ]);
          }
        }
        for (let v = 8; v <= 9; v++) {
          const several = await call(ApiKey.OffsetFetch, v, {
            groups: [
              { groupId: 'simple-v3', topics: null },
              { groupId: 'simple-v4', topics: [{ name: TOPIC_B, partitionIndexes: [0] }] },
              { groupId: 'no-such-group', topics: null },
            ],
          });
          expect(
            several.groups.map((g) => [
              g.groupId,
              g.errorCode,
              g.topics
                .flatMap((t) =>
                  t.partitions.map((p) => [t.name, p.partitionIndex, p.committedOffset]),
                )
                .sort(),
            ]),
          ).toEqual([
            [
              'simple-v3',
              0,
              [
                [TOPIC_A, 0, 43n],
                [TOPIC_B, 0, 53n],
              ],
            ],
            ['simple-v4', 0, [[TOPIC_B, 0, 54n]]],
            ['no-such-group', 0, []],
          ]);
        }
        // Per partition: unknown topics and partitions, metadata over offset.metadata.max.bytes.
        const limits = await call(
          ApiKey.OffsetCommit,
          8,
          commitBody('simple-limits', -1, '', [
            [TOPIC_A, 0, 7n, 'x'.repeat(4096)],
            [TOPIC_A, 1, 8n, 'x'.repeat(4097)],
            ['no-such-topic', 0, 1n],
            [TOPIC_B, 5, 1n],
          ]),
        );
        expect(commitErrors(limits)).toEqual([
          [TOPIC_A, 0, 0],
          [TOPIC_A, 1, ErrorCode.OFFSET_METADATA_TOO_LARGE],
          ['no-such-topic', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
          [TOPIC_B, 5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ]);
        const fetched = await call(ApiKey.OffsetFetch, 7, {
          groupId: 'simple-limits',
          topics: [{ name: TOPIC_A, partitionIndexes: [0, 1] }],
        });
        expect(fetched.topics[0].partitions).toEqual([
          expect.objectContaining({
            partitionIndex: 0,
            committedOffset: 7n,
            metadata: 'x'.repeat(4096),
          }),
          expect.objectContaining({ partitionIndex: 1, committedOffset: -1n, metadata: '' }),
        ]);
        // A null metadata is stored as empty.
        const nullMetadata = await call(ApiKey.OffsetCommit, 2, {
          groupId: 'simple-limits',
          topics: [
            {
              name: TOPIC_A,
              partitions: [{ partitionIndex: 1, committedOffset: 3n, committedMetadata: null }],
            },
          ],
        });
        expect(commitErrors(nullMetadata)).toEqual([[TOPIC_A, 1, 0]]);
        await expectConnectionOpen();
      });

      it('OffsetCommit: offset.metadata.max.bytes counts characters as Kafka does', async () => {
        // Kafka's OffsetMetadataManager.isMetadataInvalid: metadata.length() > offsetMetadataMaxSize,
        // i.e. UTF-16 chars of the Java String, not encoded bytes: 4096 'é' (8192 UTF-8
        // bytes) are accepted by Kafka.
        const body = await call(
          ApiKey.OffsetCommit,
          8,
          commitBody('metadata-chars', -1, '', [[TOPIC_A, 0, 1n, 'é'.repeat(4096)]]),
        );
        expect(commitErrors(body)).toEqual([[TOPIC_A, 0, 0]]);
      });

      it('DescribeGroups v0-5, ListGroups v0-5 (state and type filters), DeleteGroups v0-2', async () => {
        const holder = await connection('list-holder');
        const stable = await stableGroup(holder, 'list-stable');
        const simple = await call(
          ApiKey.OffsetCommit,
          2,
          commitBody('list-empty', -1, '', [[TOPIC_A, 0, 1n]]),
        );
        expect(commitErrors(simple)).toEqual([[TOPIC_A, 0, 0]]);

        for (let v = 0; v <= 5; v++) {
          const described = await call(ApiKey.DescribeGroups, v, {
            groups: ['list-stable', 'list-empty', 'no-such-group'],
            includeAuthorizedOperations: v >= 3,
          });
          const [s, e, unknown] = described.groups;
          // READ, DELETE and DESCRIBE when asked (v3+, no authorizer); else Kafka's "omitted".
          expect(described.groups.map((g) => g.authorizedOperations)).toEqual(
            Array(3).fill(v >= 3 ? (1 << 3) | (1 << 6) | (1 << 8) : -2147483648),
          );
          expect(s).toMatchObject({
            errorCode: 0,
            groupId: 'list-stable',
            groupState: 'Stable',
            protocolType: 'consumer',
            protocolData: 'range',
          });
          expect(s.members).toEqual([
            {
              memberId: stable.memberId,
              groupInstanceId: null,
              clientId: 'list-holder',
              clientHost: '/127.0.0.1',
              memberMetadata: SUBSCRIPTION_A,
              memberAssignment: Buffer.from('assigned'),
            },
          ]);
          expect(e).toMatchObject({
            errorCode: 0,
            groupId: 'list-empty',
            groupState: 'Empty',
            protocolType: '',
            members: [],
          });
          expect(unknown).toMatchObject({
            errorCode: 0,
            groupId: 'no-such-group',
            groupState: 'Dead',
            protocolType: '',
            protocolData: '',
            members: [],
          });
        }

        for (let v = 0; v <= 5; v++) {
          const listed = await call(ApiKey.ListGroups, v, {});
          expect(listed.errorCode).toBe(0);
          const byId = new Map(listed.groups.map((g) => [g.groupId, g]));
          expect(byId.get('list-stable')).toMatchObject({ protocolType: 'consumer' });
          expect(byId.get('list-empty')).toMatchObject({ protocolType: '' });
          expect(byId.has('no-such-group')).toBe(false);
          if (v >= 4) {
            expect(byId.get('list-stable')?.groupState).toBe('Stable');
            expect(byId.get('list-empty')?.groupState).toBe('Empty');
          }
          if (v >= 5) expect(byId.get('list-stable')?.groupType).toBe('classic');
        }
        const onlyStable = await call(ApiKey.ListGroups, 4, { statesFilter: ['Stable'] });
        const stableIds = onlyStable.groups.map((g) => g.groupId);
        expect(stableIds).toContain('list-stable');
        expect(stableIds).not.toContain('list-empty');
        expect(onlyStable.groups.every((g) => g.groupState === 'Stable')).toBe(true);
        const onlyEmpty = await call(ApiKey.ListGroups, 4, { statesFilter: ['Empty'] });
        expect(onlyEmpty.groups.map((g) => g.groupId)).toContain('list-empty');
        expect(onlyEmpty.groups.map((g) => g.groupId)).not.toContain('list-stable');
        const classic = await call(ApiKey.ListGroups, 5, {
          statesFilter: ['Stable'],
          typesFilter: ['classic'],
        });
        expect(classic.groups).toContainEqual({
          groupId: 'list-stable',
          protocolType: 'consumer',
          groupState: 'Stable',
          groupType: 'classic',
        });
        expect(classic.groups.map((g) => g.groupId)).not.toContain('list-empty');
        const consumerType = await call(ApiKey.ListGroups, 5, { typesFilter: ['consumer'] });
        expect(consumerType).toMatchObject({ errorCode: 0, groups: [] });

        for (let v = 0; v <= 2; v++) {
          const emptyGroup = `delete-me-v${v}`;
          expect(
            commitErrors(
              await call(
                ApiKey.OffsetCommit,
                2,
                commitBody(emptyGroup, -1, '', [[TOPIC_A, 0, 1n]]),
              ),
            ),
          ).toEqual([[TOPIC_A, 0, 0]]);
          const deleted = await call(ApiKey.DeleteGroups, v, {
            groupsNames: ['list-stable', 'no-such-group', emptyGroup],
          });
          expect(deleted.results).toEqual([
            { groupId: 'list-stable', errorCode: ErrorCode.NON_EMPTY_GROUP },
            { groupId: 'no-such-group', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
            { groupId: emptyGroup, errorCode: 0 },
          ]);
          // Gone with its offsets.
          expect((await describeGroup(emptyGroup)).groupState).toBe('Dead');
          expect(
            await fetchOffsets(emptyGroup, [{ name: TOPIC_A, partitionIndexes: [0] }]),
          ).toEqual([[TOPIC_A, 0, -1n]]);
          const again = await call(ApiKey.DeleteGroups, v, { groupsNames: [emptyGroup] });
          expect(again.results).toEqual([
            { groupId: emptyGroup, errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
          ]);
        }
        const listed = await call(ApiKey.ListGroups, 3, {});
        expect(listed.groups.map((g) => g.groupId)).not.toContain('delete-me-v0');
        expect((await describeGroup('list-stable')).groupState).toBe('Stable');
        await expectConnectionOpen();
      });

      it('OffsetDelete v0: GROUP_SUBSCRIBED_TO_TOPIC for subscribed topics of an active consumer group', async () => {
        const groupId = 'offset-delete';
        const holder = await connection('offset-delete');
        const { memberId } = await stableGroup(holder, groupId);
        const committed = await call(
          ApiKey.OffsetCommit,
          8,
          commitBody(groupId, 1, memberId, [
            [TOPIC_A, 0, 20n],
            [TOPIC_A, 1, 21n],
            [TOPIC_B, 0, 22n],
          ]),
        );
        expect(commitErrors(committed)).toEqual([
          [TOPIC_A, 0, 0],
          [TOPIC_A, 1, 0],
          [TOPIC_B, 0, 0],
        ]);
        // The member's subscription names TOPIC_A only.
        const deleted = await call(ApiKey.OffsetDelete, 0, {
          groupId,
          topics: [
            { name: TOPIC_A, partitions: [{ partitionIndex: 0 }, { partitionIndex: 1 }] },
            { name: TOPIC_B, partitions: [{ partitionIndex: 0 }] },
          ],
        });
        expect(deleted.errorCode).toBe(0);
        expect(deleted.topics).toEqual([
          {
            name: TOPIC_A,
            partitions: [
              { partitionIndex: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC },
              { partitionIndex: 1, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC },
            ],
          },
          { name: TOPIC_B, partitions: [{ partitionIndex: 0, errorCode: 0 }] },
        ]);
        expect(
          await fetchOffsets(groupId, [
            { name: TOPIC_A, partitionIndexes: [0, 1] },
            { name: TOPIC_B, partitionIndexes: [0] },
          ]),
        ).toEqual([
          [TOPIC_A, 0, 20n],
          [TOPIC_A, 1, 21n],
          [TOPIC_B, 0, -1n],
        ]);

        const unknown = await call(ApiKey.OffsetDelete, 0, {
          groupId: 'no-such-group',
          topics: [{ name: TOPIC_A, partitions: [{ partitionIndex: 0 }] }],
        });
        expect(unknown).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] });

        // An active group of another protocol type says nothing of its topics: NON_EMPTY_GROUP.
        const connect = await connection('connect-worker');
        await stableGroup(connect, 'connect-group', {
          protocolType: 'connect',
          protocols: [{ name: 'sessioned', metadata: Buffer.from('worker') }],
        });
        const nonConsumer = await call(ApiKey.OffsetDelete, 0, {
          groupId: 'connect-group',
          topics: [{ name: TOPIC_A, partitions: [{ partitionIndex: 0 }] }],
        });
        expect(nonConsumer.errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);

        // Once the member left, every offset can go.
        const left = await holder.call(ApiKey.LeaveGroup, 1, { groupId, memberId });
        expect(left.errorCode).toBe(0);
        const all = await call(ApiKey.OffsetDelete, 0, {
          groupId,
          topics: [{ name: TOPIC_A, partitions: [{ partitionIndex: 0 }, { partitionIndex: 1 }] }],
        });
        expect(all).toMatchObject({
          errorCode: 0,
          topics: [
            {
              name: TOPIC_A,
              partitions: [
                { partitionIndex: 0, errorCode: 0 },
                { partitionIndex: 1, errorCode: 0 },
              ],
            },
          ],
        });
        expect(await fetchOffsets(groupId, [{ name: TOPIC_A, partitionIndexes: [0, 1] }])).toEqual([
          [TOPIC_A, 0, -1n],
          [TOPIC_A, 1, -1n],
        ]);
        await expectConnectionOpen();
      });

      it('OffsetDelete v0: unknown topics and partitions are UNKNOWN_TOPIC_OR_PARTITION', async () => {
        // Kafka's KafkaApis.handleOffsetDeleteRequest answers UNKNOWN_TOPIC_OR_PARTITION for
        // a topic or partition the metadata cache does not know, before asking the group
        // coordinator.
        const groupId = 'offset-delete-unknown';
        const simple = await call(
          ApiKey.OffsetCommit,
          2,
          commitBody(groupId, -1, '', [[TOPIC_A, 0, 1n]]),
        );
        expect(commitErrors(simple)).toEqual([[TOPIC_A, 0, 0]]);
        const deleted = await call(ApiKey.OffsetDelete, 0, {
          groupId,
          topics: [
            { name: 'no-such-topic', partitions: [{ partitionIndex: 0 }] },
            { name: TOPIC_A, partitions: [{ partitionIndex: 0 }, { partitionIndex: 7 }] },
          ],
        });
        expect(deleted.errorCode).toBe(0);
        expect(
          deleted.topics.flatMap((t) =>
            t.partitions.map((p) => [t.name, p.partitionIndex, p.errorCode]),
          ),
        ).toEqual([
          ['no-such-topic', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
          [TOPIC_A, 0, 0],
          [TOPIC_A, 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ]);
      });

      it('LeaveGroup v0-5 of an unknown group: UNKNOWN_MEMBER_ID for each member', async () => {
        for (let v = 0; v <= 5; v++) {
          const left = await call(
            ApiKey.LeaveGroup,
            v,
            v < 3
              ? { groupId: 'no-such-group', memberId: 'm' }
              : { groupId: 'no-such-group', members: [{ memberId: 'm' }, { memberId: 'n' }] },
          );
          if (v < 3) {
            expect(left.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
          } else {
            expect(left.errorCode).toBe(0);
            expect(left.members.map((m) => [m.memberId, m.errorCode])).toEqual([
              ['m', ErrorCode.UNKNOWN_MEMBER_ID],
              ['n', ErrorCode.UNKNOWN_MEMBER_ID],
            ]);
          }
        }
        await expectConnectionOpen();
      });
    });

    it('transaction APIs: COORDINATOR_NOT_AVAILABLE; ListTransactions empty', async () => {
      const NA = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      for (let v = 0; v <= 5; v++) {
        const body = await call(
          ApiKey.AddPartitionsToTxn,
          v,
          v < 4
            ? {
                v3AndBelowTransactionalId: 'tx',
                v3AndBelowTopics: [{ name: 't', partitions: [0, 1] }],
              }
            : {
                transactions: [{ transactionalId: 'tx', topics: [{ name: 't', partitions: [0] }] }],
              },
        );
        if (v < 4) {
          expect(body.resultsByTopicV3AndBelow).toEqual([
            {
              name: 't',
              resultsByPartition: [
                { partitionIndex: 0, partitionErrorCode: NA },
                { partitionIndex: 1, partitionErrorCode: NA },
              ],
            },
          ]);
        } else {
          expect(body.errorCode).toBe(NA);
        }
        expect((await call(ApiKey.EndTxn, v, { transactionalId: 'tx' })).errorCode).toBe(NA);
      }
      for (let v = 0; v <= 4; v++) {
        expect(
          (await call(ApiKey.AddOffsetsToTxn, v, { transactionalId: 'tx', groupId: 'g' }))
            .errorCode,
        ).toBe(NA);
        const commit = await call(ApiKey.TxnOffsetCommit, v, {
          transactionalId: 'tx',
          groupId: 'g',
          topics: [{ name: 't', partitions: [{ partitionIndex: 2 }] }],
        });
        expect(commit.topics).toEqual([
          { name: 't', partitions: [{ partitionIndex: 2, errorCode: NA }] },
        ]);
      }
      const described = await call(ApiKey.DescribeTransactions, 0, {
        transactionalIds: ['a', 'b'],
      });
      expect(described.transactionStates.map((s) => [s.transactionalId, s.errorCode])).toEqual([
        ['a', NA],
        ['b', NA],
      ]);
      for (let v = 0; v <= 1; v++) {
        const listed = await call(ApiKey.ListTransactions, v, {});
        expect(listed).toMatchObject({
          errorCode: 0,
          transactionStates: [],
          unknownStateFilters: [],
        });
      }
      await expectConnectionOpen();
    });

    it('ACL APIs: SECURITY_DISABLED; SASL APIs: ILLEGAL_SASL_STATE', async () => {
      const DISABLED = ErrorCode.SECURITY_DISABLED;
      for (let v = 0; v <= 3; v++) {
        const acl = {
          resourceType: 2,
          resourceName: 't',
          resourcePatternType: 3,
          principal: 'User:a',
          host: '*',
          operation: 3,
          permissionType: 3,
        };
        const filter = {
          resourceTypeFilter: 2,
          resourceNameFilter: null,
          patternTypeFilter: v >= 1 ? 1 : 3,
          principalFilter: null,
          hostFilter: null,
          operation: 1,
          permissionType: 1,
        };
        const describe = await call(ApiKey.DescribeAcls, v, filter);
        expect(describe).toMatchObject({ errorCode: DISABLED, resources: [] });
        const created = await call(ApiKey.CreateAcls, v, { creations: [acl, acl] });
        expect(created.results.map((r) => r.errorCode)).toEqual([DISABLED, DISABLED]);
        const deleted = await call(ApiKey.DeleteAcls, v, { filters: [filter] });
        expect(deleted.filterResults).toEqual([
          expect.objectContaining({ errorCode: DISABLED, matchingAcls: [] }),
        ]);
      }
      for (let v = 0; v <= 1; v++) {
        const handshake = await call(ApiKey.SaslHandshake, v, { mechanism: 'PLAIN' });
        expect(handshake).toEqual({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
      }
      for (let v = 0; v <= 2; v++) {
        const auth = await call(ApiKey.SaslAuthenticate, v, { authBytes: Buffer.from('x') });
        expect(auth.errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
      }
      await expectConnectionOpen();
    });
  });

  it('kcat still lists the cluster', async () => {
    const result = await run(KCAT, ['-b', node.bootstrap, '-L'], { timeoutMs: 20_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/topic "grow" with 3 partitions/);
  }, 30_000);
});

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
import { WireClient } from '../harness/wire-client.js';

/**
 * The admin APIs of `bin/broker` (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs,
 * CreatePartitions, DeleteRecords, DescribeLogDirs, DescribeProducers,
 * DescribeTopicPartitions) through kafkajs, confluent-kafka's AdminClient and raw requests
 * of every version; and the APIs without a subsystem yet (groups, transactions, ACLs, SASL)
 * answering Kafka's error on a connection that stays open.
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

    it('group APIs: COORDINATOR_NOT_AVAILABLE for every key, group and partition', async () => {
      const NA = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      for (let v = 0; v <= 6; v++) {
        const body = await call(ApiKey.FindCoordinator, v, {
          key: v < 4 ? 'g' : '',
          keyType: v >= 1 ? 1 : 0,
          coordinatorKeys: v >= 4 ? ['g1', 'g2'] : [],
        });
        if (v < 4) {
          expect(body).toMatchObject({ errorCode: NA, nodeId: -1, host: '', port: -1 });
        } else {
          expect(body.coordinators.map((c) => [c.key, c.errorCode, c.nodeId])).toEqual([
            ['g1', NA, -1],
            ['g2', NA, -1],
          ]);
        }
      }
      for (let v = 0; v <= 9; v++) {
        const join = await call(ApiKey.JoinGroup, v, {
          groupId: 'g',
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: '',
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
        });
        expect(join).toMatchObject({ errorCode: NA, generationId: -1, memberId: '', members: [] });
      }
      for (let v = 0; v <= 4; v++) {
        expect((await call(ApiKey.Heartbeat, v, { groupId: 'g', memberId: 'm' })).errorCode).toBe(
          NA,
        );
      }
      for (let v = 0; v <= 5; v++) {
        const leave = await call(ApiKey.LeaveGroup, v, {
          groupId: 'g',
          memberId: v < 3 ? 'm' : '',
          members: v >= 3 ? [{ memberId: 'm' }] : [],
        });
        expect(leave.errorCode).toBe(NA);
        const sync = await call(ApiKey.SyncGroup, v, {
          groupId: 'g',
          memberId: 'm',
          assignments: [],
        });
        expect(sync.errorCode).toBe(NA);
        const describe = await call(ApiKey.DescribeGroups, v, { groups: ['g1', 'g2'] });
        expect(describe.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
          ['g1', NA],
          ['g2', NA],
        ]);
        const list = await call(ApiKey.ListGroups, v, {});
        expect(list).toMatchObject({ errorCode: 0, groups: [] });
      }
      for (let v = 0; v <= 9; v++) {
        const commit = await call(ApiKey.OffsetCommit, v, {
          groupId: 'g',
          topics: [
            {
              name: 't',
              partitions: [{ partitionIndex: 0, committedOffset: 5n }, { partitionIndex: 3 }],
            },
          ],
        });
        expect(commit.topics).toEqual([
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, errorCode: NA },
              { partitionIndex: 3, errorCode: NA },
            ],
          },
        ]);
        const fetch = await call(
          ApiKey.OffsetFetch,
          v,
          v < 8
            ? { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] }
            : {
                groups: [
                  { groupId: 'g1', topics: null },
                  { groupId: 'g2', topics: null },
                ],
              },
        );
        if (v < 8) {
          expect(fetch.errorCode).toBe(v >= 2 ? NA : 0);
          expect(
            fetch.topics[0].partitions.map((p) => [
              p.partitionIndex,
              p.errorCode,
              p.committedOffset,
            ]),
          ).toEqual([
            [0, NA, -1n],
            [1, NA, -1n],
          ]);
        } else {
          expect(fetch.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
            ['g1', NA],
            ['g2', NA],
          ]);
        }
      }
      for (let v = 0; v <= 2; v++) {
        const deleted = await call(ApiKey.DeleteGroups, v, { groupsNames: ['a', 'b'] });
        expect(deleted.results).toEqual([
          { groupId: 'a', errorCode: NA },
          { groupId: 'b', errorCode: NA },
        ]);
      }
      const offsetDelete = await call(ApiKey.OffsetDelete, 0, {
        groupId: 'g',
        topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }],
      });
      expect(offsetDelete.errorCode).toBe(NA);
      await expectConnectionOpen();
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

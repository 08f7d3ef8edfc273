import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  BROKER_CONFIG_DEFS,
  ConfigError,
  defaultSingleNodeProperties,
  parseBrokerConfig,
} from '../../../src/config/broker-config.js';

/** The smallest valid combined-mode node. */
const COMBINED: Readonly<Record<string, string>> = {
  'process.roles': 'broker,controller',
  'node.id': '1',
  'controller.quorum.voters': '1@localhost:9093',
  listeners: 'PLAINTEXT://:9092,CONTROLLER://:9093',
  'controller.listener.names': 'CONTROLLER',
};

function parse(overrides: Record<string, string | undefined> = {}, base = COMBINED) {
  const props: Record<string, string> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete props[key];
    else props[key] = value;
  }
  return parseBrokerConfig(props, { workingDir: '/srv/kafka' });
}

function errorOf(overrides: Record<string, string | undefined>, base = COMBINED): ConfigError {
  try {
    parse(overrides, base);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(overrides)}`);
}

describe('defaults', () => {
  test("unset configs take Kafka 4's defaults", () => {
    const { config, warnings, ignored } = parse();
    expect(warnings).toEqual([]);
    expect(ignored).toEqual([]);
    expect(config).toMatchObject({
      nodeId: 1,
      processRoles: ['broker', 'controller'],
      numPartitions: 1,
      defaultReplicationFactor: 1,
      autoCreateTopicsEnable: true,
      deleteTopicEnable: true,
      socketRequestMaxBytes: 104857600,
      socketSendBufferBytes: 102400,
      socketReceiveBufferBytes: 102400,
      connectionsMaxIdleMs: 600000,
      numNetworkThreads: 3,
      numIoThreads: 8,
      numRecoveryThreadsPerDataDir: 2,
      offsetsTopicNumPartitions: 50,
      offsetsTopicReplicationFactor: 3,
      offsetsTopicSegmentBytes: 104857600,
      offsetsRetentionMinutes: 10080,
      offsetsRetentionCheckIntervalMs: 600000,
      transactionStateLogReplicationFactor: 3,
      transactionStateLogMinIsr: 2,
      shareCoordinatorStateTopicReplicationFactor: 3,
      shareCoordinatorStateTopicMinIsr: 2,
      groupInitialRebalanceDelayMs: 3000,
      groupMinSessionTimeoutMs: 6000,
      groupMaxSessionTimeoutMs: 1800000,
      groupMaxSize: 2147483647,
      logRetentionCheckIntervalMs: 300000,
      logCleanerEnable: true,
      logCleanerBackoffMs: 15000,
      logCleanerDedupeBufferSize: 134217728,
      replicaLagTimeMaxMs: 30000,
      interBrokerListenerName: 'PLAINTEXT',
      logDirs: ['/tmp/kafka-logs'],
      metadataLogDir: '/tmp/kafka-logs',
    });
  });

  test('topic-level defaults come from the broker synonyms of topic-config', () => {
    const { config } = parse({
      'log.retention.hours': '24',
      'message.max.bytes': '2000000',
      'compression.type': 'zstd',
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'true',
      'log.cleanup.policy': 'compact',
    });
    expect(config.logDefaults).toMatchObject({
      retentionMs: 24 * 3_600_000,
      maxMessageBytes: 2000000,
      compressionType: 'zstd',
      minInsyncReplicas: 2,
      uncleanLeaderElectionEnable: true,
      cleanupPolicy: ['compact'],
    });
    expect(config.topicConfigDefaults).toEqual({
      'log.retention.hours': '24',
      'message.max.bytes': '2000000',
      'compression.type': 'zstd',
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'true',
      'log.cleanup.policy': 'compact',
    });
    expect(parse().config.logDefaults).toMatchObject({
      maxMessageBytes: 1048588,
      retentionMs: 604800000,
      segmentBytes: 1073741824,
      compressionType: 'producer',
      minInsyncReplicas: 1,
      uncleanLeaderElectionEnable: false,
    });
  });

  test('every table entry has a default that parses, unless required or optional', () => {
    for (const def of BROKER_CONFIG_DEFS) {
      if (def.presence === 'defaulted') {
        expect(def.defaultValue, def.name).not.toBeNull();
        expect(def.kind.schema.safeParse(def.defaultValue).success, def.name).toBe(true);
      } else {
        expect(def.defaultValue, def.name).toBeNull();
      }
    }
  });

  test('the laptop defaults are a combined node on 127.0.0.1 with single-replica internal topics', () => {
    const workingDir = resolve('/home/me/kafka');
    const { config, warnings } = parseBrokerConfig(defaultSingleNodeProperties(workingDir));
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      nodeId: 1,
      processRoles: ['broker', 'controller'],
      controllerQuorumVoters: [{ nodeId: 1, host: '127.0.0.1', port: 9093 }],
      listeners: [
        { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
        {
          listenerName: 'CONTROLLER',
          securityProtocol: 'PLAINTEXT',
          host: '127.0.0.1',
          port: 9093,
        },
      ],
      advertisedBrokerListeners: [{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }],
      advertisedControllerListeners: [
        { listenerName: 'CONTROLLER', host: '127.0.0.1', port: 9093 },
      ],
      logDirs: [join(workingDir, 'data')],
      offsetsTopicReplicationFactor: 1,
      transactionStateLogReplicationFactor: 1,
      transactionStateLogMinIsr: 1,
      groupInitialRebalanceDelayMs: 0,
    });
  });
});

describe('values', () => {
  test('a bad number is one line naming key, value and type', () => {
    expect(errorOf({ 'num.partitions': 'abc' }).message).toBe(
      'Invalid value abc for configuration num.partitions: Not a number of type INT',
    );
    expect(errorOf({ 'num.partitions': '2147483648' }).message).toBe(
      'Invalid value 2147483648 for configuration num.partitions: Not a number of type INT',
    );
    expect(errorOf({ 'offsets.topic.replication.factor': '40000' }).message).toBe(
      'Invalid value 40000 for configuration offsets.topic.replication.factor: Not a number of type SHORT',
    );
    expect(errorOf({ 'log.cleaner.io.buffer.load.factor': 'high' }).message).toBe(
      'Invalid value high for configuration log.cleaner.io.buffer.load.factor: Not a number of type DOUBLE',
    );
  });

  test('bounds, booleans and enumerations say what is allowed', () => {
    expect(errorOf({ 'num.partitions': '0' }).message).toBe(
      'Invalid value 0 for configuration num.partitions: Value must be at least 1',
    );
    expect(errorOf({ 'auto.create.topics.enable': 'yes' }).message).toBe(
      'Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false',
    );
    expect(errorOf({ 'security.inter.broker.protocol': 'TLS' }).message).toBe(
      'Invalid value TLS for configuration security.inter.broker.protocol: String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL',
    );
    expect(errorOf({ 'process.roles': 'broker,zookeeper' }).message).toBe(
      "Invalid value broker,zookeeper for configuration process.roles: Entry 'zookeeper' is not allowed; entries must be one of: broker, controller",
    );
    expect(errorOf({ 'process.roles': '' }).message).toBe(
      'Invalid value  for configuration process.roles: The list must not be empty',
    );
  });

  test('topic-level synonyms are validated by topic-config', () => {
    expect(errorOf({ 'log.retention.hours': 'forever' }).message).toMatch(
      /^Invalid value forever for configuration log\.retention\.hours: Not a number of type INT/,
    );
    expect(errorOf({ 'compression.type': 'brotli' }).message).toMatch(
      /^Invalid value brotli for configuration compression\.type: String must be one of: /,
    );
  });

  test('values are trimmed and booleans are case-insensitive', () => {
    const { config } = parse({ 'num.partitions': ' 4 ', 'delete.topic.enable': 'FALSE' });
    expect(config.numPartitions).toBe(4);
    expect(config.deleteTopicEnable).toBe(false);
  });

  test('required configs are named when missing', () => {
    expect(errorOf({ 'node.id': undefined }).message).toBe(
      'Missing required configuration "node.id" which has no default value.',
    );
    expect(errorOf({ 'process.roles': undefined }).message).toBe(
      'Missing required configuration "process.roles" which has no default value.',
    );
  });

  test('broker.id stands in for node.id and must agree with it', () => {
    expect(parse({ 'node.id': undefined, 'broker.id': '1' }).config.nodeId).toBe(1);
    expect(errorOf({ 'broker.id': '2' }).message).toBe(
      'node.id (1) and broker.id (2) must be the same; set only node.id',
    );
  });

  test('cross-checks between tuning values', () => {
    expect(errorOf({ 'log.cleaner.dedupe.buffer.size': '1048576' }).message).toBe(
      'Invalid value 1048576 for configuration log.cleaner.dedupe.buffer.size: Must be more than 1 MiB per cleaner thread (log.cleaner.threads=1)',
    );
    expect(errorOf({ 'replica.fetch.wait.max.ms': '40000' }).message).toMatch(
      /^Invalid value 40000 for configuration replica\.fetch\.wait\.max\.ms: Must be at most replica\.socket\.timeout\.ms/,
    );
    const { warnings } = parse({ 'broker.heartbeat.interval.ms': '5000' });
    expect(warnings).toEqual([
      expect.stringMatching(/^broker\.heartbeat\.interval\.ms \(5000\) should be at most half/),
    ]);
  });
});

describe('keys', () => {
  test('an unknown key is an error, with a suggestion for near misses', () => {
    expect(errorOf({ 'foo.bar': '1' }).message).toBe("Unknown configuration 'foo.bar'");
    expect(errorOf({ 'num.partition': '3' }).message).toBe(
      "Unknown configuration 'num.partition' (did you mean 'num.partitions'?)",
    );
    expect(errorOf({ 'retention.ms': '1000' }).message).toBe(
      "Unknown configuration 'retention.ms' (a topic-level config; its broker-wide default is 'log.retention.ms')",
    );
    expect(errorOf({ 'log.retention.hour': '3' }).message).toBe(
      "Unknown configuration 'log.retention.hour' (did you mean 'log.retention.hours'?)",
    );
  });

  test('ZooKeeper settings are refused', () => {
    const err = errorOf({ 'zookeeper.connect': 'localhost:2181' });
    expect(err.message).toMatch(
      /^Configuration 'zookeeper\.connect' is not supported: ZooKeeper mode/,
    );
    expect(err.key).toBe('zookeeper.connect');
  });

  test('keys Kafka knows but this broker ignores are accepted with a warning', () => {
    const { ignored, warnings } = parse({
      'ssl.keystore.location': '/etc/kafka/keystore.jks',
      'metric.reporters': 'com.example.Reporter',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'remote.log.storage.system.enable': 'false',
      'fetch.purgatory.purge.interval.requests': '1000',
      'inter.broker.protocol.version': '3.9',
      'group.coordinator.rebalance.protocols': 'classic,consumer',
    });
    expect(ignored).toEqual([
      'ssl.keystore.location',
      'metric.reporters',
      'authorizer.class.name',
      'remote.log.storage.system.enable',
      'fetch.purgatory.purge.interval.requests',
      'inter.broker.protocol.version',
      'group.coordinator.rebalance.protocols',
    ]);
    expect(warnings[0]).toBe(
      "Ignoring configuration 'ssl.keystore.location': TLS and SASL are not implemented; listeners must use PLAINTEXT",
    );
    expect(warnings).toHaveLength(7);
  });

  test('every refusal is a single line', () => {
    const cases: Record<string, string | undefined>[] = [
      { 'num.partitions': 'x' },
      { 'foo.bar': 'baz' },
      { 'zookeeper.connect': 'zk:2181' },
      { 'node.id': undefined },
      { listeners: 'nonsense' },
      { 'controller.quorum.voters': '1@' },
      { 'log.retention.ms': '-5x' },
      { 'process.roles': 'broker' },
    ];
    for (const overrides of cases) {
      const err = errorOf(overrides);
      expect(err.message, JSON.stringify(overrides)).not.toMatch(/\n/);
      expect(err.message.length, JSON.stringify(overrides)).toBeGreaterThan(10);
    }
  });
});

describe('log directories', () => {
  test('log.dirs overrides log.dir; relative paths resolve against the working directory', () => {
    expect(parse({ 'log.dir': 'one' }).config.logDirs).toEqual(['/srv/kafka/one']);
    const { config } = parse({ 'log.dir': 'one', 'log.dirs': './a, /data/b' });
    expect(config.logDirs).toEqual(['/srv/kafka/a', '/data/b']);
    expect(config.metadataLogDir).toBe('/srv/kafka/a');
    expect(parse({ 'metadata.log.dir': 'meta' }).config.metadataLogDir).toBe('/srv/kafka/meta');
  });

  test('the same directory twice is refused', () => {
    expect(errorOf({ 'log.dirs': 'a,./a' }).message).toBe(
      'Invalid value a,./a for configuration log.dirs: Directory /srv/kafka/a appears more than once',
    );
    expect(errorOf({ 'log.dirs': 'a,a' }).message).toBe(
      "Invalid value a,a for configuration log.dirs: Entry 'a' appears more than once",
    );
  });
});

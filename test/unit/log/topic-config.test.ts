import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LONG_MAX } from '../../../src/log/log-config.js';
import {
  CONFIG_SOURCE_IDS,
  InvalidConfigError,
  TOPIC_CONFIG_DEFAULTS,
  TOPIC_CONFIG_DEFS,
  TOPIC_CONFIG_NAMES,
  TOPIC_CONFIG_SYNONYMS,
  TOPIC_CONFIG_VALUE_SCHEMAS,
  camelCase,
  describeTopicConfigs,
  formatLong,
  getTopicConfigDef,
  parseTopicConfigs,
  toLogConfig,
  topicConfigsToStrings,
  type TopicConfigDescription,
} from '../../../src/log/topic-config.js';

const LONG_MAX_STR = '9223372036854775807';

/** Run `fn`, expect an InvalidConfigError, return it. */
function invalid(fn: () => unknown): InvalidConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidConfigError);
    const err = e as InvalidConfigError;
    expect(err.message).not.toContain('\n');
    expect(err.message).toBe(
      `Invalid value ${err.value} for configuration ${err.key}: ${err.reason}`,
    );
    return err;
  }
  throw new Error('expected InvalidConfigError');
}

const byName = (d: TopicConfigDescription[], name: string): TopicConfigDescription => {
  const entry = d.find((e) => e.name === name);
  if (!entry) throw new Error(`no ${name}`);
  return entry;
};

describe('table', () => {
  test('lists every Kafka 4.0 topic config, sorted, with camelCase keys', () => {
    expect(TOPIC_CONFIG_NAMES).toEqual([
      'cleanup.policy',
      'compression.gzip.level',
      'compression.lz4.level',
      'compression.type',
      'compression.zstd.level',
      'delete.retention.ms',
      'file.delete.delay.ms',
      'flush.messages',
      'flush.ms',
      'follower.replication.throttled.replicas',
      'index.interval.bytes',
      'leader.replication.throttled.replicas',
      'local.retention.bytes',
      'local.retention.ms',
      'max.compaction.lag.ms',
      'max.message.bytes',
      'message.timestamp.after.max.ms',
      'message.timestamp.before.max.ms',
      'message.timestamp.type',
      'min.cleanable.dirty.ratio',
      'min.compaction.lag.ms',
      'min.insync.replicas',
      'preallocate',
      'remote.log.copy.disable',
      'remote.log.delete.on.disable',
      'remote.storage.enable',
      'retention.bytes',
      'retention.ms',
      'segment.bytes',
      'segment.index.bytes',
      'segment.jitter.ms',
      'segment.ms',
      'unclean.leader.election.enable',
    ]);
    for (const d of TOPIC_CONFIG_DEFS) {
      expect(d.key).toBe(camelCase(d.name));
      expect(Object.keys(TOPIC_CONFIG_DEFAULTS)).toContain(d.key);
      expect(TOPIC_CONFIG_VALUE_SCHEMAS[d.name]).toBeDefined();
    }
    expect(Object.keys(TOPIC_CONFIG_DEFAULTS)).toHaveLength(TOPIC_CONFIG_DEFS.length);
    // Removed in 4.0
    for (const gone of [
      'message.format.version',
      'message.downconversion.enable',
      'message.timestamp.difference.max.ms',
    ]) {
      expect(getTopicConfigDef(gone)).toBeUndefined();
    }
  });

  test('types and validators of a few configs', () => {
    expect(getTopicConfigDef('segment.bytes')).toMatchObject({
      type: 'int',
      validator: { kind: 'range', min: 1048576 },
    });
    expect(getTopicConfigDef('segment.ms')).toMatchObject({
      type: 'long',
      validator: { kind: 'range', min: 1 },
    });
    expect(getTopicConfigDef('min.cleanable.dirty.ratio')).toMatchObject({
      type: 'double',
      validator: { kind: 'range', min: 0, max: 1 },
    });
    expect(getTopicConfigDef('cleanup.policy')).toMatchObject({
      type: 'list',
      validator: { kind: 'enumList', values: ['compact', 'delete'] },
    });
    expect(getTopicConfigDef('compression.type')).toMatchObject({ type: 'string' });
    expect(getTopicConfigDef('preallocate')).toMatchObject({ type: 'boolean' });
    expect(getTopicConfigDef('retention.bytes')).toMatchObject({
      type: 'long',
      validator: { kind: 'any' },
    });
  });

  test('broker synonyms, highest precedence first', () => {
    expect(TOPIC_CONFIG_SYNONYMS).toEqual({
      'cleanup.policy': ['log.cleanup.policy'],
      'compression.gzip.level': ['compression.gzip.level'],
      'compression.lz4.level': ['compression.lz4.level'],
      'compression.type': ['compression.type'],
      'compression.zstd.level': ['compression.zstd.level'],
      'delete.retention.ms': ['log.cleaner.delete.retention.ms'],
      'file.delete.delay.ms': ['log.segment.delete.delay.ms'],
      'flush.messages': ['log.flush.interval.messages'],
      'flush.ms': ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
      'index.interval.bytes': ['log.index.interval.bytes'],
      'local.retention.bytes': ['log.local.retention.bytes'],
      'local.retention.ms': ['log.local.retention.ms'],
      'max.compaction.lag.ms': ['log.cleaner.max.compaction.lag.ms'],
      'max.message.bytes': ['message.max.bytes'],
      'message.timestamp.after.max.ms': ['log.message.timestamp.after.max.ms'],
      'message.timestamp.before.max.ms': ['log.message.timestamp.before.max.ms'],
      'message.timestamp.type': ['log.message.timestamp.type'],
      'min.cleanable.dirty.ratio': ['log.cleaner.min.cleanable.ratio'],
      'min.compaction.lag.ms': ['log.cleaner.min.compaction.lag.ms'],
      'min.insync.replicas': ['min.insync.replicas'],
      preallocate: ['log.preallocate'],
      'retention.bytes': ['log.retention.bytes'],
      'retention.ms': ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
      'segment.bytes': ['log.segment.bytes'],
      'segment.index.bytes': ['log.index.size.max.bytes'],
      'segment.jitter.ms': ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
      'segment.ms': ['log.roll.ms', 'log.roll.hours'],
      'unclean.leader.election.enable': ['unclean.leader.election.enable'],
    });
  });
});

describe('defaults equal Kafka 4.0', () => {
  const d = parseTopicConfigs({});

  test('each default', () => {
    expect(d.cleanupPolicy).toEqual(['delete']);
    expect(d.compressionGzipLevel).toBe(-1);
    expect(d.compressionLz4Level).toBe(9);
    expect(d.compressionType).toBe('producer');
    expect(d.compressionZstdLevel).toBe(3);
    expect(d.deleteRetentionMs).toBe(86400000);
    expect(d.fileDeleteDelayMs).toBe(60000);
    expect(d.flushMessages).toBe(LONG_MAX);
    expect(d.flushMs).toBe(LONG_MAX);
    expect(d.followerReplicationThrottledReplicas).toEqual([]);
    expect(d.indexIntervalBytes).toBe(4096);
    expect(d.leaderReplicationThrottledReplicas).toEqual([]);
    expect(d.localRetentionBytes).toBe(-2);
    expect(d.localRetentionMs).toBe(-2);
    expect(d.maxCompactionLagMs).toBe(LONG_MAX);
    expect(d.maxMessageBytes).toBe(1048588);
    expect(d.messageTimestampAfterMaxMs).toBe(3600000);
    expect(d.messageTimestampBeforeMaxMs).toBe(LONG_MAX);
    expect(d.messageTimestampType).toBe('CreateTime');
    expect(d.minCleanableDirtyRatio).toBe(0.5);
    expect(d.minCompactionLagMs).toBe(0);
    expect(d.minInsyncReplicas).toBe(1);
    expect(d.preallocate).toBe(false);
    expect(d.remoteLogCopyDisable).toBe(false);
    expect(d.remoteLogDeleteOnDisable).toBe(false);
    expect(d.remoteStorageEnable).toBe(false);
    expect(d.retentionBytes).toBe(-1);
    expect(d.retentionMs).toBe(604800000);
    expect(d.segmentBytes).toBe(1073741824);
    expect(d.segmentIndexBytes).toBe(10485760);
    expect(d.segmentJitterMs).toBe(0);
    expect(d.segmentMs).toBe(604800000);
    expect(d.uncleanLeaderElectionEnable).toBe(false);
    expect(d).toEqual(TOPIC_CONFIG_DEFAULTS);
  });

  test('default string forms', () => {
    const s = topicConfigsToStrings(d);
    expect(s['flush.ms']).toBe(LONG_MAX_STR);
    expect(s['max.compaction.lag.ms']).toBe(LONG_MAX_STR);
    expect(s['min.cleanable.dirty.ratio']).toBe('0.5');
    expect(s['cleanup.policy']).toBe('delete');
    expect(s['leader.replication.throttled.replicas']).toBe('');
    for (const def of TOPIC_CONFIG_DEFS) expect(s[def.name]).toBe(def.defaultValue);
  });

  test('results do not share mutable state with the defaults', () => {
    const a = parseTopicConfigs({});
    a.cleanupPolicy.push('compact');
    expect(parseTopicConfigs({}).cleanupPolicy).toEqual(['delete']);
    expect(TOPIC_CONFIG_DEFAULTS.cleanupPolicy).toEqual(['delete']);
  });
});

describe('overrides', () => {
  test('parse every type', () => {
    const c = parseTopicConfigs({
      'segment.bytes': '1048576',
      'segment.ms': ' 3600000 ',
      'retention.bytes': '-5',
      'retention.ms': '-1',
      'min.cleanable.dirty.ratio': '0.25',
      preallocate: 'TRUE',
      'unclean.leader.election.enable': ' false',
      'compression.type': 'zstd',
      'compression.zstd.level': '-131072',
      'compression.gzip.level': '9',
      'compression.lz4.level': '17',
      'message.timestamp.type': 'LogAppendTime',
      'min.insync.replicas': '+2',
      'leader.replication.throttled.replicas': '0:101, 1:102',
      'follower.replication.throttled.replicas': '*',
      'local.retention.ms': '-2',
    });
    expect(c.segmentBytes).toBe(1048576);
    expect(c.segmentMs).toBe(3600000);
    expect(c.retentionBytes).toBe(-5);
    expect(c.retentionMs).toBe(-1);
    expect(c.minCleanableDirtyRatio).toBe(0.25);
    expect(c.preallocate).toBe(true);
    expect(c.uncleanLeaderElectionEnable).toBe(false);
    expect(c.compressionType).toBe('zstd');
    expect(c.compressionZstdLevel).toBe(-131072);
    expect(c.compressionGzipLevel).toBe(9);
    expect(c.compressionLz4Level).toBe(17);
    expect(c.messageTimestampType).toBe('LogAppendTime');
    expect(c.minInsyncReplicas).toBe(2);
    expect(c.leaderReplicationThrottledReplicas).toEqual(['0:101', '1:102']);
    expect(c.followerReplicationThrottledReplicas).toEqual(['*']);
    expect(c.localRetentionMs).toBe(-2);
    // untouched ones keep defaults
    expect(c.flushMs).toBe(LONG_MAX);
  });

  test('Long.MAX_VALUE accepted for longs; one more is not', () => {
    const c = parseTopicConfigs({
      'retention.ms': LONG_MAX_STR,
      'segment.ms': LONG_MAX_STR,
      'retention.bytes': LONG_MAX_STR,
      'flush.messages': LONG_MAX_STR,
    });
    expect(c.retentionMs).toBe(LONG_MAX);
    expect(c.segmentMs).toBe(LONG_MAX);
    expect(c.retentionBytes).toBe(LONG_MAX);
    expect(formatLong(c.retentionMs)).toBe(LONG_MAX_STR);
    expect(parseTopicConfigs({ 'retention.bytes': '-9223372036854775808' }).retentionBytes).toBe(
      -LONG_MAX,
    );
    const err = invalid(() => parseTopicConfigs({ 'retention.ms': '9223372036854775808' }));
    expect(err.key).toBe('retention.ms');
    expect(err.reason).toMatch(/^Not a number of type LONG/);
  });

  test('cleanup.policy lists', () => {
    expect(parseTopicConfigs({ 'cleanup.policy': 'compact' }).cleanupPolicy).toEqual(['compact']);
    expect(parseTopicConfigs({ 'cleanup.policy': 'compact,delete' }).cleanupPolicy).toEqual([
      'compact',
      'delete',
    ]);
    expect(parseTopicConfigs({ 'cleanup.policy': ' delete ,  compact ' }).cleanupPolicy).toEqual([
      'delete',
      'compact',
    ]);
    expect(parseTopicConfigs({ 'cleanup.policy': 'compact,compact' }).cleanupPolicy).toEqual([
      'compact',
    ]);
    expect(parseTopicConfigs({ 'cleanup.policy': '' }).cleanupPolicy).toEqual([]);
    const err = invalid(() => parseTopicConfigs({ 'cleanup.policy': 'compact,none' }));
    expect(err.message).toBe(
      "Invalid value compact,none for configuration cleanup.policy: List entry 'none' is not allowed; entries must be one of: compact, delete",
    );
    invalid(() => parseTopicConfigs({ 'cleanup.policy': 'Compact' }));
    invalid(() => parseTopicConfigs({ 'cleanup.policy': 'compact,,delete' }));
  });

  test('toLogConfig projects the log settings', () => {
    const c = parseTopicConfigs({
      'segment.bytes': '2097152',
      'cleanup.policy': 'compact',
      'message.timestamp.type': 'LogAppendTime',
    });
    expect(toLogConfig(c)).toEqual({
      segmentBytes: 2097152,
      segmentMs: 604800000,
      segmentJitterMs: 0,
      segmentIndexBytes: 10485760,
      indexIntervalBytes: 4096,
      retentionMs: 604800000,
      retentionBytes: -1,
      cleanupPolicy: ['compact'],
      deleteRetentionMs: 86400000,
      minCleanableDirtyRatio: 0.5,
      minCompactionLagMs: 0,
      maxCompactionLagMs: LONG_MAX,
      messageTimestampType: 'LogAppendTime',
      messageTimestampBeforeMaxMs: LONG_MAX,
      messageTimestampAfterMaxMs: 3600000,
      maxMessageBytes: 1048588,
      flushMessages: LONG_MAX,
      flushMs: LONG_MAX,
      fileDeleteDelayMs: 60000,
    });
  });

  test('property: any in-range int round-trips through segment.bytes and formatting', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1048576, max: 2147483647 }), (n) => {
        const c = parseTopicConfigs({ 'segment.bytes': String(n) });
        expect(c.segmentBytes).toBe(n);
        expect(topicConfigsToStrings(c)['segment.bytes']).toBe(String(n));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -1n, max: 2n ** 53n }), (n) => {
        expect(parseTopicConfigs({ 'retention.ms': n.toString() }).retentionMs).toBe(Number(n));
      }),
      { numRuns: 200 },
    );
  });
});

describe('rejections', () => {
  test('range violation message', () => {
    const err = invalid(() => parseTopicConfigs({ 'segment.bytes': '-5' }));
    expect(err.message).toBe(
      'Invalid value -5 for configuration segment.bytes: Value must be at least 1048576',
    );
    expect(err).toMatchObject({
      key: 'segment.bytes',
      value: '-5',
      reason: 'Value must be at least 1048576',
    });
    expect(invalid(() => parseTopicConfigs({ 'segment.bytes': '1048575' })).reason).toBe(
      'Value must be at least 1048576',
    );
    expect(invalid(() => parseTopicConfigs({ 'min.cleanable.dirty.ratio': '1.5' })).message).toBe(
      'Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1',
    );
    expect(invalid(() => parseTopicConfigs({ 'retention.ms': '-2' })).reason).toBe(
      'Value must be at least -1',
    );
    expect(invalid(() => parseTopicConfigs({ 'segment.ms': '0' })).reason).toBe(
      'Value must be at least 1',
    );
    expect(invalid(() => parseTopicConfigs({ 'max.compaction.lag.ms': '0' })).reason).toBe(
      'Value must be at least 1',
    );
    expect(invalid(() => parseTopicConfigs({ 'min.insync.replicas': '0' })).reason).toBe(
      'Value must be at least 1',
    );
    expect(invalid(() => parseTopicConfigs({ 'local.retention.bytes': '-3' })).reason).toBe(
      'Value must be at least -2',
    );
    expect(invalid(() => parseTopicConfigs({ 'compression.lz4.level': '18' })).reason).toBe(
      'Value must be no more than 17',
    );
    expect(invalid(() => parseTopicConfigs({ 'compression.zstd.level': '23' })).reason).toBe(
      'Value must be no more than 22',
    );
    expect(invalid(() => parseTopicConfigs({ 'compression.gzip.level': '0' })).reason).toBe(
      'Value must be between 1 and 9 or equal to -1',
    );
    expect(invalid(() => parseTopicConfigs({ 'compression.gzip.level': '10' })).reason).toBe(
      'Value must be between 1 and 9 or equal to -1',
    );
  });

  test('unknown key', () => {
    const err = invalid(() =>
      parseTopicConfigs({ 'segment.bytes': '2000000', 'retention.hours': '5' }),
    );
    expect(err.message).toBe(
      'Invalid value 5 for configuration retention.hours: Unknown topic config name',
    );
    expect(err.key).toBe('retention.hours');
    // a broker-only name is not a topic config either
    expect(invalid(() => parseTopicConfigs({ 'log.retention.ms': '5' })).key).toBe(
      'log.retention.ms',
    );
    expect(invalid(() => parseTopicConfigs({ 'message.format.version': '3.0' })).key).toBe(
      'message.format.version',
    );
  });

  test('non-integers and out-of-range ints', () => {
    for (const bad of ['1.5', '1e6', 'abc', '', ' ', '0x10', '12abc']) {
      const err = invalid(() => parseTopicConfigs({ 'segment.bytes': bad }));
      expect(err.reason).toBe(
        'Not a number of type INT (expected a whole number from -2147483648 to 2147483647)',
      );
      expect(err.value).toBe(bad);
    }
    expect(invalid(() => parseTopicConfigs({ 'segment.bytes': '2147483648' })).reason).toMatch(
      /^Not a number of type INT/,
    );
    expect(invalid(() => parseTopicConfigs({ 'retention.ms': '1.0' })).reason).toMatch(
      /^Not a number of type LONG/,
    );
    expect(parseTopicConfigs({ 'segment.bytes': '2147483647' }).segmentBytes).toBe(2147483647);
  });

  test('bad strings, booleans, doubles and lists', () => {
    expect(invalid(() => parseTopicConfigs({ 'compression.type': 'brotli' })).message).toBe(
      'Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer',
    );
    expect(
      invalid(() => parseTopicConfigs({ 'message.timestamp.type': 'createtime' })).reason,
    ).toBe('String must be one of: CreateTime, LogAppendTime');
    expect(invalid(() => parseTopicConfigs({ preallocate: 'yes' })).message).toBe(
      'Invalid value yes for configuration preallocate: Expected value to be either true or false',
    );
    expect(invalid(() => parseTopicConfigs({ 'min.cleanable.dirty.ratio': 'half' })).reason).toBe(
      'Not a number of type DOUBLE',
    );
    expect(invalid(() => parseTopicConfigs({ 'min.cleanable.dirty.ratio': 'NaN' })).reason).toBe(
      'Not a number of type DOUBLE',
    );
    const err = invalid(() =>
      parseTopicConfigs({ 'leader.replication.throttled.replicas': '0:1,x' }),
    );
    expect(err.key).toBe('leader.replication.throttled.replicas');
    expect(err.reason).toMatch(/'\*' or a comma-separated list of partitionId:brokerId/);
    invalid(() => parseTopicConfigs({ 'follower.replication.throttled.replicas': '*,0:1' }));
  });

  test('null value', () => {
    const err = invalid(() => parseTopicConfigs({ 'retention.ms': null as unknown as string }));
    expect(err).toMatchObject({ key: 'retention.ms', value: null });
  });

  test('cross-config checks', () => {
    const err = invalid(() =>
      parseTopicConfigs({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' }),
    );
    expect(err.message).toBe(
      'Invalid value 10 for configuration min.compaction.lag.ms: Value must not be greater than max.compaction.lag.ms (5)',
    );
    expect(
      invalid(() =>
        parseTopicConfigs({ 'remote.storage.enable': 'true', 'cleanup.policy': 'compact' }),
      ).key,
    ).toBe('cleanup.policy');
    expect(
      invalid(() =>
        parseTopicConfigs({
          'remote.storage.enable': 'true',
          'retention.ms': '1000',
          'local.retention.ms': '2000',
        }),
      ).message,
    ).toBe(
      'Invalid value 2000 for configuration local.retention.ms: Value must not be more than retention.ms (1000)',
    );
    expect(
      invalid(() =>
        parseTopicConfigs({
          'remote.storage.enable': 'true',
          'retention.bytes': '1000',
          'local.retention.bytes': '-1',
        }),
      ).key,
    ).toBe('local.retention.bytes');
    expect(
      parseTopicConfigs({
        'remote.storage.enable': 'true',
        'retention.ms': '1000',
        'local.retention.ms': '500',
      }).localRetentionMs,
    ).toBe(500);
    // not checked when remote storage is off
    expect(
      parseTopicConfigs({ 'retention.ms': '1000', 'local.retention.ms': '2000' }).localRetentionMs,
    ).toBe(2000);
  });
});

describe('broker defaults through synonyms', () => {
  test('log.retention.hours / minutes / ms precedence', () => {
    expect(parseTopicConfigs({}, { 'log.retention.hours': '1' }).retentionMs).toBe(3600000);
    expect(
      parseTopicConfigs({}, { 'log.retention.hours': '1', 'log.retention.minutes': '2' })
        .retentionMs,
    ).toBe(120000);
    expect(
      parseTopicConfigs(
        {},
        { 'log.retention.hours': '1', 'log.retention.minutes': '2', 'log.retention.ms': '3' },
      ).retentionMs,
    ).toBe(3);
    expect(
      parseTopicConfigs({}, { 'log.retention.ms': '3', 'log.retention.hours': '1' }).retentionMs,
    ).toBe(3);
    // negative broker retention means unlimited
    expect(parseTopicConfigs({}, { 'log.retention.hours': '-1' }).retentionMs).toBe(-1);
    expect(parseTopicConfigs({}, { 'log.retention.ms': '-100' }).retentionMs).toBe(-1);
    // a topic override wins over all of them
    expect(
      parseTopicConfigs(
        { 'retention.ms': '42' },
        { 'log.retention.ms': '3', 'log.retention.hours': '1' },
      ).retentionMs,
    ).toBe(42);
  });

  test('roll, jitter, flush and the rest', () => {
    const c = parseTopicConfigs(
      {},
      {
        'log.roll.hours': '2',
        'log.roll.jitter.hours': '1',
        'log.flush.scheduler.interval.ms': '5000',
        'log.segment.bytes': '2097152',
        'log.cleanup.policy': 'compact,delete',
        'message.max.bytes': '2000000',
        'compression.type': 'lz4',
        'min.insync.replicas': '2',
        'log.cleaner.min.cleanable.ratio': '0.1',
        'log.segment.delete.delay.ms': '0',
        'log.index.size.max.bytes': '4096',
        'log.message.timestamp.after.max.ms': LONG_MAX_STR,
        'unclean.leader.election.enable': 'true',
        'log.preallocate': 'true',
        'broker.id': '7', // not a synonym: ignored
        listeners: 'PLAINTEXT://:9092',
      },
    );
    expect(c.segmentMs).toBe(7200000);
    expect(c.segmentJitterMs).toBe(3600000);
    expect(c.flushMs).toBe(5000);
    expect(c.segmentBytes).toBe(2097152);
    expect(c.cleanupPolicy).toEqual(['compact', 'delete']);
    expect(c.maxMessageBytes).toBe(2000000);
    expect(c.compressionType).toBe('lz4');
    expect(c.minInsyncReplicas).toBe(2);
    expect(c.minCleanableDirtyRatio).toBe(0.1);
    expect(c.fileDeleteDelayMs).toBe(0);
    expect(c.segmentIndexBytes).toBe(4096);
    expect(c.messageTimestampAfterMaxMs).toBe(LONG_MAX);
    expect(c.uncleanLeaderElectionEnable).toBe(true);
    expect(c.preallocate).toBe(true);

    expect(parseTopicConfigs({}, { 'log.roll.ms': '1000', 'log.roll.hours': '2' }).segmentMs).toBe(
      1000,
    );
    expect(
      parseTopicConfigs({}, { 'log.roll.jitter.ms': '10', 'log.roll.jitter.hours': '2' })
        .segmentJitterMs,
    ).toBe(10);
    expect(
      parseTopicConfigs(
        {},
        { 'log.flush.interval.ms': '10', 'log.flush.scheduler.interval.ms': '20' },
      ).flushMs,
    ).toBe(10);
    expect(parseTopicConfigs({ 'segment.ms': '5' }, { 'log.roll.hours': '2' }).segmentMs).toBe(5);
  });

  test('invalid broker values name the broker property', () => {
    expect(invalid(() => parseTopicConfigs({}, { 'log.segment.bytes': '100' })).message).toBe(
      'Invalid value 100 for configuration log.segment.bytes: Value must be at least 1048576',
    );
    expect(invalid(() => parseTopicConfigs({}, { 'log.roll.hours': '0' })).message).toBe(
      'Invalid value 0 for configuration log.roll.hours: Value must be at least 1',
    );
    expect(invalid(() => parseTopicConfigs({}, { 'log.retention.hours': '1.5' })).key).toBe(
      'log.retention.hours',
    );
    expect(invalid(() => parseTopicConfigs({}, { 'log.cleanup.policy': 'forever' })).key).toBe(
      'log.cleanup.policy',
    );
    // a topic override shadows a bad broker value, as the broker value is never used
    expect(
      parseTopicConfigs({ 'segment.bytes': '1048576' }, { 'log.segment.bytes': '100' })
        .segmentBytes,
    ).toBe(1048576);
  });
});

describe('describeTopicConfigs', () => {
  test('all defaults', () => {
    const d = describeTopicConfigs({});
    expect(d.map((e) => e.name)).toEqual(TOPIC_CONFIG_NAMES);
    for (const e of d) {
      expect(e).toMatchObject({
        source: 'DEFAULT_CONFIG',
        isSensitive: false,
        readOnly: false,
        isDefault: true,
      });
      expect(e.value).toBe(getTopicConfigDef(e.name)!.defaultValue);
    }
    expect(byName(d, 'retention.ms').synonyms).toEqual([
      { name: 'log.retention.hours', value: '168', source: 'DEFAULT_CONFIG' },
    ]);
    expect(byName(d, 'segment.ms').synonyms).toEqual([
      { name: 'log.roll.hours', value: '168', source: 'DEFAULT_CONFIG' },
    ]);
    expect(byName(d, 'flush.ms').synonyms).toEqual([
      { name: 'log.flush.scheduler.interval.ms', value: LONG_MAX_STR, source: 'DEFAULT_CONFIG' },
    ]);
    expect(byName(d, 'remote.storage.enable').synonyms).toEqual([]);
    expect(byName(d, 'flush.ms').value).toBe(LONG_MAX_STR);
    expect(byName(d, 'message.timestamp.after.max.ms').value).toBe('3600000');
  });

  test('sources: topic override, static broker config, default', () => {
    const d = describeTopicConfigs(
      {
        'retention.ms': '1000',
        'cleanup.policy': 'compact, delete',
        'min.cleanable.dirty.ratio': '1',
      },
      {
        'log.retention.hours': '1',
        'log.roll.hours': '2',
        'log.roll.ms': '60000',
        'compression.type': 'gzip',
      },
    );
    const retention = byName(d, 'retention.ms');
    expect(retention).toMatchObject({
      value: '1000',
      source: 'TOPIC_CONFIG',
      isDefault: false,
      type: 'long',
    });
    expect(retention.synonyms).toEqual([
      { name: 'retention.ms', value: '1000', source: 'TOPIC_CONFIG' },
      { name: 'log.retention.hours', value: '1', source: 'STATIC_BROKER_CONFIG' },
      { name: 'log.retention.hours', value: '168', source: 'DEFAULT_CONFIG' },
    ]);
    const segmentMs = byName(d, 'segment.ms');
    expect(segmentMs).toMatchObject({ value: '60000', source: 'STATIC_BROKER_CONFIG' });
    expect(segmentMs.synonyms).toEqual([
      { name: 'log.roll.ms', value: '60000', source: 'STATIC_BROKER_CONFIG' },
      { name: 'log.roll.hours', value: '2', source: 'STATIC_BROKER_CONFIG' },
      { name: 'log.roll.hours', value: '168', source: 'DEFAULT_CONFIG' },
    ]);
    expect(byName(d, 'compression.type')).toMatchObject({
      value: 'gzip',
      source: 'STATIC_BROKER_CONFIG',
    });
    expect(byName(d, 'cleanup.policy')).toMatchObject({
      value: 'compact,delete',
      source: 'TOPIC_CONFIG',
    });
    expect(byName(d, 'min.cleanable.dirty.ratio')).toMatchObject({
      value: '1.0',
      source: 'TOPIC_CONFIG',
      type: 'double',
    });
    expect(byName(d, 'segment.bytes')).toMatchObject({
      value: '1073741824',
      source: 'DEFAULT_CONFIG',
    });
    expect(CONFIG_SOURCE_IDS[retention.source]).toBe(1);
    expect(CONFIG_SOURCE_IDS[segmentMs.source]).toBe(4);
    expect(CONFIG_SOURCE_IDS.DEFAULT_CONFIG).toBe(5);
  });

  test('broker-derived value is the converted effective value', () => {
    const d = describeTopicConfigs({}, { 'log.retention.hours': '1' });
    expect(byName(d, 'retention.ms')).toMatchObject({
      value: '3600000',
      source: 'STATIC_BROKER_CONFIG',
    });
  });

  test('keys filter and validation', () => {
    const d = describeTopicConfigs({}, {}, ['segment.bytes', 'nope', 'retention.ms']);
    expect(d.map((e) => e.name)).toEqual(['retention.ms', 'segment.bytes']);
    invalid(() => describeTopicConfigs({ 'segment.bytes': '1' }));
  });
});

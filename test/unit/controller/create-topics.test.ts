import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { CreatableTopic } from '../../../src/controller/create-topics.js';
import { DIRECTORY_MIGRATING } from '../../../src/metadata/directory-id.js';
import { ConfigResourceType } from '../../../src/metadata/metadata-image.js';
import { metadataRecord } from '../../../src/metadata/metadata-records.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import { CONFIG_SOURCE_IDS } from '../../../src/log/topic-config.js';
import { ControllerHarness, brokerDirectory } from './controller-harness.js';

let harness: ControllerHarness;

beforeEach(async () => {
  harness = await ControllerHarness.start({ defaultNumPartitions: 3, defaultReplicationFactor: 1 });
  await harness.register(1);
});
afterEach(async () => {
  await harness.close();
});

function topic(name: string, fields: Partial<CreatableTopic> = {}): CreatableTopic {
  return {
    name,
    numPartitions: -1,
    replicationFactor: -1,
    assignments: [],
    configs: [],
    ...fields,
  };
}

async function create(topics: CreatableTopic[], validateOnly = false) {
  return harness.controller.createTopics(topics, { validateOnly });
}

async function errorOf(t: CreatableTopic): Promise<[number, string | null]> {
  const [result] = await create([t]);
  return [result.errorCode, result.errorMessage];
}

describe('creating a topic', () => {
  test('with the broker defaults: records in the log, visible in the published image', async () => {
    const offsetBefore = harness.image.offset;
    const [result] = await create([topic('orders')]);
    expect(result).toMatchObject({
      name: 'orders',
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      numPartitions: 3,
      replicationFactor: 1,
    });
    const created = harness.image.topic('orders')!;
    expect(created.id).toBe(result.topicId);
    expect(result.topicId).not.toBe(ZERO_UUID);
    // TopicRecord + 3 PartitionRecords, one batch.
    expect(harness.image.offset).toBe(offsetBefore + 4n);
    expect([...created.partitions.keys()]).toEqual([0, 1, 2]);
    for (const partition of created.partitions.values()) {
      expect(partition).toMatchObject({
        replicas: [1],
        isr: [1],
        leader: 1,
        leaderEpoch: 0,
        partitionEpoch: 0,
        leaderRecoveryState: 0,
        directories: [brokerDirectory(1)],
      });
    }
  });

  test('returns every effective topic config with its source (CreateTopics v5+)', async () => {
    const [result] = await create([
      topic('orders', { configs: [{ name: 'cleanup.policy', value: 'compact' }] }),
    ]);
    const configs = new Map(result.configs!.map((c) => [c.name, c]));
    expect(configs.get('cleanup.policy')).toMatchObject({
      value: 'compact',
      configSource: CONFIG_SOURCE_IDS.TOPIC_CONFIG,
      readOnly: false,
      isSensitive: false,
    });
    expect(configs.get('retention.ms')).toMatchObject({
      value: '604800000',
      configSource: CONFIG_SOURCE_IDS.DEFAULT_CONFIG,
    });
    const names = result.configs!.map((c) => c.name);
    expect(names).toEqual([...names].sort());
    expect(harness.image.configsOf(ConfigResourceType.Topic, 'orders').get('cleanup.policy')).toBe(
      'compact',
    );
  });

  test('explicit partitions and replication factor; replication over three brokers', async () => {
    await harness.register(2);
    await harness.register(3);
    harness.random = () => 0.5;
    const [result] = await create([topic('wide', { numPartitions: 6, replicationFactor: 3 })]);
    expect(result).toMatchObject({ errorCode: 0, numPartitions: 6, replicationFactor: 3 });
    const partitions = [...harness.image.topic('wide')!.partitions.values()];
    for (const partition of partitions) {
      expect(new Set(partition.replicas).size).toBe(3);
      expect(partition.isr).toEqual(partition.replicas);
      expect(partition.leader).toBe(partition.replicas[0]);
      expect(partition.directories).toEqual(partition.replicas.map(brokerDirectory));
    }
    // Leaders stripe over the brokers from a random start.
    expect(partitions.map((p) => p.leader)).toEqual([2, 3, 1, 2, 3, 1]);
  });

  test('a manual assignment decides the replicas, leader first', async () => {
    await harness.register(2);
    const [result] = await create([
      topic('manual', {
        assignments: [
          { partitionIndex: 1, brokerIds: [1, 2] },
          { partitionIndex: 0, brokerIds: [2, 1] },
        ],
      }),
    ]);
    expect(result).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 2 });
    const partitions = harness.image.topic('manual')!.partitions;
    expect(partitions.get(0)).toMatchObject({ replicas: [2, 1], leader: 2, isr: [2, 1] });
    expect(partitions.get(1)).toMatchObject({ replicas: [1, 2], leader: 1 });
  });

  test('a fenced broker in an assignment is left out of the ISR', async () => {
    await harness.register(2);
    const epoch = harness.image.broker(2)!.epoch;
    await harness.log.append([metadataRecord('FenceBrokerRecord', { id: 2, epoch })]);
    const [result] = await create([
      topic('partly', { assignments: [{ partitionIndex: 0, brokerIds: [2, 1] }] }),
    ]);
    expect(result.errorCode).toBe(0);
    expect(harness.image.topic('partly')!.partitions.get(0)).toMatchObject({
      replicas: [2, 1],
      isr: [1],
      leader: 1,
    });
  });

  test('validateOnly answers as a real creation would and writes nothing', async () => {
    const offsetBefore = harness.log.logEndOffset;
    const [ok, bad] = await create([topic('dry'), topic('bad!')], true);
    expect(ok).toMatchObject({ errorCode: 0, numPartitions: 3, replicationFactor: 1 });
    expect(bad.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(harness.log.logEndOffset).toBe(offsetBefore);
    expect(harness.image.topic('dry')).toBeUndefined();
  });

  test('topics of one request succeed or fail on their own, in one batch', async () => {
    const offsetBefore = harness.image.offset;
    const results = await create([
      topic('a', { numPartitions: 1 }),
      topic('b', { numPartitions: 0 }),
      topic('c', { numPartitions: 2 }),
    ]);
    expect(results.map((r) => [r.name, r.errorCode])).toEqual([
      ['a', 0],
      ['b', ErrorCode.INVALID_PARTITIONS],
      ['c', 0],
    ]);
    expect(results[1]).toMatchObject({
      topicId: ZERO_UUID,
      numPartitions: -1,
      replicationFactor: -1,
      configs: null,
    });
    expect(harness.image.offset).toBe(offsetBefore + 5n);
  });

  test('concurrent creations of one name: one wins, the other finds it existing', async () => {
    const [first, second] = await Promise.all([create([topic('race')]), create([topic('race')])]);
    expect([first[0].errorCode, second[0].errorCode]).toEqual([0, ErrorCode.TOPIC_ALREADY_EXISTS]);
  });

  test('survives a restart', async () => {
    const [result] = await create([
      topic('kept', { configs: [{ name: 'retention.ms', value: '1000' }] }),
    ]);
    await harness.restart();
    expect(harness.image.topic('kept')?.id).toBe(result.topicId);
    expect(harness.image.configsOf(ConfigResourceType.Topic, 'kept').get('retention.ms')).toBe(
      '1000',
    );
  });
});

describe('refusing a topic', () => {
  test('INVALID_TOPIC_EXCEPTION for illegal names', async () => {
    expect(await errorOf(topic(''))).toEqual([
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      "Topic name is illegal, it can't be empty",
    ]);
    expect(await errorOf(topic('.'))).toEqual([
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      'Topic name cannot be "." or ".."',
    ]);
    expect((await errorOf(topic('..')))[0]).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(await errorOf(topic('a b'))).toEqual([
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      "Topic name \"a b\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'",
    ]);
    const long = 'x'.repeat(250);
    expect((await errorOf(topic(long)))[1]).toMatch(/can't be longer than 249 characters/);
    expect((await errorOf(topic('x'.repeat(249))))[0]).toBe(ErrorCode.NONE);
  });

  test("INVALID_TOPIC_EXCEPTION for a name colliding with an existing one ('.' vs '_')", async () => {
    await create([topic('metrics.raw')]);
    expect(await errorOf(topic('metrics_raw'))).toEqual([
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      "Topic 'metrics_raw' collides with existing topic: metrics.raw",
    ]);
  });

  test('TOPIC_ALREADY_EXISTS', async () => {
    await create([topic('orders')]);
    expect(await errorOf(topic('orders'))).toEqual([
      ErrorCode.TOPIC_ALREADY_EXISTS,
      "Topic 'orders' already exists.",
    ]);
  });

  test('INVALID_REQUEST for a name given twice and for __cluster_metadata', async () => {
    const results = await create([topic('twice'), topic('twice'), topic('__cluster_metadata')]);
    expect(results.map((r) => [r.name, r.errorCode, r.errorMessage])).toEqual([
      ['twice', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
      [
        '__cluster_metadata',
        ErrorCode.INVALID_REQUEST,
        'Creation of internal topic __cluster_metadata is prohibited.',
      ],
    ]);
    expect(harness.image.topic('twice')).toBeUndefined();
  });

  test('INVALID_PARTITIONS and INVALID_REPLICATION_FACTOR for non-positive values', async () => {
    expect(await errorOf(topic('p0', { numPartitions: 0 }))).toEqual([
      ErrorCode.INVALID_PARTITIONS,
      'Number of partitions was set to an invalid non-positive value.',
    ]);
    expect((await errorOf(topic('p2', { numPartitions: -2 })))[0]).toBe(
      ErrorCode.INVALID_PARTITIONS,
    );
    expect(await errorOf(topic('r0', { replicationFactor: 0 }))).toEqual([
      ErrorCode.INVALID_REPLICATION_FACTOR,
      'Replication factor must be larger than 0, or -1 to use the default value.',
    ]);
  });

  test('INVALID_REPLICATION_FACTOR when there are fewer brokers than replicas', async () => {
    expect(await errorOf(topic('r2', { replicationFactor: 2 }))).toEqual([
      ErrorCode.INVALID_REPLICATION_FACTOR,
      'Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.',
    ]);
  });

  test('INVALID_CONFIG for unknown keys, bad values and null values', async () => {
    const [unknownCode, unknownMessage] = await errorOf(
      topic('c1', { configs: [{ name: 'no.such', value: '1' }] }),
    );
    expect(unknownCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(unknownMessage).toMatch(/no\.such/);
    expect(
      await errorOf(topic('c2', { configs: [{ name: 'segment.bytes', value: '12' }] })),
    ).toEqual([
      ErrorCode.INVALID_CONFIG,
      'Invalid value 12 for configuration segment.bytes: Value must be at least 1048576',
    ]);
    expect(
      await errorOf(topic('c3', { configs: [{ name: 'retention.ms', value: null }] })),
    ).toEqual([
      ErrorCode.INVALID_CONFIG,
      'Null value not supported for topic configs: retention.ms',
    ]);
    expect(harness.image.topic('c2')).toBeUndefined();
  });

  test('manual assignments: INVALID_REQUEST and INVALID_REPLICA_ASSIGNMENT', async () => {
    await harness.register(2);
    const assigned = (
      assignments: CreatableTopic['assignments'],
      fields: Partial<CreatableTopic> = {},
    ) => errorOf(topic('m', { assignments, ...fields }));
    expect(
      await assigned([{ partitionIndex: 0, brokerIds: [1] }], { replicationFactor: 1 }),
    ).toEqual([
      ErrorCode.INVALID_REQUEST,
      'A manual partition assignment was specified, but replication factor was not set to -1.',
    ]);
    expect((await assigned([{ partitionIndex: 0, brokerIds: [1] }], { numPartitions: 1 }))[0]).toBe(
      ErrorCode.INVALID_REQUEST,
    );
    expect(await assigned([{ partitionIndex: 0, brokerIds: [7] }])).toEqual([
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      'The manual partition assignment includes broker 7, but no such broker is registered.',
    ]);
    expect((await assigned([{ partitionIndex: 0, brokerIds: [1, 1] }]))[1]).toMatch(
      /more than once/,
    );
    expect((await assigned([{ partitionIndex: 0, brokerIds: [] }]))[1]).toMatch(
      /empty replica list/,
    );
    expect(
      (
        await assigned([
          { partitionIndex: 0, brokerIds: [1] },
          { partitionIndex: 1, brokerIds: [1, 2] },
        ])
      )[1],
    ).toMatch(/not consistent with previous partitions/);
    expect(
      await assigned([
        { partitionIndex: 0, brokerIds: [1] },
        { partitionIndex: 2, brokerIds: [2] },
      ]),
    ).toEqual([
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      'partitions should be a consecutive 0-based integer sequence',
    ]);
    expect(
      (
        await assigned([
          { partitionIndex: 0, brokerIds: [1] },
          { partitionIndex: 0, brokerIds: [2] },
        ])
      )[1],
    ).toMatch(/multiple manual partition assignments for partition 0/);
  });

  test('POLICY_VIOLATION for an operation of more than 10000 records', async () => {
    const results = await create([topic('huge', { numPartitions: 10_000 })]);
    expect(results[0]).toMatchObject({
      errorCode: ErrorCode.POLICY_VIOLATION,
      errorMessage: 'Unable to perform excessively large batch operation.',
    });
    expect(harness.image.topic('huge')).toBeUndefined();
  });
});

test('a broker registered without log dirs gets MIGRATING directories', async () => {
  await harness.controller.registerBroker({
    brokerId: 5,
    incarnationId: 'Rp1lyc2bS0qb2c2Hk0c8dg',
    listeners: [],
    rack: null,
    features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 21 }],
  });
  await create([topic('on5', { assignments: [{ partitionIndex: 0, brokerIds: [5] }] })]);
  expect(harness.image.topic('on5')!.partitions.get(0)!.directories).toEqual([DIRECTORY_MIGRATING]);
});

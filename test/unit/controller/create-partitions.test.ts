import { afterEach, beforeEach, expect, test } from 'vitest';
import { metadataRecord } from '../../../src/metadata/metadata-records.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ControllerHarness } from './controller-harness.js';

let harness: ControllerHarness;

beforeEach(async () => {
  harness = await ControllerHarness.start();
  await harness.register(1);
  await harness.register(2);
  await harness.controller.createTopics(
    [{ name: 't', numPartitions: 2, replicationFactor: 2, assignments: [], configs: [] }],
    { validateOnly: false },
  );
});
afterEach(async () => {
  await harness.close();
});

test('adds PartitionRecords for the new partitions with the topic replication factor', async () => {
  const offsetBefore = harness.image.offset;
  const results = await harness.controller.createPartitions(
    [{ name: 't', count: 5, assignments: null }],
    {
      validateOnly: false,
    },
  );
  expect(results).toEqual([{ name: 't', errorCode: 0, errorMessage: null }]);
  expect(harness.image.offset).toBe(offsetBefore + 3n);
  const partitions = harness.image.topic('t')!.partitions;
  expect([...partitions.keys()]).toEqual([0, 1, 2, 3, 4]);
  for (const id of [2, 3, 4]) {
    expect(partitions.get(id)!.replicas).toHaveLength(2);
    expect(partitions.get(id)).toMatchObject({ leaderEpoch: 0, partitionEpoch: 0 });
  }
});

test('with manual assignments', async () => {
  const results = await harness.controller.createPartitions(
    [{ name: 't', count: 3, assignments: [{ brokerIds: [2, 1] }] }],
    { validateOnly: false },
  );
  expect(results[0].errorCode).toBe(0);
  expect(harness.image.topic('t')!.partitions.get(2)).toMatchObject({
    replicas: [2, 1],
    leader: 2,
  });
});

test('INVALID_PARTITIONS unless the count grows', async () => {
  const results = await harness.controller.createPartitions(
    [
      { name: 't', count: 2, assignments: null },
      { name: 't', count: 1, assignments: null },
    ],
    { validateOnly: false },
  );
  expect(results).toEqual([
    { name: 't', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
  ]);
  const [same] = await harness.controller.createPartitions(
    [{ name: 't', count: 2, assignments: null }],
    {
      validateOnly: false,
    },
  );
  expect(same).toEqual({
    name: 't',
    errorCode: ErrorCode.INVALID_PARTITIONS,
    errorMessage: 'Topic already has 2 partition(s).',
  });
  const [fewer] = await harness.controller.createPartitions(
    [{ name: 't', count: 1, assignments: null }],
    {
      validateOnly: false,
    },
  );
  expect(fewer.errorMessage).toBe(
    'The topic t currently has 2 partition(s); 1 would not be an increase.',
  );
});

test('UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT, INVALID_REPLICATION_FACTOR', async () => {
  const results = await harness.controller.createPartitions(
    [{ name: 'missing', count: 3, assignments: null }],
    { validateOnly: false },
  );
  expect(results[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const [wrongCount] = await harness.controller.createPartitions(
    [{ name: 't', count: 4, assignments: [{ brokerIds: [1, 2] }] }],
    { validateOnly: false },
  );
  expect(wrongCount).toMatchObject({
    errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    errorMessage:
      'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.',
  });
  const [wrongSize] = await harness.controller.createPartitions(
    [{ name: 't', count: 3, assignments: [{ brokerIds: [1] }] }],
    { validateOnly: false },
  );
  expect(wrongSize.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  for (const id of [1, 2]) {
    const epoch = harness.image.broker(id)!.epoch;
    await harness.log.append([metadataRecord('FenceBrokerRecord', { id, epoch })]);
  }
  const [allFenced] = await harness.controller.createPartitions(
    [{ name: 't', count: 3, assignments: null }],
    { validateOnly: false },
  );
  expect(allFenced).toMatchObject({
    errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
    errorMessage: 'All brokers are currently fenced.',
  });
  expect(harness.image.topic('t')!.partitions.size).toBe(2);
});

test('validateOnly writes nothing', async () => {
  const before = harness.log.logEndOffset;
  const [result] = await harness.controller.createPartitions(
    [{ name: 't', count: 4, assignments: null }],
    {
      validateOnly: true,
    },
  );
  expect(result.errorCode).toBe(0);
  expect(harness.log.logEndOffset).toBe(before);
  expect(harness.image.topic('t')!.partitions.size).toBe(2);
});

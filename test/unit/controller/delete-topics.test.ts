import { afterEach, beforeEach, expect, test } from 'vitest';
import { ConfigResourceType } from '../../../src/metadata/metadata-image.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import { ControllerHarness } from './controller-harness.js';

let harness: ControllerHarness;

async function start(deleteTopicEnable = true): Promise<void> {
  harness = await ControllerHarness.start({ deleteTopicEnable });
  await harness.register(1);
  await harness.controller.createTopics(
    ['a', 'b', 'c'].map((name) => ({
      name,
      numPartitions: 2,
      replicationFactor: -1,
      assignments: [],
      configs: [{ name: 'retention.ms', value: '1000' }],
    })),
    { validateOnly: false },
  );
}

beforeEach(async () => start());
afterEach(async () => {
  await harness.close();
});

test('by name and by id: one RemoveTopicRecord each, topics and their configs gone', async () => {
  const idOfB = harness.image.topic('b')!.id;
  const offsetBefore = harness.image.offset;
  const results = await harness.controller.deleteTopics([
    { name: 'a', topicId: ZERO_UUID },
    { name: null, topicId: idOfB },
  ]);
  expect(results).toEqual([
    { name: 'a', topicId: expect.any(String), errorCode: 0, errorMessage: null },
    { name: 'b', topicId: idOfB, errorCode: 0, errorMessage: null },
  ]);
  expect(harness.image.offset).toBe(offsetBefore + 2n);
  expect(harness.image.topic('a')).toBeUndefined();
  expect(harness.image.topicById(idOfB)).toBeUndefined();
  expect(harness.image.configsOf(ConfigResourceType.Topic, 'a').size).toBe(0);
  expect(harness.image.topic('c')).toBeDefined();
  await harness.restart();
  expect([...harness.image.topics.byName.keys()]).toEqual(['c']);
});

test('unknown names and ids, the zero id and duplicates', async () => {
  const idOfC = harness.image.topic('c')!.id;
  const results = await harness.controller.deleteTopics([
    { name: 'nope', topicId: ZERO_UUID },
    { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' },
    { name: null, topicId: ZERO_UUID },
    { name: 'a', topicId: ZERO_UUID },
    { name: 'a', topicId: ZERO_UUID },
    { name: 'c', topicId: ZERO_UUID },
    { name: null, topicId: idOfC },
  ]);
  expect(results.map((r) => [r.name, r.errorCode])).toEqual([
    ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    [null, ErrorCode.UNKNOWN_TOPIC_ID],
    [null, ErrorCode.INVALID_REQUEST],
    ['a', ErrorCode.INVALID_REQUEST],
    ['c', ErrorCode.NONE],
    ['c', ErrorCode.INVALID_REQUEST],
  ]);
  expect(results[3].errorMessage).toBe('Duplicate topic name.');
  expect(results[5].errorMessage).toBe('Duplicate topic id.');
  expect(harness.image.topic('a')).toBeDefined();
  expect(harness.image.topic('c')).toBeUndefined();
});

test('TOPIC_DELETION_DISABLED when delete.topic.enable=false', async () => {
  await harness.close();
  await start(false);
  const before = harness.log.logEndOffset;
  const results = await harness.controller.deleteTopics([{ name: 'a', topicId: ZERO_UUID }]);
  expect(results[0].errorCode).toBe(ErrorCode.TOPIC_DELETION_DISABLED);
  expect(harness.log.logEndOffset).toBe(before);
  expect(harness.image.topic('a')).toBeDefined();
});

test('a deleted name can be created again, with a new id', async () => {
  const oldId = harness.image.topic('a')!.id;
  await harness.controller.deleteTopics([{ name: 'a', topicId: ZERO_UUID }]);
  const [created] = await harness.controller.createTopics(
    [{ name: 'a', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    { validateOnly: false },
  );
  expect(created.errorCode).toBe(0);
  expect(created.topicId).not.toBe(oldId);
  expect(harness.image.configsOf(ConfigResourceType.Topic, 'a').size).toBe(0);
});

import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { IncrementalAlterConfigsResource } from '../../../src/controller/alter-configs.js';
import { AlterConfigOpType } from '../../../src/controller/config-changes.js';
import { CONFIG_SOURCE_IDS } from '../../../src/log/topic-config.js';
import { ConfigResourceType } from '../../../src/metadata/metadata-image.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ControllerHarness, NODE_ID } from './controller-harness.js';

const { Topic, Broker } = ConfigResourceType;
const { Set: SET, Delete: DELETE, Append: APPEND, Subtract: SUBTRACT } = AlterConfigOpType;

let harness: ControllerHarness;

beforeEach(async () => {
  harness = await ControllerHarness.start({ staticTopicDefaults: { 'log.retention.hours': '24' } });
  await harness.register(1);
  await harness.controller.createTopics(
    [{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    { validateOnly: false },
  );
});
afterEach(async () => {
  await harness.close();
});

function topicConfigs(name = 't'): Record<string, string> {
  return Object.fromEntries(harness.image.configsOf(Topic, name));
}

async function incremental(
  configs: [name: string, op: number, value: string | null][],
  resource: { type?: number; name?: string } = {},
  validateOnly = false,
) {
  const request: IncrementalAlterConfigsResource = {
    resourceType: resource.type ?? Topic,
    resourceName: resource.name ?? 't',
    configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })),
  };
  const [result] = await harness.controller.incrementalAlterConfigs([request], { validateOnly });
  return result;
}

describe('incrementalAlterConfigs on a topic', () => {
  test('SET and DELETE', async () => {
    expect(
      await incremental([
        ['retention.ms', SET, '1000'],
        ['segment.ms', SET, '60000'],
      ]),
    ).toEqual({
      resourceType: Topic,
      resourceName: 't',
      errorCode: 0,
      errorMessage: null,
    });
    expect(topicConfigs()).toEqual({ 'retention.ms': '1000', 'segment.ms': '60000' });
    await incremental([['retention.ms', DELETE, null]]);
    expect(topicConfigs()).toEqual({ 'segment.ms': '60000' });
  });

  test('APPEND to and SUBTRACT from a list, starting from its default', async () => {
    await incremental([['cleanup.policy', APPEND, 'compact']]);
    expect(topicConfigs()['cleanup.policy']).toBe('delete,compact');
    await incremental([['cleanup.policy', APPEND, 'compact']]);
    expect(topicConfigs()['cleanup.policy']).toBe('delete,compact');
    await incremental([['cleanup.policy', SUBTRACT, 'delete']]);
    expect(topicConfigs()['cleanup.policy']).toBe('compact');
  });

  test('APPEND to a key that is not a list is INVALID_CONFIG', async () => {
    expect(await incremental([['retention.ms', APPEND, '5']])).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: "Can't APPEND to key retention.ms because its type is not LIST.",
    });
  });

  test('a bad value or unknown key fails the whole resource', async () => {
    const result = await incremental([
      ['retention.ms', SET, '1000'],
      ['segment.bytes', SET, 'x'],
    ]);
    expect(result.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(result.errorMessage).toMatch(/segment\.bytes/);
    expect(topicConfigs()).toEqual({});
    expect((await incremental([['no.such.config', SET, '1']])).errorCode).toBe(
      ErrorCode.INVALID_CONFIG,
    );
  });

  test('an unchanged value writes no record; validateOnly writes nothing', async () => {
    await incremental([['retention.ms', SET, '1000']]);
    const offset = harness.log.logEndOffset;
    expect((await incremental([['retention.ms', SET, '1000']])).errorCode).toBe(0);
    expect(await incremental([['retention.ms', SET, '5']], {}, true)).toMatchObject({
      errorCode: 0,
    });
    expect(harness.log.logEndOffset).toBe(offset);
    expect(topicConfigs()['retention.ms']).toBe('1000');
  });

  test('unknown topics, illegal names, duplicates and null values are refused', async () => {
    expect(await incremental([['retention.ms', SET, '1']], { name: 'missing' })).toMatchObject({
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      errorMessage: "The topic 'missing' does not exist.",
    });
    expect((await incremental([['retention.ms', SET, '1']], { name: '' })).errorCode).toBe(
      ErrorCode.INVALID_REQUEST,
    );
    expect((await incremental([['retention.ms', SET, '1']], { name: 'bad name' })).errorCode).toBe(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
    );
    expect(
      await incremental([
        ['retention.ms', SET, '1'],
        ['retention.ms', SET, '2'],
      ]),
    ).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Error due to duplicate config keys : retention.ms',
    });
    expect(await incremental([['retention.ms', SET, null]])).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Null value not supported for : retention.ms',
    });
    const results = await harness.controller.incrementalAlterConfigs(
      [
        { resourceType: Topic, resourceName: 't', configs: [] },
        { resourceType: Topic, resourceName: 't', configs: [] },
        { resourceType: 8, resourceName: '1', configs: [] },
        { resourceType: 99, resourceName: 'x', configs: [] },
      ],
      { validateOnly: false },
    );
    expect(results.map((r) => [r.resourceType, r.errorCode, r.errorMessage])).toEqual([
      [Topic, ErrorCode.INVALID_REQUEST, 'Duplicate resource.'],
      [
        8,
        ErrorCode.INVALID_REQUEST,
        'Altering BROKER_LOGGER configs is not supported by this broker yet.',
      ],
      [99, ErrorCode.INVALID_REQUEST, 'Unknown resource type 99.'],
    ]);
  });
});

describe('incrementalAlterConfigs on brokers', () => {
  test("cluster-wide topic defaults: stored, and the source of new topics' values", async () => {
    expect(
      (await incremental([['log.retention.ms', SET, '5000']], { type: Broker, name: '' }))
        .errorCode,
    ).toBe(0);
    expect(harness.image.configsOf(Broker, '').get('log.retention.ms')).toBe('5000');
    const [created] = await harness.controller.createTopics(
      [{ name: 'later', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      { validateOnly: false },
    );
    const retention = created.configs!.find((c) => c.name === 'retention.ms')!;
    expect(retention).toMatchObject({
      value: '5000',
      configSource: CONFIG_SOURCE_IDS.DYNAMIC_DEFAULT_BROKER_CONFIG,
    });
    const segment = created.configs!.find((c) => c.name === 'cleanup.policy')!;
    expect(segment.configSource).toBe(CONFIG_SOURCE_IDS.DEFAULT_CONFIG);
  });

  test('per-node configs for a registered broker or this controller; a record even when unchanged', async () => {
    expect(
      (
        await incremental([['log.cleanup.policy', SET, 'compact']], {
          type: Broker,
          name: String(NODE_ID),
        })
      ).errorCode,
    ).toBe(0);
    const offset = harness.log.logEndOffset;
    await incremental([['log.cleanup.policy', SET, 'compact']], {
      type: Broker,
      name: String(NODE_ID),
    });
    expect(harness.log.logEndOffset).toBe(offset + 1n);
    expect(
      await incremental([['log.retention.ms', SET, '1']], { type: Broker, name: '7' }),
    ).toMatchObject({
      errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED,
      errorMessage: 'No node with id 7 found.',
    });
    expect(
      (await incremental([['log.retention.ms', SET, '1']], { type: Broker, name: 'x' })).errorCode,
    ).toBe(ErrorCode.INVALID_REQUEST);
  });

  test('configs that are not dynamic or values that are invalid are INVALID_CONFIG', async () => {
    const notDynamic = await incremental([['num.io.threads', SET, '4']], {
      type: Broker,
      name: '',
    });
    expect(notDynamic.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(notDynamic.errorMessage).toMatch(
      /^Cannot update these configs dynamically: num\.io\.threads/,
    );
    const invalid = await incremental([['log.segment.bytes', SET, '10']], {
      type: Broker,
      name: '',
    });
    expect(invalid.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(harness.image.configsOf(Broker, '').size).toBe(0);
  });
});

describe('alterConfigs (legacy)', () => {
  test("replaces the resource's configs: keys not given are deleted", async () => {
    await incremental([
      ['retention.ms', SET, '1000'],
      ['segment.ms', SET, '60000'],
    ]);
    const [result] = await harness.controller.alterConfigs(
      [
        {
          resourceType: Topic,
          resourceName: 't',
          configs: [{ name: 'retention.ms', value: '2000' }],
        },
      ],
      { validateOnly: false },
    );
    expect(result.errorCode).toBe(0);
    expect(topicConfigs()).toEqual({ 'retention.ms': '2000' });
  });

  test('validates like the incremental API and honours validateOnly', async () => {
    const [bad] = await harness.controller.alterConfigs(
      [
        {
          resourceType: Topic,
          resourceName: 't',
          configs: [{ name: 'min.insync.replicas', value: '0' }],
        },
      ],
      { validateOnly: false },
    );
    expect(bad.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const offset = harness.log.logEndOffset;
    const [dry] = await harness.controller.alterConfigs(
      [
        {
          resourceType: Broker,
          resourceName: '',
          configs: [{ name: 'log.retention.ms', value: '9' }],
        },
      ],
      { validateOnly: true },
    );
    expect(dry.errorCode).toBe(0);
    expect(harness.log.logEndOffset).toBe(offset);
  });
});

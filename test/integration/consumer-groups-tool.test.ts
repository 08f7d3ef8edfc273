import type { Admin, Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  binPath,
  run,
  startTempBroker,
  type BrokerNode,
  type RunResult,
  type TempBroker,
} from '../harness/broker-process.js';
import { createTopic, kafkajsClient, produce } from '../harness/kafkajs-client.js';

/**
 * `bin/kafka-consumer-groups` against a real `bin/broker` whose group is a live kafkajs
 * consumer: listing, describing offsets/lag/members/state while the member is there, then,
 * once it has left, resetting offsets (earliest, shift, to-offset), deleting offsets and
 * deleting the group. The tool's view is cross-checked with kafkajs' admin client.
 */

const TOOL = binPath('kafka-consumer-groups');
const TOPIC = 'cg-orders';
const GROUP = 'cg-tool';
/** Records per partition: the log end offsets. */
const RECORDS = [10, 20, 30];
const CLIENT_ID = 'cg-tool-consumer';

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim().length > 0);
}

/** A table row's cells (values never contain spaces here). */
function cells(line: string): string[] {
  return line.trim().split(/ +/);
}

describe('bin/kafka-consumer-groups against bin/broker', () => {
  let broker: TempBroker | undefined;
  let node: BrokerNode;
  let admin: Admin;
  let consumer: Consumer | undefined;
  let memberId = '';

  async function tool(...args: string[]): Promise<RunResult> {
    const result = await run(TOOL, ['--bootstrap-server', node.bootstrap, ...args], {
      timeoutMs: 30_000,
    });
    expect(result.timedOut, `kafka-consumer-groups timed out: ${result.stderr}`).toBe(false);
    return result;
  }

  /** `--describe` rows for the topic: partition → [current, log end, lag, consumer, host, client]. */
  async function describeRows(): Promise<Map<number, string[]>> {
    const described = await tool('--describe', '--group', GROUP);
    expect(described.code, described.stdout + described.stderr).toBe(0);
    const [header, ...rows] = lines(described.stdout);
    expect(cells(header)).toEqual([
      'GROUP',
      'TOPIC',
      'PARTITION',
      'CURRENT-OFFSET',
      'LOG-END-OFFSET',
      'LAG',
      'CONSUMER-ID',
      'HOST',
      'CLIENT-ID',
    ]);
    return new Map(
      rows.map((row) => {
        const [group, topic, partition, ...rest] = cells(row);
        expect([group, topic]).toEqual([GROUP, TOPIC]);
        return [Number(partition), rest];
      }),
    );
  }

  /** `--reset-offsets --group GROUP` with `args`. */
  function resetOffsets(...args: string[]): Promise<RunResult> {
    return tool('--reset-offsets', '--group', GROUP, ...args);
  }

  async function committed(): Promise<string[]> {
    const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    return [...topic.partitions].sort((a, b) => a.partition - b.partition).map((p) => p.offset);
  }

  beforeAll(async () => {
    broker = await startTempBroker('consumer-groups-tool-', {
      'offsets.topic.num.partitions': '5',
    });
    node = broker.node;
    const kafka = kafkajsClient('cg-tool-test', [node.bootstrap]);
    admin = kafka.admin();
    await admin.connect();
    await createTopic(admin, TOPIC, 3);
    await produce(
      kafka,
      TOPIC,
      RECORDS.flatMap((count, partition) =>
        Array.from({ length: count }, (_, i) => ({ partition, value: `p${partition}-${i}` })),
      ),
    );

    // A member that reads everything, then commits 4 on partition 0, 20 on partition 1 and
    // nothing on partition 2.
    consumer = kafkajsClient(CLIENT_ID, [node.bootstrap]).consumer({
      groupId: GROUP,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      memberId = event.payload.memberId;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    let consumed = 0;
    let allConsumed!: () => void;
    const done = new Promise<void>((resolveDone) => (allConsumed = resolveDone));
    await consumer.run({
      autoCommit: false,
      eachMessage: async () => {
        consumed++;
        if (consumed === RECORDS[0] + RECORDS[1] + RECORDS[2]) allConsumed();
      },
    });
    await done;
    await consumer.commitOffsets([
      { topic: TOPIC, partition: 0, offset: '4' },
      { topic: TOPIC, partition: 1, offset: '20' },
    ]);
  }, 90_000);

  afterAll(async () => {
    await consumer?.disconnect().catch(() => {});
    await admin?.disconnect();
    await broker?.close();
  }, 60_000);

  it('--list includes the group, with its state under --state', async () => {
    const list = await tool('--list');
    expect(list.code, list.stdout + list.stderr).toBe(0);
    expect(lines(list.stdout)).toContain(GROUP);
    const withState = await tool('--list', '--state');
    expect(withState.code).toBe(0);
    expect(lines(withState.stdout).map(cells)).toContainEqual([GROUP, 'Stable']);
  });

  it('--describe shows every partition with offsets, lag and the live member', async () => {
    expect(memberId).not.toBe('');
    const rows = await describeRows();
    expect([...rows.keys()].sort()).toEqual([0, 1, 2]);
    const [p0, p1, p2] = [rows.get(0)!, rows.get(1)!, rows.get(2)!];
    expect(p0.slice(0, 3)).toEqual(['4', '10', '6']);
    expect(p1.slice(0, 3)).toEqual(['20', '20', '0']);
    expect(p2.slice(0, 3)).toEqual(['-', '30', '-']);
    for (const row of [p0, p1, p2]) {
      expect(row[3]).toBe(memberId);
      expect(row[4]).not.toBe('-');
      expect(row[5]).toBe(CLIENT_ID);
    }
  });

  it('--describe --members and --state', async () => {
    const members = await tool('--describe', '--group', GROUP, '--members', '--verbose');
    expect(members.code, members.stdout + members.stderr).toBe(0);
    const [header, row] = lines(members.stdout).map(cells);
    expect(header).toEqual([
      'GROUP',
      'CONSUMER-ID',
      'HOST',
      'CLIENT-ID',
      '#PARTITIONS',
      'ASSIGNMENT',
    ]);
    expect(row[0]).toBe(GROUP);
    expect(row[1]).toBe(memberId);
    expect(row[3]).toBe(CLIENT_ID);
    expect(row[4]).toBe('3');
    expect(row[5]).toBe(`${TOPIC}(0,1,2)`);

    const state = await tool('--describe', '--group', GROUP, '--state');
    expect(state.code).toBe(0);
    const stateRow = lines(state.stdout)[1];
    expect(stateRow).toMatch(
      new RegExp(
        `^${GROUP} +127\\.0\\.0\\.1:${node.port} {2}\\(1\\) +RoundRobinAssigner +Stable +1$`,
      ),
    );
  });

  it('refuses to reset the offsets of a group with a live member', async () => {
    const reset = await resetOffsets('--all-topics', '--to-earliest', '--execute');
    expect(reset.code).toBe(1);
    expect(reset.stdout).toContain(
      `Error: Assignments can only be reset if the group '${GROUP}' is inactive, but the current state is Stable.`,
    );
    expect(await committed()).toEqual(['4', '20', '-1']);
  });

  it('after the member leaves: reset to earliest, shift, to an offset; delete offsets; delete the group', async () => {
    await consumer!.disconnect();
    consumer = undefined;

    const empty = await tool('--describe', '--group', GROUP);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain(`Consumer group '${GROUP}' has no active members.`);
    const unowned = await describeRows();
    // Only partitions with committed offsets remain, without an owner.
    expect([...unowned.keys()].sort()).toEqual([0, 1]);
    expect(unowned.get(0)).toEqual(['4', '10', '6', '-', '-', '-']);

    const earliest = await resetOffsets('--topic', TOPIC, '--to-earliest', '--execute');
    expect(earliest.code, earliest.stdout + earliest.stderr).toBe(0);
    expect(lines(earliest.stdout).map(cells)).toEqual([
      ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
      [GROUP, TOPIC, '0', '0'],
      [GROUP, TOPIC, '1', '0'],
      [GROUP, TOPIC, '2', '0'],
    ]);
    expect(await committed()).toEqual(['0', '0', '0']);
    const afterEarliest = await describeRows();
    expect([0, 1, 2].map((p) => afterEarliest.get(p)!.slice(0, 3))).toEqual([
      ['0', '10', '10'],
      ['0', '20', '20'],
      ['0', '30', '30'],
    ]);

    const shifted = await resetOffsets('--all-topics', '--shift-by', '12', '--execute');
    expect(shifted.code, shifted.stdout + shifted.stderr).toBe(0);
    // Partition 0 ends at 10: the shift is clamped there.
    expect(await committed()).toEqual(['10', '12', '12']);
    expect(shifted.stderr).toContain(
      'New offset (12) is higher than latest offset for topic partition cg-orders-0',
    );

    const planned = await resetOffsets('--topic', `${TOPIC}:2`, '--to-offset', '25', '--dry-run');
    expect(planned.code).toBe(0);
    expect(lines(planned.stdout).map(cells)).toContainEqual([GROUP, TOPIC, '2', '25']);
    expect(await committed()).toEqual(['10', '12', '12']);
    const toOffset = await resetOffsets('--topic', `${TOPIC}:2`, '--to-offset', '25', '--execute');
    expect(toOffset.code, toOffset.stdout + toOffset.stderr).toBe(0);
    expect(await committed()).toEqual(['10', '12', '25']);
    expect((await describeRows()).get(2)!.slice(0, 3)).toEqual(['25', '30', '5']);

    const deleteOffsets = await tool('--delete-offsets', '--group', GROUP, '--topic', `${TOPIC}:0`);
    expect(deleteOffsets.code, deleteOffsets.stdout + deleteOffsets.stderr).toBe(0);
    expect(lines(deleteOffsets.stdout).map(cells)).toEqual([
      ['Request', 'succeeded', 'for', 'deleting', 'offsets', 'from', 'group', `${GROUP}.`],
      ['TOPIC', 'PARTITION', 'STATUS'],
      [TOPIC, '0', 'Successful'],
    ]);
    expect(await committed()).toEqual(['-1', '12', '25']);

    const deleted = await tool('--delete', '--group', GROUP);
    expect(deleted.code, deleted.stdout + deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(
      `Deletion of requested consumer groups ('${GROUP}') was successful.\n`,
    );
    expect(lines((await tool('--list')).stdout)).not.toContain(GROUP);
    const gone = await tool('--describe', '--group', GROUP);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toBe(`\nError: Consumer group '${GROUP}' does not exist.\n`);
  });
});

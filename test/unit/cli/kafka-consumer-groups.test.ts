import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runConsumerGroups } from '../../../src/cli/consumer-groups/commands.js';
import { FakeGroupCluster } from './fake-group-cluster.js';

/**
 * `kafka-consumer-groups` run in-process against an in-memory cluster that answers the group
 * APIs as Kafka's classic coordinator does: exact output, exit codes, and the offsets the
 * group ends up with.
 */

let cluster: FakeGroupCluster;
let dir: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function tool(...args: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await runConsumerGroups(['--bootstrap-server', cluster.bootstrap, ...args], {
    out: (s) => (stdout += s),
    err: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

/** Kafka's `%-Ns` columns joined by one space; the last value is not padded. */
function columns(widths: number[], values: string[]): string {
  return values.map((v, i) => (i < widths.length ? v.padEnd(widths[i]) : v)).join(' ');
}

const LONG_ID = 'consumer-one-0123456789';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'consumer-groups-unit-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  cluster = await FakeGroupCluster.start();
  cluster.addTopic('orders', [
    { logStart: 0n, logEnd: 10n },
    // Records 2..19 at 1000 ms, 2000 ms, ...
    {
      logStart: 2n,
      logEnd: 20n,
      timestamps: Array.from({ length: 18 }, (_, i) => BigInt((i + 1) * 1000)),
    },
    { logStart: 0n, logEnd: 30n },
  ]);
  cluster.addTopic('audit', [{ logStart: 0n, logEnd: 7n }]);
  cluster.addGroup('active', {
    members: [
      {
        memberId: 'consumer-two',
        clientId: 'c2',
        clientHost: '/10.0.0.2',
        assignment: [{ topic: 'orders', partitions: [2] }],
      },
      {
        memberId: LONG_ID,
        clientId: 'c1',
        clientHost: '/10.0.0.1',
        assignment: [{ topic: 'orders', partitions: [1, 0] }],
      },
    ],
    offsets: { 'orders:0': 5n, 'orders:1': 20n, 'audit:0': 3n },
  });
  cluster.addGroup('idle', { offsets: { 'orders:0': 2n, 'orders:1': 4n, 'orders:2': 6n } });
});

afterEach(async () => {
  await cluster.close();
});

describe('--list', () => {
  it('prints one group id per line', async () => {
    const r = await tool('--list');
    expect(r).toEqual({ code: 0, stdout: 'active\nidle\n', stderr: '' });
  });

  it('--state adds the STATE column and filters by state', async () => {
    const all = await tool('--list', '--state');
    expect(all.code).toBe(0);
    expect(all.stdout).toBe(
      [
        // The STATE column is padded too: Kafka's lines end in spaces.
        columns([25], ['GROUP', 'STATE'.padEnd(20)]),
        columns([25], ['active', 'Stable'.padEnd(20)]),
        columns([25], ['idle', 'Empty'.padEnd(20)]),
        '',
      ].join('\n'),
    );
    const empty = await tool('--list', '--state', 'EMPTY');
    expect(empty.stdout.split('\n').map((l) => l.trimEnd())).toEqual([
      'GROUP                     STATE',
      'idle                      Empty',
      '',
    ]);
    const bad = await tool('--list', '--state', 'sleeping');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^Invalid state list 'sleeping'\. Valid states are: PreparingRebalance, /,
    );
  });

  it('--type shows the group type', async () => {
    const r = await tool('--list', '--type');
    expect(r.stdout.split('\n').map((l) => l.trimEnd())).toEqual([
      'GROUP                     TYPE',
      'active                    Classic',
      'idle                      Classic',
      '',
    ]);
  });
});

describe('--describe', () => {
  const OFFSET_WIDTHS = [15, 15, 10, 15, 15, 15, LONG_ID.length, 15];

  it('shows each partition with its offsets, lag and owner; unowned commits last', async () => {
    const r = await tool('--describe', '--group', 'active');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const row = (...values: string[]): string => columns(OFFSET_WIDTHS, values);
    expect(r.stdout).toBe(
      [
        '',
        row(
          'GROUP',
          'TOPIC',
          'PARTITION',
          'CURRENT-OFFSET',
          'LOG-END-OFFSET',
          'LAG',
          'CONSUMER-ID',
          'HOST',
          'CLIENT-ID',
        ),
        // The member with the most partitions comes first.
        row('active', 'orders', '0', '5', '10', '5', LONG_ID, '/10.0.0.1', 'c1'),
        row('active', 'orders', '1', '20', '20', '0', LONG_ID, '/10.0.0.1', 'c1'),
        row('active', 'orders', '2', '-', '30', '-', 'consumer-two', '/10.0.0.2', 'c2'),
        row('active', 'audit', '0', '3', '7', '4', '-', '-', '-'),
        '',
      ].join('\n'),
    );
  });

  it('--verbose adds the committed leader epoch', async () => {
    const r = await tool('--describe', '--group', 'active', '--offsets', '--verbose');
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^GROUP +TOPIC +PARTITION +LEADER-EPOCH +CURRENT-OFFSET /);
    expect(lines[2]).toMatch(/^active +orders +0 +0 +5 +10 +5 /);
    expect(lines[4]).toMatch(/^active +orders +2 +- +- +30 +- /);
  });

  it('an empty group: a note on stderr, the committed partitions without owners', async () => {
    const r = await tool('--describe', '--group', 'idle');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("\nConsumer group 'idle' has no active members.\n");
    const lines = r.stdout.split('\n').map((l) => l.trimEnd());
    expect(lines.slice(2, 5)).toEqual([
      'idle            orders          0          2               10              8               -               -               -',
      'idle            orders          1          4               20              16              -               -               -',
      'idle            orders          2          6               30              24              -               -               -',
    ]);
  });

  it('a group the coordinator does not know is reported as not existing (exit 1)', async () => {
    const r = await tool('--describe', '--group', 'ghost');
    expect(r).toEqual({
      code: 1,
      stdout: "\nError: Consumer group 'ghost' does not exist.\n",
      stderr: '',
    });
  });

  it('--members --verbose lists members with their assignment', async () => {
    const r = await tool('--describe', '--group', 'active', '--members', '--verbose');
    expect(r.code).toBe(0);
    const widths = [15, LONG_ID.length, 15, 15, 15];
    expect(r.stdout).toBe(
      [
        '',
        // Kafka's member format ends each cell, #PARTITIONS included, with a space.
        `${columns(widths, ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'])} ASSIGNMENT`,
        `${columns(widths, ['active', 'consumer-two', '/10.0.0.2', 'c2', '1'])} orders(2)`,
        `${columns(widths, ['active', LONG_ID, '/10.0.0.1', 'c1', '2'])} orders(0,1)`,
        '',
      ].join('\n'),
    );
  });

  it('--state shows coordinator, assignor, state and member count', async () => {
    const r = await tool('--describe', '--group', 'active', '--state');
    const coordinator = `127.0.0.1:${cluster.broker.port}  (1)`;
    const widths = [15, 25, 20, 20];
    expect(r.stdout).toBe(
      [
        '',
        columns(widths, ['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS']),
        columns(widths, ['active', coordinator, 'range', 'Stable', '2']),
        '',
      ].join('\n'),
    );
  });

  it('--all-groups describes every group in group id order', async () => {
    const r = await tool('--describe', '--all-groups', '--state');
    expect(
      r.stdout
        .split('\n')
        .filter((l) => /^(active|idle) /.test(l))
        .map((l) => l.split(' ')[0]),
    ).toEqual(['active', 'idle']);
  });
});

describe('--reset-offsets', () => {
  const resetOffsets = (group: string, ...args: string[]): Promise<Result> =>
    tool('--reset-offsets', '--group', group, ...args);
  const planRows = (group: string, rows: [string, number, string][]): string =>
    [
      '',
      columns([15, 15, 10], ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']),
      ...rows.map(([topic, p, offset]) => columns([15, 15, 10], [group, topic, String(p), offset])),
      '',
    ].join('\n');

  it('plans without --execute (a dry run with Kafka’s warning) and changes nothing', async () => {
    const r = await resetOffsets('idle', '--topic', 'orders', '--to-earliest');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^WARN: No action will be performed as the --execute option is missing\./,
    );
    expect(r.stdout).toBe(
      planRows('idle', [
        ['orders', 0, '0'],
        ['orders', 1, '2'],
        ['orders', 2, '0'],
      ]),
    );
    expect(cluster.committed('idle')).toEqual({ 'orders:0': 2n, 'orders:1': 4n, 'orders:2': 6n });
  });

  it('--execute commits; --to-offset is clamped into the log', async () => {
    const r = await resetOffsets('idle', '--topic', 'orders:0,2', '--to-offset', '25', '--execute');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      planRows('idle', [
        ['orders', 0, '10'],
        ['orders', 2, '25'],
      ]),
    );
    expect(r.stderr).toBe(
      'WARN: New offset (25) is higher than latest offset for topic partition orders-0. Value will be set to 10.\n',
    );
    expect(cluster.committed('idle')).toEqual({ 'orders:0': 10n, 'orders:1': 4n, 'orders:2': 25n });
  });

  it('--shift-by moves each committed offset, clamped at the log start', async () => {
    const r = await resetOffsets('idle', '--all-topics', '--shift-by', '-3', '--execute');
    expect(r.code).toBe(0);
    // orders-1 starts at 2, so 4 - 3 = 1 becomes 2.
    expect(cluster.committed('idle')).toEqual({ 'orders:0': 0n, 'orders:1': 2n, 'orders:2': 3n });
    expect(r.stderr).toContain(
      'New offset (1) is lower than earliest offset for topic partition orders-1.',
    );
  });

  it('--shift-by refuses a partition without a committed offset', async () => {
    cluster.addGroup('fresh', {});
    const r = await resetOffsets('fresh', '--topic', 'audit', '--shift-by', '1', '--execute');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^Cannot shift offset for partition audit-0 since there is no current committed offset\n/,
    );
  });

  it('--to-latest and --to-current', async () => {
    await resetOffsets('idle', '--topic', 'orders:0', '--to-latest', '--execute');
    expect(cluster.committed('idle')['orders:0']).toBe(10n);
    // audit-0 has no committed offset: --to-current takes the log end there.
    const r = await resetOffsets(
      'idle',
      '--topic',
      'orders:1',
      '--topic',
      'audit',
      '--to-current',
      '--execute',
    );
    expect(r.code).toBe(0);
    expect(cluster.committed('idle')).toMatchObject({ 'orders:1': 4n, 'audit:0': 7n });
  });

  it('--to-datetime looks offsets up by time, falling back to the log end for a partition without one', async () => {
    const r = await resetOffsets(
      'idle',
      '--topic',
      'orders:0,1',
      '--to-datetime',
      '1970-01-01T00:00:05.500',
      '--execute',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '\nWarn: Partition 0 from topic orders is empty. Falling back to latest known offset.\n',
    );
    // Offset 7 is the first record at 6000 ms or later.
    expect(cluster.committed('idle')).toMatchObject({ 'orders:0': 10n, 'orders:1': 7n });
    const zoned = await resetOffsets(
      'idle',
      '--topic',
      'orders:1',
      '--to-datetime',
      '1970-01-01T01:00:02.000+01:00',
      '--dry-run',
    );
    expect(zoned.stdout).toContain(columns([15, 15, 10], ['idle', 'orders', '1', '3']));
  });

  it('refuses a group that is not inactive', async () => {
    const r = await resetOffsets('active', '--all-topics', '--to-earliest', '--execute');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      "\nError: Assignments can only be reset if the group 'active' is inactive, but the current state is Stable.\n" +
        planRows('active', []),
    );
    expect(cluster.committed('active')).toEqual({ 'orders:0': 5n, 'orders:1': 20n, 'audit:0': 3n });
  });

  it('resets a group that does not exist yet (it is created by the commit)', async () => {
    const r = await resetOffsets('newcomer', '--topic', 'audit', '--to-earliest', '--execute');
    expect(r.code).toBe(0);
    expect(cluster.committed('newcomer')).toEqual({ 'audit:0': 0n });
  });

  it('--export writes CSV and --from-file reads it back', async () => {
    const exported = await resetOffsets(
      'idle',
      '--all-topics',
      '--to-latest',
      '--export',
      '--dry-run',
    );
    expect(exported.stdout).toBe('orders,0,10\norders,1,20\norders,2,30\n\n');
    const two = await resetOffsets(
      'idle',
      '--group',
      'newcomer',
      '--topic',
      'audit',
      '--to-earliest',
      '--export',
    );
    expect(two.stdout).toBe('idle,audit,0,0\nnewcomer,audit,0,0\n\n');

    const file = join(dir, 'plan.csv');
    await writeFile(file, 'orders,0,3\norders,2,99\n');
    const r = await resetOffsets('idle', '--from-file', file, '--execute');
    expect(r.code).toBe(0);
    expect(cluster.committed('idle')).toEqual({ 'orders:0': 3n, 'orders:1': 4n, 'orders:2': 30n });
  });

  it('reports partitions that do not exist', async () => {
    const r = await resetOffsets('idle', '--topic', 'orders:7', '--to-earliest', '--execute');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      '\nError: Executing consumer group command failed due to The partitions "orders-7" do not exist\n',
    );
  });
});

describe('--delete-offsets', () => {
  it('deletes the offsets of an inactive group and prints each partition', async () => {
    const r = await tool('--delete-offsets', '--group', 'idle', '--topic', 'orders:0,2');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Request succeeded for deleting offsets from group idle.',
        '',
        columns([15, 10], ['TOPIC', 'PARTITION', 'STATUS'.padEnd(15)]),
        columns([15, 10], ['orders', '0', 'Successful'.padEnd(15)]),
        columns([15, 10], ['orders', '2', 'Successful'.padEnd(15)]),
        '',
      ].join('\n'),
    );
    expect(cluster.committed('idle')).toEqual({ 'orders:1': 4n });
  });

  it('reports a topic the group is subscribed to, and a topic that does not exist', async () => {
    const r = await tool(
      '--delete-offsets',
      '--group',
      'active',
      '--topic',
      'orders',
      '--topic',
      'nosuch',
    );
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').map((l) => l.trimEnd());
    expect(lines.slice(0, 3)).toEqual([
      '',
      'Error: Encountered some partition-level error, see the follow-up details.',
      '',
    ]);
    expect(lines).toContain(
      'nosuch          -          Error: UNKNOWN_TOPIC_OR_PARTITION: This server does not host the topic-partition.',
    );
    expect(lines).toContain(
      "orders          1          Error: GROUP_SUBSCRIBED_TO_TOPIC: A topic's offsets cannot be deleted while the group is subscribed to it.",
    );
    expect(cluster.committed('active')).toMatchObject({ 'orders:0': 5n, 'orders:1': 20n });
  });

  it('reports a group that does not exist', async () => {
    const r = await tool('--delete-offsets', '--group', 'ghost', '--topic', 'audit');
    expect(r.code).toBe(1);
    expect(r.stdout.startsWith('\nError: The group does not exist.\n')).toBe(true);
  });
});

describe('--delete', () => {
  it('deletes inactive groups and names the ones that could not be deleted', async () => {
    const r = await tool('--delete', '--group', 'idle', '--group', 'active', '--group', 'ghost');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      '\nError: Deletion of some consumer groups failed:\n' +
        "* Group 'active' could not be deleted due to: NON_EMPTY_GROUP: The group still has members.\n" +
        "* Group 'ghost' could not be deleted due to: GROUP_ID_NOT_FOUND: The group does not exist.\n" +
        "\nThese consumer groups were deleted successfully: 'idle'\n",
    );
    expect(cluster.groups.has('idle')).toBe(false);
    expect(cluster.groups.has('active')).toBe(true);
  });

  it('says so when every group was deleted', async () => {
    cluster.addGroup('other', {});
    const r = await tool('--delete', '--group', 'idle', '--group', 'other');
    expect(r).toEqual({
      code: 0,
      stdout: "Deletion of requested consumer groups ('idle', 'other') was successful.\n",
      stderr: '',
    });
  });
});

describe('failures', () => {
  it('a broker that cannot be reached is a command failure', async () => {
    let stdout = '';
    const code = await runConsumerGroups(
      ['--bootstrap-server', '127.0.0.1:1', '--list', '--timeout', '300'],
      {
        out: (s) => (stdout += s),
        err: () => {},
      },
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^\nError: Executing consumer group command failed due to .*127\.0\.0\.1:1/,
    );
  });

  it('usage errors print the message and the usage on stderr', async () => {
    const none = await tool();
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(
      /^Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets\nUsage: kafka-consumer-groups/,
    );
    // Kafka checks each action's own options before counting actions.
    const two = await tool('--list', '--describe');
    expect(two.stderr).toMatch(
      /^Option \[describe\] takes one of these options: \[all-groups\], \[group\]\n/,
    );
    const unknown = await tool('--list', '--no-such-option');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown option '--no-such-option'");
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await tool('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--reset-offsets');
  });

  it('refuses a command config that asks for a security protocol it cannot speak', async () => {
    const file = join(dir, 'client.properties');
    await writeFile(file, 'security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n');
    const r = await tool('--list', '--command-config', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('security.protocol=SASL_SSL is not supported');
    await writeFile(file, '# plain\nclient.id=ops-tool\nunknown.key=1\n');
    const ok = await tool('--list', '--command-config', file);
    expect(ok.code).toBe(0);
    expect(cluster.broker.requests.at(-1)?.header.clientId).toBe('ops-tool');
  });
});

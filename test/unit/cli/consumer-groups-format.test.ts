import { describe, expect, it } from 'vitest';
import {
  assignmentString,
  formatDeleteGroupsResult,
  formatDeleteOffsetsTable,
  formatGroupList,
  formatMembersTable,
  formatOffsetsTable,
  formatResetPlan,
  formatStateTable,
  offsetRows,
  partitionKey,
  type OffsetRow,
} from '../../../src/cli/consumer-groups/format.js';

/** kafka-consumer-groups' tables, character for character. */

const key = (topic: string, partition: number): string => partitionKey({ topic, partition });

describe('--describe --offsets table', () => {
  it('matches the header of Kafka’s documentation at the minimum widths', () => {
    expect(formatOffsetsTable([], false)).toBe(
      '\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n',
    );
  });

  it('widens the group, topic, consumer and host columns to the longest value', () => {
    const row: OffsetRow = {
      group: 'a-rather-long-group-name',
      topic: 'a-rather-long-topic-name',
      partition: 12,
      leaderEpoch: 4,
      currentOffset: 100n,
      logEndOffset: 150n,
      lag: 50n,
      consumerId: 'consumer-1-9f6a0c4e-8bd1-4d8a-a5b3-3f4a4c7f7a11',
      host: '/192.168.100.200',
      clientId: 'consumer-1',
    };
    const text = formatOffsetsTable(
      [
        row,
        {
          ...row,
          topic: null,
          partition: null,
          currentOffset: null,
          logEndOffset: null,
          lag: null,
          consumerId: '-',
          host: '-',
          clientId: '-',
        },
      ],
      false,
    );
    const [blank, header, first, second, end] = text.split('\n');
    expect(blank).toBe('');
    expect(end).toBe('');
    // Columns start where the header's do.
    for (const column of [
      'TOPIC',
      'PARTITION',
      'CURRENT-OFFSET',
      'LOG-END-OFFSET',
      'LAG',
      'CONSUMER-ID',
      'HOST',
      'CLIENT-ID',
    ]) {
      const at = header.indexOf(column);
      expect(first[at - 1], column).toBe(' ');
      expect(first[at], column).not.toBe(' ');
    }
    expect(header.indexOf('TOPIC')).toBe(row.group.length + 1);
    expect(header.indexOf('HOST') - header.indexOf('CONSUMER-ID')).toBe(row.consumerId.length + 1);
    expect(first.split(/ +/)).toEqual([
      'a-rather-long-group-name',
      'a-rather-long-topic-name',
      '12',
      '100',
      '150',
      '50',
      row.consumerId,
      '/192.168.100.200',
      'consumer-1',
    ]);
    expect(second.split(/ +/)).toEqual([
      'a-rather-long-group-name',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
    ]);
  });

  it('adds LEADER-EPOCH after PARTITION when verbose', () => {
    const text = formatOffsetsTable([], true);
    expect(text).toBe(
      '\nGROUP           TOPIC           PARTITION  LEADER-EPOCH    CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n',
    );
  });
});

describe('offsetRows', () => {
  it('orders members by partition count, then unowned committed partitions, with lag', () => {
    const rows = offsetRows(
      'g',
      [
        {
          consumerId: 'small',
          host: 'h1',
          clientId: 'c1',
          partitions: [{ topic: 't', partition: 2 }],
        },
        { consumerId: 'idle', host: 'h3', clientId: 'c3', partitions: [] },
        {
          consumerId: 'big',
          host: 'h2',
          clientId: 'c2',
          partitions: [
            { topic: 't', partition: 1 },
            { topic: 't', partition: 0 },
          ],
        },
      ],
      [
        { topic: 't', partition: 0, offset: 4n, leaderEpoch: 2 },
        { topic: 't', partition: 2, offset: -1n, leaderEpoch: -1 },
        { topic: 'z', partition: 0, offset: 9n, leaderEpoch: -1 },
        { topic: 'b', partition: 3, offset: 1n, leaderEpoch: 0 },
      ],
      new Map([
        [key('t', 0), 10n],
        [key('t', 1), 5n],
        [key('t', 2), 7n],
        [key('z', 0), 9n],
        [key('b', 3), null],
      ]),
    );
    expect(
      rows.map((r) => [
        r.topic,
        r.partition,
        r.consumerId,
        r.currentOffset,
        r.logEndOffset,
        r.lag,
        r.leaderEpoch,
      ]),
    ).toEqual([
      ['t', 0, 'big', 4n, 10n, 6n, 2],
      ['t', 1, 'big', null, 5n, null, null],
      ['t', 2, 'small', null, 7n, null, null],
      ['b', 3, '-', 1n, null, null, 0],
      ['z', 0, '-', 9n, 9n, 0n, null],
    ]);
  });
});

describe('--describe --members table', () => {
  it('ends each cell with a space and shows GROUP-INSTANCE-ID only when a member has one', () => {
    const member = {
      group: 'g',
      consumerId: 'm-1',
      groupInstanceId: '',
      host: '/h',
      clientId: 'c',
      partitions: [],
    };
    expect(formatMembersTable([member], false)).toBe(
      '\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \n' +
        'g               m-1             /h              c               0               \n',
    );
    const text = formatMembersTable(
      [member, { ...member, consumerId: 'm-2', groupInstanceId: 'static' }],
      true,
    );
    expect(text.split('\n')).toEqual([
      '',
      'GROUP           CONSUMER-ID     GROUP-INSTANCE-ID HOST            CLIENT-ID       #PARTITIONS     ASSIGNMENT',
      'g               m-1                               /h              c               0               -',
      'g               m-2             static            /h              c               0               -',
      '',
    ]);
  });

  it('writes assignments as topic(partitions), topics sorted', () => {
    expect(
      assignmentString([
        { topic: 'b', partition: 10 },
        { topic: 'a', partition: 2 },
        { topic: 'b', partition: 9 },
      ]),
    ).toBe('a(2), b(9,10)');
    expect(assignmentString([])).toBe('-');
  });
});

describe('--describe --state table', () => {
  it('shows the coordinator as host:port  (id)', () => {
    const row = {
      group: 'g',
      coordinator: { nodeId: 3, host: 'broker-3.example.com', port: 9092 },
      assignmentStrategy: 'cooperative-sticky',
      state: 'Stable',
      members: 4,
    };
    expect(formatStateTable(row, false)).toBe(
      '\nGROUP           COORDINATOR (ID)               ASSIGNMENT-STRATEGY  STATE                #MEMBERS' +
        '\ng               broker-3.example.com:9092  (3) cooperative-sticky   Stable               4\n',
    );
    expect(formatStateTable({ ...row, assignmentStrategy: '' }, true).split('\n')[2]).toMatch(
      /^g +broker-3\.example\.com:9092 {2}\(3\) - +Stable +- +- +4$/,
    );
  });
});

describe('--list tables', () => {
  it('pads the group column ten past the longest id', () => {
    expect(
      formatGroupList(
        [
          { groupId: 'a-group-with-a-long-id', type: 'Classic', state: 'Stable' },
          { groupId: 'b', type: 'Consumer', state: 'Empty' },
        ],
        true,
        true,
      ).split('\n'),
    ).toEqual([
      `${'GROUP'.padEnd(32)} ${'TYPE'.padEnd(20)} ${'STATE'.padEnd(20)}`,
      `${'a-group-with-a-long-id'.padEnd(32)} ${'Classic'.padEnd(20)} ${'Stable'.padEnd(20)}`,
      `${'b'.padEnd(32)} ${'Consumer'.padEnd(20)} ${'Empty'.padEnd(20)}`,
      '',
    ]);
    expect(formatGroupList([], false, true)).toBe(`${'GROUP'.padEnd(25)} ${'STATE'.padEnd(20)}\n`);
  });
});

describe('reset and delete results', () => {
  it('prints the plan with a header only when there are groups', () => {
    expect(formatResetPlan(new Map())).toBe('\n');
    expect(
      formatResetPlan(
        new Map([
          ['g', [{ topic: 'topic-with-a-long-name', partition: 0, offset: 12n }]],
          ['h', []],
        ]),
      ),
    ).toBe(
      '\nGROUP           TOPIC                  PARTITION  NEW-OFFSET' +
        '\ng               topic-with-a-long-name 0          12\n',
    );
  });

  it('prints delete-offsets results sorted, with - for a topic-level error', () => {
    expect(
      formatDeleteOffsetsTable([
        { topic: 't', partition: 1, error: 'BAD: worse' },
        { topic: 't', partition: 0, error: null },
        { topic: 'missing', partition: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION: gone' },
      ]),
    ).toBe(
      '\nTOPIC           PARTITION  STATUS         ' +
        '\nmissing         -          Error: UNKNOWN_TOPIC_OR_PARTITION: gone' +
        '\nt               0          Successful     ' +
        '\nt               1          Error: BAD: worse\n',
    );
  });

  it('summarises group deletion', () => {
    expect(formatDeleteGroupsResult([{ groupId: 'a', error: null }])).toEqual({
      text: "Deletion of requested consumer groups ('a') was successful.\n",
      failed: false,
    });
    expect(
      formatDeleteGroupsResult([
        { groupId: 'a', error: 'NON_EMPTY_GROUP: busy' },
        { groupId: 'b', error: null },
        { groupId: 'c', error: null },
      ]),
    ).toEqual({
      text:
        '\nError: Deletion of some consumer groups failed:\n' +
        "* Group 'a' could not be deleted due to: NON_EMPTY_GROUP: busy\n" +
        "\nThese consumer groups were deleted successfully: 'b', 'c'\n",
      failed: true,
    });
  });
});

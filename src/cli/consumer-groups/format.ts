/**
 * What `bin/kafka-consumer-groups` prints, in Kafka's layouts: left-aligned columns whose
 * widths are at least Kafka's minimums and grow with the longest value, '-' for a missing
 * value, and Kafka's blank lines. Pure functions from rows to text.
 */
import type { TopicPartitionRef } from '../../client/group-admin.js';
import { partitionLag } from '../../client/group-lag.js';
import { compareTopicPartitions, type PlannedOffset } from './reset-plan.js';

export const MISSING_COLUMN_VALUE = '-';

/** Java's `%-Ns`: left-aligned, padded to at least `width`, never cut. */
const pad = (value: string, width: number): string => value.padEnd(width);

/** Values padded to their column widths and joined by one space; values past the widths are not padded. */
function columns(widths: readonly number[], values: readonly string[]): string {
  return values.map((v, i) => (i < widths.length ? pad(v, widths[i]) : v)).join(' ');
}

/** A column's width: at least `minimum`, and as wide as its longest value. */
function widest<T>(minimum: number, items: Iterable<T>, value: (item: T) => string): number {
  let width = minimum;
  for (const item of items) width = Math.max(width, value(item).length);
  return width;
}

const text = (value: bigint | number | null | undefined): string =>
  value === null || value === undefined ? MISSING_COLUMN_VALUE : String(value);

/** One line of `--describe --offsets`. */
export interface OffsetRow {
  group: string;
  topic: string | null;
  partition: number | null;
  leaderEpoch: number | null;
  currentOffset: bigint | null;
  logEndOffset: bigint | null;
  lag: bigint | null;
  consumerId: string;
  host: string;
  clientId: string;
}

export interface MemberPartitions {
  consumerId: string;
  host: string;
  clientId: string;
  partitions: readonly TopicPartitionRef[];
}

export interface CommittedState {
  offset: bigint;
  leaderEpoch: number;
}

/** The key of a partition in the maps below (topic names cannot contain NUL). */
export const partitionKey = (tp: TopicPartitionRef): string => `${tp.topic}\u0000${tp.partition}`;

/**
 * The partitions `--describe` reports: those assigned to members (members with the most
 * partitions first, as Kafka orders them), then those the group has committed offsets for
 * that no member owns.
 */
export function partitionsToDescribe(
  members: readonly MemberPartitions[],
  committedOffsets: readonly (TopicPartitionRef & CommittedState)[],
): {
  owned: { member: MemberPartitions; partitions: TopicPartitionRef[] }[];
  unowned: TopicPartitionRef[];
} {
  const withPartitions = members
    .filter((m) => m.partitions.length > 0)
    .map((m, index) => ({ m, index }))
    // Stable: equal sizes keep the broker's member order.
    .sort((a, b) => b.m.partitions.length - a.m.partitions.length || a.index - b.index)
    .map(({ m }) => m);
  const assigned = new Set<string>();
  const owned = withPartitions.map((member) => {
    const partitions = [...member.partitions].sort(compareTopicPartitions);
    for (const tp of partitions) assigned.add(partitionKey(tp));
    return { member, partitions };
  });
  const committed = committedByPartition(committedOffsets);
  const unowned = [...committed.keys()]
    .filter((k) => !assigned.has(k))
    .map((k) => committed.get(k)!.partition)
    .sort(compareTopicPartitions);
  return { owned, unowned };
}

/** The committed offsets that are set (not -1), by partitionKey. */
function committedByPartition(
  offsets: readonly (TopicPartitionRef & CommittedState)[],
): Map<string, CommittedState & { partition: TopicPartitionRef }> {
  const out = new Map<string, CommittedState & { partition: TopicPartitionRef }>();
  for (const o of offsets) {
    if (o.offset < 0n) continue;
    out.set(partitionKey(o), {
      offset: o.offset,
      leaderEpoch: o.leaderEpoch,
      partition: { topic: o.topic, partition: o.partition },
    });
  }
  return out;
}

/**
 * The rows of `--describe --offsets` for one group; `logEndOffsets` is keyed by
 * partitionKey (null or absent: unknown).
 */
export function offsetRows(
  group: string,
  members: readonly MemberPartitions[],
  committedOffsets: readonly (TopicPartitionRef & CommittedState)[],
  logEndOffsets: ReadonlyMap<string, bigint | null>,
): OffsetRow[] {
  const committed = committedByPartition(committedOffsets);
  const { owned, unowned } = partitionsToDescribe(members, committedOffsets);
  const row = (tp: TopicPartitionRef, consumerId: string, host: string, clientId: string) => {
    const c = committed.get(partitionKey(tp)) ?? null;
    const logEndOffset = logEndOffsets.get(partitionKey(tp)) ?? null;
    return {
      group,
      topic: tp.topic,
      partition: tp.partition,
      leaderEpoch: c !== null && c.leaderEpoch >= 0 ? c.leaderEpoch : null,
      currentOffset: c?.offset ?? null,
      logEndOffset,
      lag: partitionLag(c?.offset ?? null, logEndOffset),
      consumerId,
      host,
      clientId,
    };
  };
  return [
    ...owned.flatMap(({ member, partitions }) =>
      partitions.map((tp) => row(tp, member.consumerId, member.host, member.clientId)),
    ),
    ...unowned.map((tp) =>
      row(tp, MISSING_COLUMN_VALUE, MISSING_COLUMN_VALUE, MISSING_COLUMN_VALUE),
    ),
  ];
}

/** `--describe --offsets` (`--verbose` adds LEADER-EPOCH): a blank line, header, rows. */
export function formatOffsetsTable(rows: readonly OffsetRow[], verbose: boolean): string {
  const widths = [
    widest(15, rows, (r) => r.group),
    widest(15, rows, (r) => r.topic ?? MISSING_COLUMN_VALUE),
    10,
    ...(verbose ? [15] : []),
    15,
    15,
    15,
    widest(15, rows, (r) => r.consumerId),
    widest(15, rows, (r) => r.host),
  ];
  const line = (values: string[]): string => `\n${columns(widths, values)}`;
  let out = line([
    'GROUP',
    'TOPIC',
    'PARTITION',
    ...(verbose ? ['LEADER-EPOCH'] : []),
    'CURRENT-OFFSET',
    'LOG-END-OFFSET',
    'LAG',
    'CONSUMER-ID',
    'HOST',
    'CLIENT-ID',
  ]);
  for (const r of rows) {
    out += line([
      r.group,
      r.topic ?? MISSING_COLUMN_VALUE,
      text(r.partition),
      ...(verbose ? [text(r.leaderEpoch)] : []),
      text(r.currentOffset),
      text(r.logEndOffset),
      text(r.lag),
      r.consumerId,
      r.host,
      r.clientId,
    ]);
  }
  return `${out}\n`;
}

/** One line of `--describe --members`. */
export interface MemberRow {
  group: string;
  consumerId: string;
  groupInstanceId: string;
  host: string;
  clientId: string;
  partitions: readonly TopicPartitionRef[];
}

/** `--verbose`'s ASSIGNMENT: `topic(0,1,2), other(0)`, or '-' when nothing is assigned. */
export function assignmentString(partitions: readonly TopicPartitionRef[]): string {
  if (partitions.length === 0) return MISSING_COLUMN_VALUE;
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions)
    byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  return [...byTopic]
    .map(([topic, list]) => `${topic}(${[...list].sort((a, b) => a - b).join(',')})`)
    .sort()
    .join(', ');
}

/**
 * `--describe --members`: GROUP CONSUMER-ID [GROUP-INSTANCE-ID] HOST CLIENT-ID #PARTITIONS,
 * with ASSIGNMENT under `--verbose`. The instance id column appears only when a member has one.
 */
export function formatMembersTable(rows: readonly MemberRow[], verbose: boolean): string {
  const withInstanceId = rows.some((r) => r.groupInstanceId !== '');
  const widths = [
    widest(15, rows, (r) => r.group),
    widest(15, rows, (r) => r.consumerId),
    ...(withInstanceId ? [widest(17, rows, (r) => r.groupInstanceId)] : []),
    widest(15, rows, (r) => r.host),
    widest(15, rows, (r) => r.clientId),
    15,
  ];
  // Kafka's member format ends every cell, #PARTITIONS included, with a space.
  const line = (values: string[], assignment: string): string =>
    `${columns(widths, [...values, verbose ? assignment : ''])}\n`;
  let out = `\n${line(
    [
      'GROUP',
      'CONSUMER-ID',
      ...(withInstanceId ? ['GROUP-INSTANCE-ID'] : []),
      'HOST',
      'CLIENT-ID',
      '#PARTITIONS',
    ],
    'ASSIGNMENT',
  )}`;
  for (const r of rows) {
    out += line(
      [
        r.group,
        r.consumerId,
        ...(withInstanceId ? [r.groupInstanceId] : []),
        r.host,
        r.clientId,
        String(r.partitions.length),
      ],
      assignmentString(r.partitions),
    );
  }
  return out;
}

export interface GroupStateRow {
  group: string;
  coordinator: { nodeId: number; host: string; port: number };
  assignmentStrategy: string;
  state: string;
  members: number;
}

/**
 * `--describe --state`: GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS (Kafka's
 * `--verbose` adds the epochs of KIP-848 groups, which classic groups do not have: '-').
 */
export function formatStateTable(row: GroupStateRow, verbose: boolean): string {
  const coordinator = `${row.coordinator.host}:${row.coordinator.port}  (${row.coordinator.nodeId})`;
  const widths = [
    Math.max(15, row.group.length),
    Math.max(25, coordinator.length),
    20,
    20,
    ...(verbose ? [15, 25] : []),
  ];
  const strategy = row.assignmentStrategy === '' ? MISSING_COLUMN_VALUE : row.assignmentStrategy;
  const header = ['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE'];
  const values = [row.group, coordinator, strategy, row.state];
  if (verbose) {
    header.push('GROUP-EPOCH', 'TARGET-ASSIGNMENT-EPOCH');
    values.push(MISSING_COLUMN_VALUE, MISSING_COLUMN_VALUE);
  }
  header.push('#MEMBERS');
  values.push(String(row.members));
  return `\n${columns(widths, header)}\n${columns(widths, values)}\n`;
}

export interface ListedGroupRow {
  groupId: string;
  /** As Kafka prints it: Classic, Consumer, ... */
  type: string;
  state: string;
}

/** `--list --state` / `--list --type`: GROUP [TYPE] [STATE], the group column 10 wider than needed. */
export function formatGroupList(
  groups: readonly ListedGroupRow[],
  showType: boolean,
  showState: boolean,
): string {
  // Every column is padded, the last one too: Kafka's lines end in spaces.
  const widths = [
    widest(15, groups, (g) => g.groupId) + 10,
    ...(showType ? [20] : []),
    ...(showState ? [20] : []),
  ];
  const line = (group: string, type: string, state: string): string =>
    `${columns(widths, [group, ...(showType ? [type] : []), ...(showState ? [state] : [])])}\n`;
  return (
    line('GROUP', 'TYPE', 'STATE') + groups.map((g) => line(g.groupId, g.type, g.state)).join('')
  );
}

/** The reset plan table (GroupOffsetsResetter.printOffsetsToReset). */
export function formatResetPlan(plans: ReadonlyMap<string, readonly PlannedOffset[]>): string {
  const widths = [
    widest(15, plans.keys(), (group) => group),
    widest(15, [...plans.values()].flat(), (o) => o.topic),
    10,
  ];
  const line = (values: string[]): string => `\n${columns(widths, values)}`;
  let out = plans.size > 0 ? line(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']) : '';
  for (const [group, offsets] of plans) {
    for (const o of offsets) out += line([group, o.topic, String(o.partition), String(o.offset)]);
  }
  return `${out}\n`;
}

export interface DeleteOffsetsRow {
  topic: string;
  /** -1: the topic itself failed (e.g. it does not exist). */
  partition: number;
  /** Null: deleted. */
  error: string | null;
}

/** `--delete-offsets`' per-partition table: TOPIC PARTITION STATUS. */
export function formatDeleteOffsetsTable(rows: readonly DeleteOffsetsRow[]): string {
  // STATUS is padded to 15 as well, so its lines end in spaces.
  const widths = [widest(15, rows, (r) => r.topic), 10, 15];
  const line = (values: string[]): string => `\n${columns(widths, values)}`;
  let out = line(['TOPIC', 'PARTITION', 'STATUS']);
  for (const r of [...rows].sort(compareTopicPartitions)) {
    out += line([
      r.topic,
      r.partition >= 0 ? String(r.partition) : MISSING_COLUMN_VALUE,
      r.error === null ? 'Successful' : `Error: ${r.error}`,
    ]);
  }
  return `${out}\n`;
}

/** `--delete`'s summary. */
export function formatDeleteGroupsResult(
  results: readonly { groupId: string; error: string | null }[],
): { text: string; failed: boolean } {
  const quoted = (ids: string[]): string => ids.map((g) => `'${g}'`).join(', ');
  const succeeded = results.filter((r) => r.error === null).map((r) => r.groupId);
  const failures = results.filter((r) => r.error !== null);
  if (failures.length === 0) {
    return {
      text: `Deletion of requested consumer groups (${quoted(succeeded)}) was successful.\n`,
      failed: false,
    };
  }
  let out = '\nError: Deletion of some consumer groups failed:\n';
  for (const f of failures)
    out += `* Group '${f.groupId}' could not be deleted due to: ${f.error}\n`;
  if (succeeded.length > 0) {
    out += `\nThese consumer groups were deleted successfully: ${quoted(succeeded)}\n`;
  }
  return { text: out, failed: true };
}

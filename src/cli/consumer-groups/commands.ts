/**
 * `bin/kafka-consumer-groups` (Kafka's ConsumerGroupCommand): list, describe, delete, reset
 * offsets of and delete offsets from consumer groups, over the internal client. Output goes
 * through a ToolIO so the command can run in-process in tests.
 *
 * As in Kafka, results and errors of the command ("\nError: ...") are printed on stdout,
 * group-state notes and warnings on stderr, and a command line Kafka refuses prints its
 * message and the usage on stderr. The exit code is 1 when anything failed (Kafka's tool
 * exits 0 after printing most errors; scripts need to tell).
 */
import { readFile } from 'node:fs/promises';
import { CommanderError, type Command } from 'commander';
import {
  decodeConsumerAssignment,
  assignedTopicPartitions,
  CONSUMER_PROTOCOL_TYPE,
} from '../../client/consumer-protocol.js';
import {
  GroupAdmin,
  groupTypeOf,
  type GroupCoordinator,
  type ListedGroup,
  type TopicPartitionRef,
} from '../../client/group-admin.js';
import { KafkaClient, OffsetSpec, throwIfError } from '../../client/kafka-client.js';
import { describeError } from '../../client/tool-support.js';
import { readPropertiesFile } from '../../config/properties-file.js';
import { ErrorCode, KafkaError, errorInfo } from '../../protocol/errors.js';
import {
  formatDeleteGroupsResult,
  formatDeleteOffsetsTable,
  formatGroupList,
  formatMembersTable,
  formatOffsetsTable,
  formatResetPlan,
  formatStateTable,
  offsetRows,
  partitionKey,
  partitionsToDescribe,
  type DeleteOffsetsRow,
  type MemberPartitions,
} from './format.js';
import {
  buildProgram,
  UsageError,
  validateOptions,
  type ConsumerGroupsCommand,
  type DeleteCommand,
  type DeleteOffsetsCommand,
  type DescribeCommand,
  type GroupSelection,
  type ListCommand,
  type RawOptions,
  type ResetOffsetsCommand,
} from './options.js';
import {
  compareTopicPartitions,
  exportResetPlanCsv,
  factsNeeded,
  parseResetPlanCsv,
  planReset,
  ResetPlanError,
  type PlannedOffset,
} from './reset-plan.js';

export interface ToolIO {
  out(text: string): void;
  err(text: string): void;
}

const REBALANCING_STATES = new Set([
  'PreparingRebalance',
  'CompletingRebalance',
  'Assigning',
  'Reconciling',
]);

const errorText = (code: number): string => `${errorInfo(code).name}: ${errorInfo(code).message}`;

function uniquePartitions(partitions: readonly TopicPartitionRef[]): TopicPartitionRef[] {
  const seen = new Map<string, TopicPartitionRef>();
  for (const tp of partitions) {
    if (!seen.has(partitionKey(tp)))
      seen.set(partitionKey(tp), { topic: tp.topic, partition: tp.partition });
  }
  return [...seen.values()];
}

/** A described consumer group with each member's assignment decoded. */
interface ConsumerGroup {
  groupId: string;
  state: string;
  assignmentStrategy: string;
  coordinator: GroupCoordinator;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    partitions: TopicPartitionRef[];
  }[];
}

/** Listed groups that are consumer groups (what Kafka's ListGroupsOptions.forConsumerGroups keeps). */
function isConsumerGroup(group: ListedGroup): boolean {
  const protocolOk = group.protocolType === CONSUMER_PROTOCOL_TYPE || group.protocolType === '';
  const type = groupTypeOf(group);
  return protocolOk && (type === 'classic' || type === 'consumer');
}

const capitalized = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export class ConsumerGroupService {
  /** Set once anything was reported as an error; the exit code becomes 1. */
  failed = false;

  constructor(
    private readonly client: KafkaClient,
    private readonly admin: GroupAdmin,
    private readonly io: ToolIO,
  ) {}

  private printError(message: string): void {
    this.io.out(`\nError: ${message}\n`);
    this.failed = true;
  }

  async run(command: ConsumerGroupsCommand): Promise<void> {
    switch (command.action) {
      case 'list':
        return this.list(command);
      case 'describe':
        return this.describe(command);
      case 'delete':
        return this.deleteGroups(command);
      case 'reset-offsets':
        return this.resetOffsets(command);
      case 'delete-offsets':
        return this.deleteOffsets(command);
    }
  }

  private async listConsumerGroups(
    filter: { states?: string[]; types?: string[] } = {},
  ): Promise<ListedGroup[]> {
    return (await this.admin.listGroups(filter)).filter(isConsumerGroup);
  }

  private async groupIds(selection: GroupSelection): Promise<string[]> {
    if (!selection.all) return selection.ids;
    return (await this.listConsumerGroups()).map((g) => g.groupId);
  }

  private async list(command: ListCommand): Promise<void> {
    const groups = await this.listConsumerGroups({ states: command.states, types: command.types });
    if (!command.showState && !command.showType) {
      for (const g of groups) this.io.out(`${g.groupId}\n`);
      return;
    }
    this.io.out(
      formatGroupList(
        groups.map((g) => ({
          groupId: g.groupId,
          type: capitalized(groupTypeOf(g)),
          state: g.groupState === '' ? 'Unknown' : g.groupState,
        })),
        command.showType,
        command.showState,
      ),
    );
  }

  /** DescribeGroups, decoded, sorted by group id; a group the coordinator does not know is Dead. */
  private async describeConsumerGroups(groupIds: readonly string[]): Promise<ConsumerGroup[]> {
    if (groupIds.length === 0) return [];
    const described = await this.admin.describeGroups(groupIds);
    return described
      .map((d) => {
        if (d.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) {
          return {
            groupId: d.groupId,
            state: 'Dead',
            assignmentStrategy: '',
            coordinator: d.coordinator,
            members: [],
          };
        }
        throwIfError(d.errorCode, null, `group ${d.groupId}`);
        if (d.protocolType !== CONSUMER_PROTOCOL_TYPE && d.protocolType !== '') {
          throw new UsageError(`GroupId ${d.groupId} is not a consumer group (${d.protocolType}).`);
        }
        return {
          groupId: d.groupId,
          state: d.groupState,
          assignmentStrategy: d.protocolData,
          coordinator: d.coordinator,
          members: d.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            partitions: assignedTopicPartitions(decodeConsumerAssignment(m.memberAssignment)),
          })),
        };
      })
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** Kafka's note on the group's state; whether there is a table to print. */
  private shouldPrintMemberState(group: string, state: string, rows: number): boolean {
    if (state === 'Dead') {
      this.printError(`Consumer group '${group}' does not exist.`);
    } else if (state === 'Empty') {
      this.io.err(`\nConsumer group '${group}' has no active members.\n`);
    } else if (REBALANCING_STATES.has(state)) {
      this.io.err(`\nWarning: Consumer group '${group}' is rebalancing.\n`);
    } else if (state !== 'Stable') {
      throw new Error(`Expected a valid consumer group state, but found '${state}'.`);
    }
    return state !== 'Dead' && rows > 0;
  }

  private async describe(command: DescribeCommand): Promise<void> {
    const groups = await this.describeConsumerGroups(await this.groupIds(command.groups));
    for (const group of groups) {
      switch (command.view) {
        case 'offsets':
          await this.describeOffsets(group, command.verbose);
          break;
        case 'members': {
          const rows = group.members.map((m) => ({
            group: group.groupId,
            consumerId: m.memberId,
            groupInstanceId: m.groupInstanceId ?? '',
            host: m.clientHost,
            clientId: m.clientId,
            partitions: m.partitions,
          }));
          if (this.shouldPrintMemberState(group.groupId, group.state, rows.length)) {
            this.io.out(formatMembersTable(rows, command.verbose));
          }
          break;
        }
        case 'state':
          if (this.shouldPrintMemberState(group.groupId, group.state, 1)) {
            this.io.out(
              formatStateTable(
                {
                  group: group.groupId,
                  coordinator: group.coordinator,
                  assignmentStrategy: group.assignmentStrategy,
                  state: group.state,
                  members: group.members.length,
                },
                command.verbose,
              ),
            );
          }
          break;
      }
    }
  }

  private async describeOffsets(group: ConsumerGroup, verbose: boolean): Promise<void> {
    if (group.state === 'Dead') {
      this.shouldPrintMemberState(group.groupId, group.state, 0);
      return;
    }
    const committed = (await this.admin.fetchOffsets(group.groupId, null)).filter(
      (c) => c.errorCode === ErrorCode.NONE,
    );
    const members: MemberPartitions[] = group.members.map((m) => ({
      consumerId: m.memberId,
      host: m.clientHost,
      clientId: m.clientId,
      partitions: m.partitions,
    }));
    const { owned, unowned } = partitionsToDescribe(members, committed);
    const partitions = [...owned.flatMap((o) => o.partitions), ...unowned];
    const logEnd = await this.logOffsets(partitions, OffsetSpec.LATEST);
    const rows = offsetRows(group.groupId, members, committed, logEnd);
    if (this.shouldPrintMemberState(group.groupId, group.state, rows.length)) {
      this.io.out(formatOffsetsTable(rows, verbose));
    }
  }

  /**
   * ListOffsets for each partition (`spec` is OffsetSpec.* or a timestamp); a partition whose
   * offset cannot be had (no leader, deleted topic) maps to null rather than failing the rest.
   */
  private async logOffsets(
    partitions: readonly TopicPartitionRef[],
    spec: bigint,
  ): Promise<Map<string, bigint | null>> {
    const out = new Map<string, bigint | null>();
    const byTopic = new Map<string, number[]>();
    for (const tp of partitions)
      byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    for (const [topic, list] of byTopic) {
      try {
        const answers = await this.client.listOffsets(topic, list, spec);
        for (const p of list)
          out.set(partitionKey({ topic, partition: p }), answers.get(p)?.offset ?? null);
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        // One bad partition fails the topic's request: ask again one by one.
        for (const p of list) {
          const answer = await this.client
            .listOffsets(topic, [p], spec)
            .then((m) => m.get(p)?.offset ?? null)
            .catch((e: unknown) => {
              if (e instanceof KafkaError) return null;
              throw e;
            });
          out.set(partitionKey({ topic, partition: p }), answer);
        }
      }
    }
    return out;
  }

  private async deleteGroups(command: DeleteCommand): Promise<void> {
    const ids = await this.groupIds(command.groups);
    const results = ids.length > 0 ? await this.admin.deleteGroups(ids) : [];
    const { text, failed } = formatDeleteGroupsResult(
      results.map((r) => ({
        groupId: r.groupId,
        error: r.errorCode === ErrorCode.NONE ? null : errorText(r.errorCode),
      })),
    );
    this.io.out(text);
    if (failed) this.failed = true;
  }

  private async resetOffsets(command: ResetOffsetsCommand): Promise<void> {
    const ids = await this.groupIds(command.groups);
    const filePlans =
      command.strategy.kind === 'from-file'
        ? parseResetPlanCsv(
            await readFile(command.strategy.path, 'utf8'),
            command.groups.all ? [] : command.groups.ids,
          )
        : null;
    const described = ids.length > 0 ? await this.admin.describeGroups(ids) : [];
    const plans = new Map<string, PlannedOffset[]>();
    for (const d of [...described].sort((a, b) => (a.groupId < b.groupId ? -1 : 1))) {
      let state: string;
      if (d.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) state = 'Dead';
      else {
        throwIfError(d.errorCode, null, `group ${d.groupId}`);
        state = d.groupState;
      }
      if (state === 'Empty' || state === 'Dead') {
        plans.set(d.groupId, await this.resetInactiveGroup(d.groupId, command, filePlans));
      } else {
        this.printError(
          `Assignments can only be reset if the group '${d.groupId}' is inactive, but the current state is ${state}.`,
        );
        plans.set(d.groupId, []);
      }
    }
    if (command.exportCsv) {
      const singleGroup = !command.groups.all && command.groups.ids.length === 1;
      this.io.out(`${exportResetPlanCsv(plans, !singleGroup)}\n`);
    } else {
      this.io.out(formatResetPlan(plans));
    }
  }

  private async resetInactiveGroup(
    groupId: string,
    command: ResetOffsetsCommand,
    filePlans: ReadonlyMap<string, PlannedOffset[]> | null,
  ): Promise<PlannedOffset[]> {
    const { strategy } = command;
    let partitions: TopicPartitionRef[];
    const requested = new Map<string, bigint>();
    if (filePlans !== null) {
      const plan = filePlans.get(groupId);
      if (!plan) {
        this.printError(`No reset plan for group ${groupId} found.`);
        return [];
      }
      for (const o of plan) requested.set(partitionKey(o), o.offset);
      partitions = plan;
    } else if (command.scope?.kind === 'all-topics') {
      partitions = (await this.admin.fetchOffsets(groupId, null))
        .filter((c) => c.errorCode === ErrorCode.NONE && c.offset >= 0n)
        .map((c) => ({ topic: c.topic, partition: c.partition }));
    } else {
      partitions = [];
      for (const arg of command.scope?.topics ?? []) {
        if (arg.partitions !== null) {
          partitions.push(...arg.partitions.map((partition) => ({ topic: arg.topic, partition })));
        } else {
          const info = await this.client.topic(arg.topic, true);
          partitions.push(
            ...info.partitions.map((p) => ({ topic: arg.topic, partition: p.partition })),
          );
        }
      }
    }
    partitions = uniquePartitions(partitions).sort(compareTopicPartitions);
    await this.checkPartitionsValid(partitions);

    const needed = factsNeeded(strategy);
    const none = new Map<string, bigint | null>();
    const logStart = needed.logStart
      ? await this.logOffsets(partitions, OffsetSpec.EARLIEST)
      : none;
    const logEnd = needed.logEnd ? await this.logOffsets(partitions, OffsetSpec.LATEST) : none;
    const committed = new Map<string, bigint>();
    if (needed.committed && partitions.length > 0) {
      for (const c of await this.admin.fetchOffsets(groupId, partitions)) {
        if (c.errorCode === ErrorCode.NONE && c.offset >= 0n)
          committed.set(partitionKey(c), c.offset);
      }
    }
    let byTimestamp = none;
    if (needed.byTimestamp) {
      const timestamp =
        strategy.kind === 'to-datetime'
          ? strategy.timestampMs
          : strategy.kind === 'by-duration'
            ? BigInt(Date.now()) - strategy.durationMs
            : OffsetSpec.LATEST;
      byTimestamp = await this.logOffsets(partitions, timestamp);
    }
    const plan = planReset(strategy, partitions, (tp) => ({
      logStartOffset: logStart.get(partitionKey(tp)) ?? null,
      logEndOffset: logEnd.get(partitionKey(tp)) ?? null,
      committedOffset: committed.get(partitionKey(tp)) ?? null,
      offsetForTimestamp: byTimestamp.get(partitionKey(tp)) ?? null,
      requestedOffset: requested.get(partitionKey(tp)) ?? null,
    }));
    for (const warning of plan.warnings) this.io.err(`WARN: ${warning}\n`);
    for (const notice of plan.notices) this.io.out(`${notice}\n`);
    if (command.execute && plan.offsets.length > 0) {
      await this.admin.commitOffsets(groupId, plan.offsets);
    }
    return plan.offsets;
  }

  /** Every partition must exist and have a leader (GroupOffsetsResetter.checkAllTopicPartitionsValid). */
  private async checkPartitionsValid(partitions: readonly TopicPartitionRef[]): Promise<void> {
    const missing: string[] = [];
    const leaderless: string[] = [];
    for (const topic of new Set(partitions.map((tp) => tp.topic))) {
      const info = await this.client.topic(topic, true);
      for (const tp of partitions.filter((x) => x.topic === topic)) {
        const p = info.partitions.find((x) => x.partition === tp.partition);
        if (!p) missing.push(`${topic}-${tp.partition}`);
        else if (p.leader < 0) leaderless.push(`${topic}-${tp.partition}`);
      }
    }
    if (missing.length > 0) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `The partitions "${missing.join(',')}" do not exist`,
      );
    }
    if (leaderless.length > 0) {
      throw new KafkaError(
        ErrorCode.LEADER_NOT_AVAILABLE,
        `The partitions "${leaderless.join(',')}" have no leader`,
      );
    }
  }

  private async deleteOffsets(command: DeleteOffsetsCommand): Promise<void> {
    const rows: DeleteOffsetsRow[] = [];
    const partitions: TopicPartitionRef[] = [];
    for (const arg of command.topics) {
      if (arg.partitions !== null) {
        partitions.push(...arg.partitions.map((partition) => ({ topic: arg.topic, partition })));
        continue;
      }
      try {
        const info = await this.client.topic(arg.topic, true);
        partitions.push(
          ...info.partitions.map((p) => ({ topic: arg.topic, partition: p.partition })),
        );
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        rows.push({ topic: arg.topic, partition: -1, error: errorText(err.code) });
      }
    }
    const wanted = uniquePartitions(partitions).sort(compareTopicPartitions);
    const result = await this.admin.deleteOffsets(command.group, wanted);
    const answered = new Map(result.partitions.map((p) => [partitionKey(p), p.errorCode]));
    const codes = wanted.map((tp) =>
      result.errorCode !== ErrorCode.NONE
        ? result.errorCode
        : (answered.get(partitionKey(tp)) ?? ErrorCode.UNKNOWN_SERVER_ERROR),
    );
    wanted.forEach((tp, i) =>
      rows.push({
        ...tp,
        error: codes[i] === ErrorCode.NONE ? null : errorText(codes[i]),
      }),
    );
    // As Kafka's admin result: the group error, else the first partition error.
    const overall =
      result.errorCode !== ErrorCode.NONE
        ? result.errorCode
        : (codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE);
    switch (overall) {
      case ErrorCode.NONE:
        this.io.out(`Request succeeded for deleting offsets from group ${command.group}.\n`);
        break;
      case ErrorCode.INVALID_GROUP_ID:
      case ErrorCode.GROUP_ID_NOT_FOUND:
      case ErrorCode.GROUP_AUTHORIZATION_FAILED:
      case ErrorCode.NON_EMPTY_GROUP:
        this.printError(errorInfo(overall).message);
        break;
      case ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC:
      case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
      case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
        this.printError('Encountered some partition-level error, see the follow-up details.');
        break;
      default:
        this.printError(`Encountered some unknown error: ${errorInfo(overall).name}`);
    }
    this.io.out(formatDeleteOffsetsTable(rows));
    if (rows.some((r) => r.error !== null)) this.failed = true;
  }
}

/** Client settings from --command-config: the keys this client can honour, others ignored. */
async function clientSettings(
  command: ConsumerGroupsCommand,
): Promise<{ clientId: string; requestTimeoutMs: number }> {
  const props = command.commandConfig ? await readPropertiesFile(command.commandConfig) : {};
  const protocol = props['security.protocol'];
  if (protocol !== undefined && protocol.trim().toUpperCase() !== 'PLAINTEXT') {
    // Connecting in plaintext anyway would not be what the file asks for.
    throw new Error(
      `security.protocol=${protocol} is not supported: this tool connects in PLAINTEXT`,
    );
  }
  const timeout = Number(props['request.timeout.ms']);
  return {
    clientId: props['client.id'] ?? 'kafka-consumer-groups',
    requestTimeoutMs: Number.isInteger(timeout) && timeout > 0 ? timeout : command.timeoutMs,
  };
}

function printUsage(io: ToolIO, program: Command, message: string): void {
  io.err(`${message}\n${program.helpInformation()}`);
}

/** Parses the command line, runs the command and returns the exit code. */
export async function runConsumerGroups(argv: readonly string[], io: ToolIO): Promise<number> {
  const program = buildProgram()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  let command: ConsumerGroupsCommand;
  try {
    const validated = validateOptions(program.opts<RawOptions>());
    for (const warning of validated.warnings) io.err(`${warning}\n`);
    command = validated.command;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    printUsage(io, program, err.message);
    return 1;
  }

  let client: KafkaClient | null = null;
  try {
    const settings = await clientSettings(command);
    client = new KafkaClient({
      bootstrapServers: command.bootstrapServer,
      clientId: settings.clientId,
      requestTimeoutMs: settings.requestTimeoutMs,
    });
    const service = new ConsumerGroupService(
      client,
      new GroupAdmin(client, { retryTimeoutMs: command.timeoutMs }),
      io,
    );
    await service.run(command);
    return service.failed ? 1 : 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ResetPlanError) {
      printUsage(io, program, err.message);
      return 1;
    }
    io.out(`\nError: Executing consumer group command failed due to ${describeError(err)}\n`);
    return 1;
  } finally {
    await client?.close();
  }
}

/**
 * Command-line options of `bin/kafka-consumer-groups` (Kafka's ConsumerGroupCommandOptions):
 * the commander definition, and the checks Kafka makes before contacting any broker, with
 * Kafka's messages. Everything here is pure, so the rules can be tested without a broker.
 */
import { Command, Option } from 'commander';
import { collect } from '../../client/tool-support.js';
import {
  parseDuration,
  parseKafkaDateTime,
  parseTopicArg,
  type ResetStrategy,
  type TopicArg,
} from './reset-plan.js';

/** A command line Kafka would refuse with its usage text; the tool exits 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What commander hands over (option names in camelCase). */
export interface RawOptions {
  bootstrapServer?: string;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  resetOffsets?: boolean;
  deleteOffsets?: boolean;
  group?: string[];
  allGroups?: boolean;
  topic?: string[];
  allTopics?: boolean;
  members?: boolean;
  offsets?: boolean;
  verbose?: boolean;
  /** `--state` alone is `true`; `--state stable,empty` is the string. */
  state?: string | boolean;
  type?: string | boolean;
  timeout?: string;
  commandConfig?: string;
  dryRun?: boolean;
  execute?: boolean;
  export?: boolean;
  toOffset?: string;
  shiftBy?: string;
  toDatetime?: string;
  byDuration?: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toCurrent?: boolean;
  fromFile?: string;
}

export type GroupSelection = { all: true } | { all: false; ids: string[] };

export interface CommonSettings {
  bootstrapServer: string;
  timeoutMs: number;
  commandConfig: string | null;
}

export interface ListCommand {
  action: 'list';
  /** Print the STATE column; `states` filters when not empty. */
  showState: boolean;
  states: string[];
  showType: boolean;
  types: string[];
}

export interface DescribeCommand {
  action: 'describe';
  groups: GroupSelection;
  view: 'offsets' | 'members' | 'state';
  verbose: boolean;
}

export interface DeleteCommand {
  action: 'delete';
  groups: GroupSelection;
}

export type ResetScope = { kind: 'all-topics' } | { kind: 'topics'; topics: TopicArg[] };

export interface ResetOffsetsCommand {
  action: 'reset-offsets';
  groups: GroupSelection;
  /** Null with --from-file (the file names the partitions). */
  scope: ResetScope | null;
  strategy: ResetStrategy;
  execute: boolean;
  exportCsv: boolean;
}

export interface DeleteOffsetsCommand {
  action: 'delete-offsets';
  group: string;
  topics: TopicArg[];
}

export type ConsumerGroupsCommand = CommonSettings &
  (ListCommand | DescribeCommand | DeleteCommand | ResetOffsetsCommand | DeleteOffsetsCommand);

export interface ValidatedOptions {
  command: ConsumerGroupsCommand;
  /** Lines for stderr before anything runs (Kafka's WARN about a reset without --execute). */
  warnings: string[];
}

/** Kafka's consumer group states (GroupState.groupStatesForType(CONSUMER)). */
export const CONSUMER_GROUP_STATES = [
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
  'Empty',
  'Assigning',
  'Reconciling',
] as const;

/** The group types --list --type accepts, as Kafka prints them. */
export const CONSUMER_GROUP_TYPES = ['Classic', 'Consumer'] as const;

export const DEFAULT_TIMEOUT_MS = 5000;

const ACTIONS = ['list', 'describe', 'delete', 'reset-offsets', 'delete-offsets'] as const;

/** Reset scenarios in the order Kafka's usage names them. */
const RESET_SCENARIOS = [
  'to-offset',
  'shift-by',
  'to-datetime',
  'by-duration',
  'to-earliest',
  'to-latest',
  'to-current',
  'from-file',
] as const;

const WARN_NO_EXECUTE =
  'WARN: No action will be performed as the --execute option is missing. ' +
  'In a future major release, the default behavior of this command will be to prompt the user before ' +
  'executing the reset rather than doing a dry run. You should add the --dry-run option explicitly ' +
  'if you are scripting this command and want to keep the current default behavior without prompting.';

/** The commander program (its action is attached by the caller). */
export function buildProgram(): Command {
  return new Command('kafka-consumer-groups')
    .description(
      'This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.',
    )
    .helpOption('--help', 'Print usage information.')
    .option('--bootstrap-server <server>', 'REQUIRED: The server(s) to connect to.')
    .option('--list', 'List all consumer groups.')
    .option(
      '--describe',
      'Describe consumer group and list offset lag (number of messages not yet processed) related to given group.',
    )
    .option(
      '--delete',
      'Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2',
    )
    .option(
      '--reset-offsets',
      'Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive. ' +
        'Has 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. ' +
        'Additionally, the --export option is used to export the results to a CSV format. ' +
        'You must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, ' +
        '--to-latest, --shift-by, --from-file, --to-current, --to-offset. ' +
        "To define the scope use --all-topics or --topic. One scope must be specified unless you use '--from-file'.",
    )
    .option(
      '--delete-offsets',
      'Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.',
    )
    .option('--group <group>', 'The consumer group we wish to act on.', collect)
    .option('--all-groups', 'Apply to all consumer groups.')
    .option(
      '--topic <topic>',
      'The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. ' +
        'In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. ' +
        'Reset-offsets also supports multiple topic inputs.',
      collect,
    )
    .option(
      '--all-topics',
      'Consider all topics assigned to a group in the `reset-offsets` process.',
    )
    .option(
      '--members',
      "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only.",
    )
    .option(
      '--offsets',
      'Describe the group and list all topic partitions in the group along with their offset lag. ' +
        "This is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options only.",
    )
    .option(
      '--state [states]',
      "When specified with '--describe', includes the state of the group. " +
        "When specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states (e.g. stable,empty).",
    )
    .option(
      '--type [types]',
      "When specified with '--list', it displays the types of all the groups. It can also be used to list groups with specific types (classic,consumer).",
    )
    .option(
      '--verbose',
      "Provide additional information, if any, when describing the group. This option may be used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only.",
    )
    .option(
      '--timeout <ms>',
      'The timeout that can be set for some use cases. For example, it can be used when describing the group ' +
        'to specify the maximum amount of time in milliseconds to wait before the group stabilizes.',
      String(DEFAULT_TIMEOUT_MS),
    )
    .option(
      '--command-config <file>',
      'Property file containing configs to be passed to Admin Client and Consumer.',
    )
    .option(
      '--dry-run',
      'Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.',
    )
    .option('--execute', 'Execute operation. Supported operations: reset-offsets.')
    .option(
      '--export',
      'Export operation execution to a CSV file. Supported operations: reset-offsets.',
    )
    .option('--to-offset <offset>', 'Reset offsets to a specific offset.')
    .option(
      '--shift-by <n>',
      "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.",
    )
    .option(
      '--to-datetime <datetime>',
      "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'",
    )
    .option(
      '--by-duration <duration>',
      "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'",
    )
    .option('--to-earliest', 'Reset offsets to earliest offset.')
    .option('--to-latest', 'Reset offsets to latest offset.')
    .option('--to-current', 'Reset offsets to current offset.')
    .addOption(new Option('--from-file <path>', 'Reset offsets to values defined in CSV file.'));
}

function has(raw: RawOptions, name: string): boolean {
  const key = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()) as keyof RawOptions;
  const value = raw[key];
  if (Array.isArray(value)) return value.length > 0;
  return value !== undefined && value !== false;
}

/** joptsimple's names for options in messages: `[group]`. */
const bracket = (name: string): string => `[${name}]`;

function parseLong(value: string, option: string): bigint {
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new UsageError(`Cannot parse argument '${value}' of option ${option}`);
  }
  return BigInt(value.trim());
}

function parseStates(value: string): string[] {
  if (value === '') return [];
  const parsed = value.split(',').map((s) => {
    const match = CONSUMER_GROUP_STATES.find(
      (state) => state.toLowerCase() === s.trim().toLowerCase(),
    );
    if (!match) {
      throw new UsageError(
        `Invalid state list '${value}'. Valid states are: ${CONSUMER_GROUP_STATES.join(', ')}`,
      );
    }
    return match;
  });
  return [...new Set(parsed)];
}

function parseTypes(value: string): string[] {
  if (value === '') return [];
  const parsed = value.split(',').map((s) => {
    const match = CONSUMER_GROUP_TYPES.find((t) => t.toLowerCase() === s.trim().toLowerCase());
    if (!match) {
      throw new UsageError(
        `Invalid types list '${value}'. Valid types are: ${CONSUMER_GROUP_TYPES.join(', ')}`,
      );
    }
    return match.toLowerCase();
  });
  return [...new Set(parsed)];
}

function groupSelection(raw: RawOptions): GroupSelection {
  return raw.allGroups ? { all: true } : { all: false, ids: [...(raw.group ?? [])] };
}

/** Kafka's CommandLineUtils.checkInvalidArgs: `used` may not appear with any of `invalid`. */
function checkInvalidArgs(raw: RawOptions, used: string, invalid: readonly string[]): void {
  if (!has(raw, used)) return;
  for (const other of invalid) {
    if (has(raw, other)) {
      throw new UsageError(
        `Option "${bracket(used)}" can't be used with option "${bracket(other)}"`,
      );
    }
  }
}

function resetStrategy(raw: RawOptions, scenario: (typeof RESET_SCENARIOS)[number]): ResetStrategy {
  switch (scenario) {
    case 'to-offset':
      return { kind: 'to-offset', offset: parseLong(raw.toOffset!, 'to-offset') };
    case 'shift-by':
      return { kind: 'shift-by', shift: parseLong(raw.shiftBy!, 'shift-by') };
    case 'to-datetime':
      return { kind: 'to-datetime', timestampMs: parseKafkaDateTime(raw.toDatetime!) };
    case 'by-duration':
      return { kind: 'by-duration', durationMs: parseDuration(raw.byDuration!) };
    case 'to-earliest':
      return { kind: 'to-earliest' };
    case 'to-latest':
      return { kind: 'to-latest' };
    case 'to-current':
      return { kind: 'to-current' };
    case 'from-file':
      return { kind: 'from-file', path: raw.fromFile! };
  }
}

function parseTopicArgs(values: readonly string[]): TopicArg[] {
  try {
    return values.map(parseTopicArg);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Kafka's checks, in Kafka's order, then the parsing of every value the command needs. */
export function validateOptions(raw: RawOptions): ValidatedOptions {
  const warnings: string[] = [];
  // joptsimple's availableIf: sub-options only next to the actions they belong to.
  const unavailable = [
    ...(['members', 'verbose', 'offsets'] as const).filter(
      (o) => has(raw, o) && !has(raw, 'describe'),
    ),
    ...(has(raw, 'state') && !has(raw, 'describe') && !has(raw, 'list') ? ['state'] : []),
    ...(has(raw, 'type') && !has(raw, 'list') ? ['type'] : []),
  ];
  if (unavailable.length > 0) {
    throw new UsageError(
      `Option(s) [${unavailable.join(', ')}] are unavailable given other options on the command line`,
    );
  }

  if (!raw.bootstrapServer) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const scopeOptions = `${bracket('all-groups')}, ${bracket('group')}`;

  if (has(raw, 'describe')) {
    if (!has(raw, 'group') && !has(raw, 'all-groups')) {
      throw new UsageError(
        `Option ${bracket('describe')} takes one of these options: ${scopeOptions}`,
      );
    }
    const views = ['members', 'offsets', 'state'];
    if (views.filter((v) => has(raw, v)).length > 1) {
      throw new UsageError(
        `Option ${bracket('describe')} takes at most one of these options: ${views.map(bracket).join(', ')}`,
      );
    }
    if (typeof raw.state === 'string') {
      throw new UsageError(
        `Option ${bracket('describe')} does not take a value for ${bracket('state')}`,
      );
    }
  }

  if (has(raw, 'delete')) {
    if (!has(raw, 'group') && !has(raw, 'all-groups')) {
      throw new UsageError(
        `Option ${bracket('delete')} takes one of these options: ${scopeOptions}`,
      );
    }
    if (has(raw, 'topic')) {
      throw new UsageError(
        'The consumer does not support topic-specific offset deletion from a consumer group.',
      );
    }
  }

  if (has(raw, 'delete-offsets')) {
    if (!has(raw, 'group') || !has(raw, 'topic')) {
      throw new UsageError(
        `Option ${bracket('delete-offsets')} takes the following options: ${bracket('group')}, ${bracket('topic')}`,
      );
    }
  }

  if (has(raw, 'reset-offsets')) {
    if (has(raw, 'dry-run') && has(raw, 'execute')) {
      throw new UsageError(
        `Option ${bracket('reset-offsets')} only accepts one of ${bracket('execute')} and ${bracket('dry-run')}`,
      );
    }
    if (!has(raw, 'dry-run') && !has(raw, 'execute')) warnings.push(WARN_NO_EXECUTE);
    if (!has(raw, 'group') && !has(raw, 'all-groups')) {
      throw new UsageError(
        `Option ${bracket('reset-offsets')} takes one of these options: ${scopeOptions}`,
      );
    }
    for (const scenario of RESET_SCENARIOS) {
      checkInvalidArgs(
        raw,
        scenario,
        RESET_SCENARIOS.filter((s) => s !== scenario),
      );
    }
  }

  checkInvalidArgs(raw, 'group', ['all-groups']);
  checkInvalidArgs(raw, 'group', ['list']);
  checkInvalidArgs(raw, 'topic', ['list', 'describe']);

  const actions = ACTIONS.filter((a) => has(raw, a));
  if (actions.length !== 1) {
    throw new UsageError(
      `Command must include exactly one action: ${ACTIONS.map((a) => `--${a}`).join(', ')}`,
    );
  }

  const timeout = parseLong(raw.timeout ?? String(DEFAULT_TIMEOUT_MS), 'timeout');
  if (timeout <= 0n) throw new UsageError(`The timeout must be positive, not ${timeout}`);
  const common: CommonSettings = {
    bootstrapServer: raw.bootstrapServer,
    timeoutMs: Number(timeout),
    commandConfig: raw.commandConfig ?? null,
  };

  switch (actions[0]) {
    case 'list': {
      const showState = has(raw, 'state');
      const showType = has(raw, 'type');
      return {
        command: {
          ...common,
          action: 'list',
          showState,
          states: typeof raw.state === 'string' ? parseStates(raw.state) : [],
          showType,
          types: typeof raw.type === 'string' ? parseTypes(raw.type) : [],
        },
        warnings,
      };
    }
    case 'describe': {
      const view = has(raw, 'members') ? 'members' : has(raw, 'state') ? 'state' : 'offsets';
      return {
        command: {
          ...common,
          action: 'describe',
          groups: groupSelection(raw),
          view,
          verbose: has(raw, 'verbose'),
        },
        warnings,
      };
    }
    case 'delete':
      return { command: { ...common, action: 'delete', groups: groupSelection(raw) }, warnings };
    case 'delete-offsets': {
      // Kafka reads the group with valueOf, which refuses several.
      const groups = raw.group ?? [];
      if (groups.length > 1) {
        throw new UsageError(
          'Found multiple arguments for option group, but you asked for only one',
        );
      }
      return {
        command: {
          ...common,
          action: 'delete-offsets',
          group: groups[0],
          topics: parseTopicArgs(raw.topic ?? []),
        },
        warnings,
      };
    }
    case 'reset-offsets': {
      const scenario = RESET_SCENARIOS.find((s) => has(raw, s));
      if (!scenario) {
        throw new UsageError(
          `Option '${bracket('reset-offsets')}' requires one of the following scenarios: [${RESET_SCENARIOS.map(bracket).join(', ')}]`,
        );
      }
      let strategy: ResetStrategy;
      try {
        strategy = resetStrategy(raw, scenario);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(err instanceof Error ? err.message : String(err));
      }
      let scope: ResetScope | null = null;
      if (has(raw, 'all-topics')) scope = { kind: 'all-topics' };
      else if (has(raw, 'topic')) {
        scope = { kind: 'topics', topics: parseTopicArgs(raw.topic ?? []) };
      } else if (scenario !== 'from-file') {
        throw new UsageError('One of the reset scopes should be defined: --all-topics, --topic.');
      }
      return {
        command: {
          ...common,
          action: 'reset-offsets',
          groups: groupSelection(raw),
          scope,
          strategy,
          execute: has(raw, 'execute'),
          exportCsv: has(raw, 'export'),
        },
        warnings,
      };
    }
  }
}

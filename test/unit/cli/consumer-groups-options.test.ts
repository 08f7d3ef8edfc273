import { describe, expect, it } from 'vitest';
import {
  buildProgram,
  UsageError,
  validateOptions,
  type RawOptions,
  type ValidatedOptions,
} from '../../../src/cli/consumer-groups/options.js';

/** Kafka's argument checks for kafka-consumer-groups, without a broker. */

function parse(...args: string[]): ValidatedOptions {
  const program = buildProgram().exitOverride();
  program.parse(['--bootstrap-server', 'localhost:9092', ...args], { from: 'user' });
  return validateOptions(program.opts<RawOptions>());
}

function usageError(...args: string[]): string {
  try {
    parse(...args);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`accepted: ${args.join(' ')}`);
}

describe('kafka-consumer-groups options', () => {
  it('requires the bootstrap server and exactly one action', () => {
    const program = buildProgram().exitOverride();
    program.parse(['--list'], { from: 'user' });
    expect(() => validateOptions(program.opts<RawOptions>())).toThrow(
      'Missing required argument "[bootstrap-server]"',
    );
    const expected =
      'Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets';
    expect(usageError()).toBe(expected);
    expect(usageError('--list', '--delete', '--all-groups')).toBe(expected);
  });

  it('asks for a group scope where Kafka does', () => {
    const scope = 'takes one of these options: [all-groups], [group]';
    expect(usageError('--describe')).toBe(`Option [describe] ${scope}`);
    expect(usageError('--delete')).toBe(`Option [delete] ${scope}`);
    expect(usageError('--reset-offsets', '--to-earliest', '--all-topics')).toBe(
      `Option [reset-offsets] ${scope}`,
    );
    expect(usageError('--delete-offsets', '--group', 'g')).toBe(
      'Option [delete-offsets] takes the following options: [group], [topic]',
    );
    expect(usageError('--describe', '--group', 'g', '--all-groups')).toBe(
      'Option "[group]" can\'t be used with option "[all-groups]"',
    );
    expect(usageError('--list', '--group', 'g')).toBe(
      'Option "[group]" can\'t be used with option "[list]"',
    );
    expect(usageError('--describe', '--group', 'g', '--topic', 't')).toBe(
      'Option "[topic]" can\'t be used with option "[describe]"',
    );
    expect(usageError('--delete', '--group', 'g', '--topic', 't')).toBe(
      'The consumer does not support topic-specific offset deletion from a consumer group.',
    );
  });

  it('keeps describe sub-options apart and to --describe', () => {
    expect(usageError('--describe', '--group', 'g', '--members', '--state')).toBe(
      'Option [describe] takes at most one of these options: [members], [offsets], [state]',
    );
    expect(usageError('--describe', '--group', 'g', '--state', 'stable')).toBe(
      'Option [describe] does not take a value for [state]',
    );
    expect(usageError('--list', '--members')).toBe(
      'Option(s) [members] are unavailable given other options on the command line',
    );
    expect(usageError('--delete', '--group', 'g', '--state')).toBe(
      'Option(s) [state] are unavailable given other options on the command line',
    );
    expect(usageError('--describe', '--group', 'g', '--type')).toBe(
      'Option(s) [type] are unavailable given other options on the command line',
    );
  });

  it('reads describe views and group selections', () => {
    expect(parse('--describe', '--group', 'a', '--group', 'b').command).toMatchObject({
      action: 'describe',
      groups: { all: false, ids: ['a', 'b'] },
      view: 'offsets',
      verbose: false,
    });
    expect(parse('--describe', '--all-groups', '--members', '--verbose').command).toMatchObject({
      groups: { all: true },
      view: 'members',
      verbose: true,
    });
    expect(parse('--describe', '--group', 'a', '--state').command).toMatchObject({
      view: 'state',
    });
    expect(parse('--describe', '--group', 'a').command.timeoutMs).toBe(5000);
    expect(parse('--describe', '--group', 'a', '--timeout', '1500').command.timeoutMs).toBe(1500);
    expect(usageError('--describe', '--group', 'a', '--timeout', 'soon')).toBe(
      "Cannot parse argument 'soon' of option timeout",
    );
  });

  it('parses --list state and type filters case-insensitively, refusing unknown ones', () => {
    expect(parse('--list').command).toMatchObject({
      action: 'list',
      showState: false,
      states: [],
    });
    expect(parse('--list', '--state').command).toMatchObject({ showState: true, states: [] });
    expect(parse('--list', '--state', 'stable, EMPTY').command).toMatchObject({
      showState: true,
      states: ['Stable', 'Empty'],
    });
    expect(parse('--list', '--type', 'CONSUMER').command).toMatchObject({
      showType: true,
      types: ['consumer'],
    });
    expect(usageError('--list', '--state', 'stable,napping')).toMatch(
      /^Invalid state list 'stable,napping'\. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty, Assigning, Reconciling$/,
    );
    expect(usageError('--list', '--type', 'share')).toBe(
      "Invalid types list 'share'. Valid types are: Classic, Consumer",
    );
  });

  it('needs one reset scenario and one scope, and warns when neither --execute nor --dry-run', () => {
    expect(usageError('--reset-offsets', '--group', 'g', '--all-topics')).toBe(
      "Option '[reset-offsets]' requires one of the following scenarios: [[to-offset], [shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [from-file]]",
    );
    expect(usageError('--reset-offsets', '--group', 'g', '--to-earliest')).toBe(
      'One of the reset scopes should be defined: --all-topics, --topic.',
    );
    expect(
      usageError(
        '--reset-offsets',
        '--group',
        'g',
        '--all-topics',
        '--to-earliest',
        '--to-offset',
        '3',
      ),
    ).toBe('Option "[to-offset]" can\'t be used with option "[to-earliest]"');
    expect(
      usageError(
        '--reset-offsets',
        '--group',
        'g',
        '--all-topics',
        '--to-latest',
        '--execute',
        '--dry-run',
      ),
    ).toBe('Option [reset-offsets] only accepts one of [execute] and [dry-run]');

    const dryRun = parse('--reset-offsets', '--group', 'g', '--all-topics', '--to-latest');
    expect(dryRun.warnings).toHaveLength(1);
    expect(dryRun.warnings[0]).toMatch(
      /^WARN: No action will be performed as the --execute option is missing\./,
    );
    expect(dryRun.command).toMatchObject({ execute: false, scope: { kind: 'all-topics' } });
    const executed = parse(
      '--reset-offsets',
      '--group',
      'g',
      '--all-topics',
      '--to-latest',
      '--execute',
    );
    expect(executed.warnings).toEqual([]);
    expect(executed.command).toMatchObject({ execute: true });
    expect(
      parse('--reset-offsets', '--group', 'g', '--all-topics', '--to-latest', '--dry-run').warnings,
    ).toEqual([]);
  });

  it('reads each reset strategy’s value', () => {
    const strategy = (...args: string[]): unknown => {
      const { command } = parse('--reset-offsets', '--group', 'g', '--execute', ...args);
      return command.action === 'reset-offsets' ? command.strategy : null;
    };
    expect(strategy('--all-topics', '--to-offset', '42')).toEqual({
      kind: 'to-offset',
      offset: 42n,
    });
    expect(strategy('--all-topics', '--shift-by', '-5')).toEqual({ kind: 'shift-by', shift: -5n });
    expect(strategy('--all-topics', '--to-datetime', '2024-02-29T12:00:00.000')).toEqual({
      kind: 'to-datetime',
      timestampMs: BigInt(Date.UTC(2024, 1, 29, 12)),
    });
    expect(strategy('--all-topics', '--by-duration', 'PT1H30M')).toEqual({
      kind: 'by-duration',
      durationMs: 5_400_000n,
    });
    expect(strategy('--all-topics', '--to-current')).toEqual({ kind: 'to-current' });
    // --from-file needs no scope.
    expect(strategy('--from-file', 'plan.csv')).toEqual({ kind: 'from-file', path: 'plan.csv' });
    expect(usageError('--reset-offsets', '--group', 'g', '--all-topics', '--shift-by', 'x')).toBe(
      "Cannot parse argument 'x' of option shift-by",
    );
    expect(
      usageError(
        '--reset-offsets',
        '--group',
        'g',
        '--all-topics',
        '--to-datetime',
        '2024-02-30T00:00:00.000',
      ),
    ).toMatch(/^Unparseable date/);
    expect(
      usageError('--reset-offsets', '--group', 'g', '--all-topics', '--by-duration', '1h'),
    ).toBe('Text cannot be parsed to a Duration: 1h');
  });

  it('parses topic arguments for --reset-offsets and --delete-offsets', () => {
    const reset = parse(
      '--reset-offsets',
      '--group',
      'g',
      '--topic',
      'a',
      '--topic',
      'b:0,2',
      '--to-latest',
    );
    expect(reset.command).toMatchObject({
      scope: {
        kind: 'topics',
        topics: [
          { topic: 'a', partitions: null },
          { topic: 'b', partitions: [0, 2] },
        ],
      },
    });
    expect(parse('--delete-offsets', '--group', 'g', '--topic', 't:1').command).toMatchObject({
      action: 'delete-offsets',
      group: 'g',
      topics: [{ topic: 't', partitions: [1] }],
    });
    expect(usageError('--delete-offsets', '--group', 'g', '--topic', 't:x')).toBe(
      "Invalid partition 'x' specified in topic arg 't:x'",
    );
    expect(usageError('--delete-offsets', '--group', 'g', '--group', 'h', '--topic', 't')).toBe(
      'Found multiple arguments for option group, but you asked for only one',
    );
  });
});

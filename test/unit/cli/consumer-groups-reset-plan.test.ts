import { describe, expect, it } from 'vitest';
import {
  exportResetPlanCsv,
  parseDuration,
  parseKafkaDateTime,
  parseResetPlanCsv,
  parseTopicArg,
  planReset,
  ResetPlanError,
  splitCsvLine,
  type PartitionFacts,
  type ResetStrategy,
} from '../../../src/cli/consumer-groups/reset-plan.js';

/** The pure parts of --reset-offsets: parsing its values and computing the new offsets. */

describe('parseKafkaDateTime', () => {
  it('reads UTC when no zone is given, and each zone form Kafka accepts', () => {
    const base = BigInt(Date.UTC(2020, 10, 10, 16, 51, 38, 198));
    expect(parseKafkaDateTime('2020-11-10T16:51:38.198')).toBe(base);
    expect(parseKafkaDateTime('2020-11-10T16:51:38.198Z')).toBe(base);
    const eightHours = 8n * 3_600_000n;
    expect(parseKafkaDateTime('2020-11-10T16:51:38.198+08')).toBe(base - eightHours);
    expect(parseKafkaDateTime('2020-11-10T16:51:38.198+0800')).toBe(base - eightHours);
    expect(parseKafkaDateTime('2020-11-10T16:51:38.198+08:00')).toBe(base - eightHours);
    expect(parseKafkaDateTime('2020-11-10T16:51:38.198-05:30')).toBe(base + 19_800_000n);
  });

  it('is strict like Kafka’s non-lenient parser', () => {
    expect(() => parseKafkaDateTime('2020-11-10 16:51:38.198')).toThrow(/does not contain a 'T'/);
    expect(() => parseKafkaDateTime('2020-11-10T16:51:38')).toThrow(/Unparseable date/);
    expect(() => parseKafkaDateTime('2021-02-29T00:00:00.000')).toThrow(/out of range/);
    expect(() => parseKafkaDateTime('2020-13-01T00:00:00.000')).toThrow(/out of range/);
    expect(() => parseKafkaDateTime('2020-01-01T24:00:00.000')).toThrow(/out of range/);
    expect(parseKafkaDateTime('2024-02-29T23:59:59.999')).toBe(
      BigInt(Date.UTC(2024, 1, 29, 23, 59, 59, 999)),
    );
  });
});

describe('parseDuration', () => {
  it('reads Java Duration text in milliseconds', () => {
    expect(parseDuration('PT20.345S')).toBe(20_345n);
    expect(parseDuration('PT15M')).toBe(900_000n);
    expect(parseDuration('PT10H')).toBe(36_000_000n);
    expect(parseDuration('P2D')).toBe(172_800_000n);
    expect(parseDuration('P2DT3H4M')).toBe(183_840_000n);
    expect(parseDuration('pt1m')).toBe(60_000n);
    expect(parseDuration('PT-6H3M')).toBe(-21_420_000n);
    expect(parseDuration('-PT6H3M')).toBe(-21_780_000n);
    expect(parseDuration('-PT-6H+3M')).toBe(21_420_000n);
    expect(parseDuration('PT-0.5S')).toBe(-500n);
  });

  it('refuses text without a part or with a dangling T', () => {
    for (const text of ['P', 'PT', 'P1DT', '1D', 'PT1.5M', 'P1W', '']) {
      expect(() => parseDuration(text), text).toThrow('Text cannot be parsed to a Duration');
    }
  });
});

describe('parseTopicArg', () => {
  it('reads a topic or a topic with partitions', () => {
    expect(parseTopicArg('orders')).toEqual({ topic: 'orders', partitions: null });
    expect(parseTopicArg('orders:0,2,5')).toEqual({ topic: 'orders', partitions: [0, 2, 5] });
  });

  it('refuses malformed partition lists', () => {
    expect(() => parseTopicArg('a:1:2')).toThrow(
      "Invalid topic arg 'a:1:2', expected topic name and partitions",
    );
    expect(() => parseTopicArg('a:')).toThrow('expected topic name and partitions');
    expect(() => parseTopicArg('a:1,,2')).toThrow(
      "Invalid partition '' specified in topic arg 'a:1,,2'",
    );
    expect(() => parseTopicArg('a:one')).toThrow("Invalid partition 'one'");
  });
});

describe('planReset', () => {
  const t0 = { topic: 't', partition: 0 };
  const t1 = { topic: 't', partition: 1 };
  const a0 = { topic: 'a', partition: 0 };
  const facts: Record<string, PartitionFacts> = {
    't-0': {
      logStartOffset: 5n,
      logEndOffset: 50n,
      committedOffset: 20n,
      offsetForTimestamp: 30n,
      requestedOffset: 60n,
    },
    't-1': {
      logStartOffset: 0n,
      logEndOffset: 10n,
      committedOffset: null,
      offsetForTimestamp: -1n,
      requestedOffset: 3n,
    },
    'a-0': {
      logStartOffset: 0n,
      logEndOffset: 7n,
      committedOffset: 2n,
      offsetForTimestamp: null,
      requestedOffset: null,
    },
  };
  const plan = (strategy: ResetStrategy, partitions = [t1, t0, a0]) =>
    planReset(strategy, partitions, (tp) => facts[`${tp.topic}-${tp.partition}`]);
  const offsets = (strategy: ResetStrategy, partitions?: { topic: string; partition: number }[]) =>
    plan(strategy, partitions).offsets.map((o) => `${o.topic}-${o.partition}=${o.offset}`);

  it('moves to the log start or end, sorted by topic and partition', () => {
    expect(offsets({ kind: 'to-earliest' })).toEqual(['a-0=0', 't-0=5', 't-1=0']);
    expect(offsets({ kind: 'to-latest' })).toEqual(['a-0=7', 't-0=50', 't-1=10']);
  });

  it('keeps the committed offset with --to-current, or takes the log end without one', () => {
    expect(offsets({ kind: 'to-current' })).toEqual(['a-0=2', 't-0=20', 't-1=10']);
  });

  it('clamps --to-offset into [log start, log end] with Kafka’s warnings', () => {
    const result = plan({ kind: 'to-offset', offset: 8n });
    expect(result.offsets.map((o) => o.offset)).toEqual([7n, 8n, 8n]);
    expect(result.warnings).toEqual([
      'New offset (8) is higher than latest offset for topic partition a-0. Value will be set to 7.',
    ]);
    const low = plan({ kind: 'to-offset', offset: 1n }, [t0]);
    expect(low.offsets[0].offset).toBe(5n);
    expect(low.warnings).toEqual([
      'New offset (1) is lower than earliest offset for topic partition t-0. Value will be set to 5.',
    ]);
  });

  it('shifts committed offsets and refuses a partition without one', () => {
    expect(offsets({ kind: 'shift-by', shift: -3n }, [t0, a0])).toEqual(['a-0=0', 't-0=17']);
    expect(offsets({ kind: 'shift-by', shift: 100n }, [t0])).toEqual(['t-0=50']);
    expect(() => plan({ kind: 'shift-by', shift: 1n })).toThrow(
      new ResetPlanError(
        'Cannot shift offset for partition t-1 since there is no current committed offset',
      ),
    );
  });

  it('takes the offset for a time, falling back to the log end with a notice', () => {
    const result = plan({ kind: 'to-datetime', timestampMs: 0n }, [t0, t1]);
    expect(result.offsets.map((o) => o.offset)).toEqual([30n, 10n]);
    expect(result.notices).toEqual([
      '\nWarn: Partition 1 from topic t is empty. Falling back to latest known offset.',
    ]);
    expect(() =>
      planReset({ kind: 'by-duration', durationMs: 1n }, [a0], () => ({
        ...facts['a-0'],
        logEndOffset: null,
      })),
    ).toThrow('Error getting offset by timestamp of topic partition: a-0');
  });

  it('clamps the offsets of a plan file', () => {
    const result = plan({ kind: 'from-file', path: 'unused' }, [t0, t1]);
    expect(result.offsets.map((o) => o.offset)).toEqual([50n, 3n]);
    expect(result.warnings).toHaveLength(1);
  });

  it('fails when a needed offset is unknown', () => {
    expect(() =>
      planReset({ kind: 'to-earliest' }, [t0], () => ({ ...facts['t-0'], logStartOffset: null })),
    ).toThrow('Error getting starting offset of topic partition: t-0');
  });
});

describe('reset plan CSV', () => {
  const plans = new Map([
    ['g1', [{ topic: 't', partition: 0, offset: 5n }]],
    ['g,2', [{ topic: 't', partition: 1, offset: 7n }]],
  ]);

  it('exports with or without the group column, quoting where needed', () => {
    expect(exportResetPlanCsv(new Map([...plans].slice(0, 1)), false)).toBe('t,0,5\n');
    expect(exportResetPlanCsv(plans, true)).toBe('g1,t,0,5\n"g,2",t,1,7\n');
  });

  it('reads both forms back', () => {
    expect(parseResetPlanCsv('t,0,5\nt,1,6\n', ['g'])).toEqual(
      new Map([
        [
          'g',
          [
            { topic: 't', partition: 0, offset: 5n },
            { topic: 't', partition: 1, offset: 6n },
          ],
        ],
      ]),
    );
    expect(parseResetPlanCsv(exportResetPlanCsv(plans, true), ['g1', 'g,2'])).toEqual(plans);
    // With several groups the group column is required.
    expect(() => parseResetPlanCsv('t,0,5\n', ['a', 'b'])).toThrow(
      "Invalid reset plan line 't,0,5'",
    );
    expect(() => parseResetPlanCsv('g,t,zero,5\n', ['g', 'h'])).toThrow('Invalid reset plan line');
  });

  it('splits quoted fields', () => {
    expect(splitCsvLine('"a,b","say ""hi""",3')).toEqual(['a,b', 'say "hi"', '3']);
    expect(splitCsvLine('')).toEqual(['']);
  });
});

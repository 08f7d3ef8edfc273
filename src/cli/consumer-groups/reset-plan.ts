/**
 * The pure half of `--reset-offsets` (Kafka's GroupOffsetsResetter): parsing the strategy's
 * values (datetimes, ISO-8601 durations, `topic:0,1,2`), computing the new offset of each
 * partition from what the broker reported, and the CSV of `--export` / `--from-file`.
 */
import type { TopicPartitionRef } from '../../client/group-admin.js';

export interface TopicArg {
  topic: string;
  /** Null: every partition of the topic. */
  partitions: number[] | null;
}

export type ResetStrategy =
  | { kind: 'to-earliest' }
  | { kind: 'to-latest' }
  | { kind: 'to-current' }
  | { kind: 'to-offset'; offset: bigint }
  | { kind: 'shift-by'; shift: bigint }
  | { kind: 'to-datetime'; timestampMs: bigint }
  /** Resolved against the clock when the reset runs: the timestamp is now - duration. */
  | { kind: 'by-duration'; durationMs: bigint }
  | { kind: 'from-file'; path: string };

/** What the broker says about one partition; null where it was not asked or is unknown. */
export interface PartitionFacts {
  logStartOffset: bigint | null;
  logEndOffset: bigint | null;
  /** The group's committed offset (null: none). */
  committedOffset: bigint | null;
  /** ListOffsets by timestamp: the first offset at or after it (-1n or null: none). */
  offsetForTimestamp: bigint | null;
  /** --from-file: the offset the file asks for. */
  requestedOffset: bigint | null;
}

export interface PlannedOffset extends TopicPartitionRef {
  offset: bigint;
}

export interface ResetPlan {
  offsets: PlannedOffset[];
  /** Kafka logs these as WARN (stderr). */
  warnings: string[];
  /** Kafka prints these on stdout. */
  notices: string[];
}

/** A reset Kafka refuses with its usage text (IllegalArgumentException in Kafka). */
export class ResetPlanError extends Error {
  override readonly name = 'ResetPlanError';
}

const partitionName = (tp: TopicPartitionRef): string => `${tp.topic}-${tp.partition}`;

export function compareTopicPartitions(a: TopicPartitionRef, b: TopicPartitionRef): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

/** `topic` or `topic:0,1,2` (Kafka's parseTopicsWithPartitions). */
export function parseTopicArg(arg: string): TopicArg {
  if (!arg.includes(':')) return { topic: arg, partitions: null };
  // Java's split drops trailing empty strings: "t:" is one part and so invalid.
  const parts = arg.split(':');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length !== 2) {
    throw new Error(`Invalid topic arg '${arg}', expected topic name and partitions`);
  }
  const [topic, list] = parts;
  const partitions = list.split(',').map((p) => {
    if (
      !/^[+-]?\d+$/.test(p) ||
      !Number.isSafeInteger(Number(p)) ||
      Math.abs(Number(p)) > 2 ** 31
    ) {
      throw new Error(`Invalid partition '${p}' specified in topic arg '${arg}'`);
    }
    return Number(p);
  });
  return { topic, partitions };
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})(Z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * Kafka's Utils.getDateTime: `yyyy-MM-ddTHH:mm:ss.SSS` with an optional zone (`Z`, `+hh`,
 * `+hhmm`, `+hh:mm`); without one the time is UTC. Strict: no out-of-range fields.
 */
export function parseKafkaDateTime(text: string): bigint {
  const parts = text.split('T');
  if (parts.length < 2) {
    throw new Error(
      `Error parsing timestamp '${text}'. It does not contain a 'T' according to ISO8601 format`,
    );
  }
  const timePart = parts[1];
  const withZone =
    timePart.includes('+') || timePart.includes('-') || timePart.includes('Z') ? text : `${text}Z`;
  const m = DATETIME.exec(withZone);
  if (!m) {
    throw new Error(
      `Unparseable date: "${text}" (expected YYYY-MM-DDTHH:mm:SS.sss, optionally followed by Z, +hh, +hhmm or +hh:mm)`,
    );
  }
  const [year, month, day, hour, minute, second, millis] = m.slice(1, 8).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new Error(`Unparseable date: "${text}" (a field is out of range)`);
  }
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const zoneHours = Number(digits.slice(0, 2));
    const zoneMinutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (zoneHours > 23 || zoneMinutes > 59) {
      throw new Error(`Unparseable date: "${text}" (invalid zone offset)`);
    }
    offsetMinutes = sign * (zoneHours * 60 + zoneMinutes);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return BigInt(utc - offsetMinutes * 60_000);
}

const DURATION =
  /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i;

/**
 * An ISO-8601 duration as Java's Duration.parse reads it (`PnDTnHnMnS`, signs allowed on the
 * whole and on each part, fractional seconds), in milliseconds (sub-millisecond truncated).
 */
export function parseDuration(text: string): bigint {
  const m = DURATION.exec(text);
  // At least one part, and a 'T' must be followed by one.
  const hasPart =
    m && (m[2] !== undefined || m[3] !== undefined || m[4] !== undefined || m[5] !== undefined);
  const dangling = /T$/i.test(text);
  if (!m || !hasPart || dangling) {
    throw new Error(`Text cannot be parsed to a Duration: ${text}`);
  }
  const part = (value: string | undefined): bigint => (value === undefined ? 0n : BigInt(value));
  const secondsSign = m[5]?.startsWith('-') ? -1n : 1n;
  const fraction = (m[6] ?? '').padEnd(9, '0');
  let nanos =
    part(m[2]) * 86_400_000_000_000n +
    part(m[3]) * 3_600_000_000_000n +
    part(m[4]) * 60_000_000_000n +
    part(m[5]) * 1_000_000_000n +
    secondsSign * BigInt(fraction);
  if (m[1] === '-') nanos = -nanos;
  return nanos / 1_000_000n;
}

/** Kafka's checkOffsetsRange: an offset past the log end or before its start is moved in. */
export function clampToLogRange(
  tp: TopicPartitionRef,
  requested: bigint,
  facts: Pick<PartitionFacts, 'logStartOffset' | 'logEndOffset'>,
  warnings: string[],
): bigint {
  const { logStartOffset, logEndOffset } = facts;
  if (logEndOffset !== null && requested > logEndOffset) {
    warnings.push(
      `New offset (${requested}) is higher than latest offset for topic partition ${partitionName(tp)}. Value will be set to ${logEndOffset}.`,
    );
    return logEndOffset;
  }
  if (logStartOffset !== null && requested < logStartOffset) {
    warnings.push(
      `New offset (${requested}) is lower than earliest offset for topic partition ${partitionName(tp)}. Value will be set to ${logStartOffset}.`,
    );
    return logStartOffset;
  }
  return requested;
}

/**
 * The new offset of every partition for a strategy, from the facts gathered for it (see
 * `factsNeeded`). Partitions come out sorted by topic and partition.
 */
export function planReset(
  strategy: ResetStrategy,
  partitions: readonly TopicPartitionRef[],
  factsOf: (tp: TopicPartitionRef) => PartitionFacts,
): ResetPlan {
  const warnings: string[] = [];
  const notices: string[] = [];
  const known = (value: bigint | null, what: string, tp: TopicPartitionRef): bigint => {
    if (value === null) {
      throw new ResetPlanError(`Error getting ${what} of topic partition: ${partitionName(tp)}`);
    }
    return value;
  };
  const offsets = [...partitions].sort(compareTopicPartitions).map((tp) => {
    const facts = factsOf(tp);
    let offset: bigint;
    switch (strategy.kind) {
      case 'to-earliest':
        offset = known(facts.logStartOffset, 'starting offset', tp);
        break;
      case 'to-latest':
        offset = known(facts.logEndOffset, 'ending offset', tp);
        break;
      case 'to-current':
        offset =
          facts.committedOffset !== null && facts.committedOffset >= 0n
            ? facts.committedOffset
            : known(facts.logEndOffset, 'ending offset', tp);
        break;
      case 'to-offset':
        offset = clampToLogRange(tp, strategy.offset, facts, warnings);
        break;
      case 'shift-by':
        if (facts.committedOffset === null || facts.committedOffset < 0n) {
          throw new ResetPlanError(
            `Cannot shift offset for partition ${partitionName(tp)} since there is no current committed offset`,
          );
        }
        offset = clampToLogRange(tp, facts.committedOffset + strategy.shift, facts, warnings);
        break;
      case 'to-datetime':
      case 'by-duration':
        if (facts.offsetForTimestamp !== null && facts.offsetForTimestamp >= 0n) {
          offset = facts.offsetForTimestamp;
        } else {
          notices.push(
            `\nWarn: Partition ${tp.partition} from topic ${tp.topic} is empty. Falling back to latest known offset.`,
          );
          offset = known(facts.logEndOffset, 'offset by timestamp', tp);
        }
        break;
      case 'from-file':
        offset = clampToLogRange(
          tp,
          known(facts.requestedOffset, 'requested offset', tp),
          facts,
          warnings,
        );
        break;
    }
    return { topic: tp.topic, partition: tp.partition, offset };
  });
  return { offsets, warnings, notices };
}

/** Which broker facts a strategy needs (so the tool asks only for those). */
export function factsNeeded(strategy: ResetStrategy): {
  logStart: boolean;
  logEnd: boolean;
  committed: boolean;
  byTimestamp: boolean;
} {
  switch (strategy.kind) {
    case 'to-earliest':
      return { logStart: true, logEnd: false, committed: false, byTimestamp: false };
    case 'to-latest':
      return { logStart: false, logEnd: true, committed: false, byTimestamp: false };
    case 'to-current':
      return { logStart: false, logEnd: true, committed: true, byTimestamp: false };
    case 'to-offset':
    case 'from-file':
      return { logStart: true, logEnd: true, committed: false, byTimestamp: false };
    case 'shift-by':
      return { logStart: true, logEnd: true, committed: true, byTimestamp: false };
    case 'to-datetime':
    case 'by-duration':
      return { logStart: false, logEnd: true, committed: false, byTimestamp: true };
  }
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * `--export`: one line per partition, `topic,partition,offset` for a single --group and
 * `group,topic,partition,offset` otherwise (Kafka's CsvRecordNoGroup / CsvRecordWithGroup).
 */
export function exportResetPlanCsv(
  plans: ReadonlyMap<string, readonly PlannedOffset[]>,
  withGroup: boolean,
): string {
  let out = '';
  for (const [group, offsets] of plans) {
    for (const o of offsets) {
      const fields = [o.topic, String(o.partition), String(o.offset)];
      if (withGroup) fields.unshift(group);
      out += `${fields.map(csvField).join(',')}\n`;
    }
  }
  return out;
}

/** One CSV line into fields (double quotes quote, `""` is a quote inside quotes). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        current += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      fields.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  fields.push(current);
  return fields;
}

const INTEGER = /^[+-]?\d+$/;

function readRecord(fields: string[], line: string): PlannedOffset {
  const [topic, partition, offset] = fields;
  if (!INTEGER.test(partition) || !INTEGER.test(offset)) {
    throw new Error(`Invalid reset plan line '${line}'`);
  }
  return { topic, partition: Number(partition), offset: BigInt(offset) };
}

/**
 * `--from-file`: the group → offsets of a CSV written by `--export`. As in Kafka, the short
 * form (no group column) is accepted only when exactly one --group is given.
 */
export function parseResetPlanCsv(
  text: string,
  groups: readonly string[],
): Map<string, PlannedOffset[]> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const rows = lines.map((line) => ({ line, fields: splitCsvLine(line) }));
  const first = rows[0];
  const shortForm =
    groups.length === 1 &&
    first !== undefined &&
    first.fields.length === 3 &&
    INTEGER.test(first.fields[1]) &&
    INTEGER.test(first.fields[2]);
  const plans = new Map<string, PlannedOffset[]>();
  for (const { line, fields } of rows) {
    let group: string;
    let record: PlannedOffset;
    if (shortForm) {
      if (fields.length !== 3) throw new Error(`Invalid reset plan line '${line}'`);
      group = groups[0];
      record = readRecord(fields, line);
    } else {
      if (fields.length !== 4) throw new Error(`Invalid reset plan line '${line}'`);
      group = fields[0];
      record = readRecord(fields.slice(1), line);
    }
    const list = plans.get(group) ?? [];
    list.push(record);
    plans.set(group, list);
  }
  return plans;
}

/**
 * Topic-level configuration: the table of every topic config Kafka 4.0 knows, their broker-level
 * synonyms, string parsing/validation (zod), the typed `TopicConfigs`, the `LogConfig` projection
 * and the DescribeConfigs view (value, source, synonyms).
 *
 * Values follow Apache Kafka 4.0 (KIP-1030 changes included: segment.bytes >= 1 MiB,
 * message.timestamp.after.max.ms defaults to 1 hour; message.format.version,
 * message.downconversion.enable and message.timestamp.difference.max.ms are gone).
 *
 * Kafka's longs are carried as JS numbers. Long.MAX_VALUE (the "never"/"unlimited" sentinel) becomes
 * 2^63 as a double; it is printed back as 9223372036854775807. Other integers above 2^53 lose precision.
 */
import { z } from 'zod';
import {
  LONG_MAX,
  type CleanupPolicy,
  type LogConfig,
  type TimestampTypeName,
} from './log-config.js';

// ---------------------------------------------------------------------------------------------
// Table types

export type TopicConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list' | 'class';

export type TopicConfigValidator =
  /** No constraint beyond the type. */
  | { readonly kind: 'any' }
  /** Inclusive numeric bounds. */
  | { readonly kind: 'range'; readonly min?: number; readonly max?: number }
  /** Inclusive bounds, or exactly one extra value outside them (gzip: 1..9 or -1). */
  | {
      readonly kind: 'rangeOrValue';
      readonly min: number;
      readonly max: number;
      readonly orValue: number;
    }
  /** A string from a fixed (case-sensitive) set. */
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** A comma-separated list whose entries all come from a fixed set (may be empty). */
  | { readonly kind: 'enumList'; readonly values: readonly string[] }
  /** `*`, or a list of `partitionId:brokerId` entries. */
  | { readonly kind: 'throttledReplicas' };

/** How a broker synonym's value maps onto the topic config's unit. */
export type SynonymUnit = 'same' | 'minutes' | 'hours';

export interface BrokerSynonymDef {
  /** Broker property name, e.g. `log.retention.hours`. */
  readonly name: string;
  readonly unit: SynonymUnit;
  /** The broker's own default for this property as a string, or null when the broker property has none. */
  readonly brokerDefault: string | null;
  /** Broker-side constraint for unit-converted synonyms (same-unit synonyms use the topic config's validator). */
  readonly validator?: TopicConfigValidator;
}

export interface TopicConfigDef {
  /** Kafka topic config name, e.g. `segment.bytes`. */
  readonly name: string;
  /** camelCase property in `TopicConfigs`. */
  readonly key: keyof TopicConfigs;
  readonly type: TopicConfigType;
  /** Kafka's default as Kafka prints it (DescribeConfigs string form). */
  readonly defaultValue: string;
  readonly validator: TopicConfigValidator;
  /** Broker properties supplying the default, highest precedence first. Empty when none. */
  readonly synonyms: readonly BrokerSynonymDef[];
  /** Broker synonyms: a negative value means "unlimited" and is normalised to -1 (retention.ms only). */
  readonly brokerNegativeIsUnlimited?: boolean;
  /** Short description (our own words). */
  readonly description: string;
}

export type BrokerCompressionTypeName =
  'uncompressed' | 'zstd' | 'lz4' | 'snappy' | 'gzip' | 'producer';

/** Every Kafka 4.0 topic config, typed, keyed by the camelCase of its name. */
export interface TopicConfigs {
  cleanupPolicy: CleanupPolicy[];
  compressionGzipLevel: number;
  compressionLz4Level: number;
  compressionType: BrokerCompressionTypeName;
  compressionZstdLevel: number;
  deleteRetentionMs: number;
  fileDeleteDelayMs: number;
  flushMessages: number;
  flushMs: number;
  followerReplicationThrottledReplicas: string[];
  indexIntervalBytes: number;
  leaderReplicationThrottledReplicas: string[];
  localRetentionBytes: number;
  localRetentionMs: number;
  maxCompactionLagMs: number;
  maxMessageBytes: number;
  messageTimestampAfterMaxMs: number;
  messageTimestampBeforeMaxMs: number;
  messageTimestampType: TimestampTypeName;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  minInsyncReplicas: number;
  preallocate: boolean;
  remoteLogCopyDisable: boolean;
  remoteLogDeleteOnDisable: boolean;
  remoteStorageEnable: boolean;
  retentionBytes: number;
  retentionMs: number;
  segmentBytes: number;
  segmentIndexBytes: number;
  segmentJitterMs: number;
  segmentMs: number;
  uncleanLeaderElectionEnable: boolean;
}

// ---------------------------------------------------------------------------------------------
// The table

const LONG_MAX_STRING = '9223372036854775807';
const LONG_MIN_STRING = '-9223372036854775808';
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

const ANY: TopicConfigValidator = { kind: 'any' };
const atLeast = (min: number): TopicConfigValidator => ({ kind: 'range', min });
const between = (min: number, max: number): TopicConfigValidator => ({ kind: 'range', min, max });

const same = (name: string, brokerDefault: string | null): BrokerSynonymDef => ({
  name,
  unit: 'same',
  brokerDefault,
});

export const CLEANUP_POLICIES: readonly CleanupPolicy[] = ['compact', 'delete'];
export const TIMESTAMP_TYPES: readonly TimestampTypeName[] = ['CreateTime', 'LogAppendTime'];
/** Kafka's BrokerCompressionType names, in Kafka's order. */
export const BROKER_COMPRESSION_TYPES: readonly BrokerCompressionTypeName[] = [
  'uncompressed',
  'zstd',
  'lz4',
  'snappy',
  'gzip',
  'producer',
];

type DefInput = Omit<TopicConfigDef, 'key' | 'synonyms'> & {
  synonyms?: readonly BrokerSynonymDef[];
};

function def(d: DefInput): TopicConfigDef {
  return { ...d, key: camelCase(d.name) as keyof TopicConfigs, synonyms: d.synonyms ?? [] };
}

/** `segment.index.bytes` → `segmentIndexBytes`. */
export function camelCase(name: string): string {
  return name
    .split('.')
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');
}

/** Every topic-level config of Kafka 4.0, sorted by name. */
export const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[] = [
  def({
    name: 'cleanup.policy',
    type: 'list',
    defaultValue: 'delete',
    validator: { kind: 'enumList', values: CLEANUP_POLICIES },
    synonyms: [same('log.cleanup.policy', 'delete')],
    description: 'Old-segment handling: delete, compact, both, or an empty list (neither).',
  }),
  def({
    name: 'compression.gzip.level',
    type: 'int',
    defaultValue: '-1',
    validator: { kind: 'rangeOrValue', min: 1, max: 9, orValue: -1 },
    synonyms: [same('compression.gzip.level', '-1')],
    description: 'gzip level used when compression.type is gzip (-1 = library default).',
  }),
  def({
    name: 'compression.lz4.level',
    type: 'int',
    defaultValue: '9',
    validator: between(1, 17),
    synonyms: [same('compression.lz4.level', '9')],
    description: 'lz4 level used when compression.type is lz4.',
  }),
  def({
    name: 'compression.type',
    type: 'string',
    defaultValue: 'producer',
    validator: { kind: 'enum', values: BROKER_COMPRESSION_TYPES },
    synonyms: [same('compression.type', 'producer')],
    description: 'Codec the broker stores batches with; producer keeps whatever the producer used.',
  }),
  def({
    name: 'compression.zstd.level',
    type: 'int',
    defaultValue: '3',
    validator: between(-131072, 22),
    synonyms: [same('compression.zstd.level', '3')],
    description: 'zstd level used when compression.type is zstd.',
  }),
  def({
    name: 'delete.retention.ms',
    type: 'long',
    defaultValue: '86400000',
    validator: atLeast(0),
    synonyms: [same('log.cleaner.delete.retention.ms', '86400000')],
    description: 'How long tombstones survive in compacted logs.',
  }),
  def({
    name: 'file.delete.delay.ms',
    type: 'long',
    defaultValue: '60000',
    validator: atLeast(0),
    synonyms: [same('log.segment.delete.delay.ms', '60000')],
    description: 'Delay before a deleted segment file is removed from disk.',
  }),
  def({
    name: 'flush.messages',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    validator: atLeast(1),
    synonyms: [same('log.flush.interval.messages', LONG_MAX_STRING)],
    description: 'fsync after this many messages.',
  }),
  def({
    name: 'flush.ms',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    validator: atLeast(0),
    synonyms: [
      same('log.flush.interval.ms', null),
      same('log.flush.scheduler.interval.ms', LONG_MAX_STRING),
    ],
    description: 'fsync when the oldest unflushed message is this old.',
  }),
  def({
    name: 'follower.replication.throttled.replicas',
    type: 'list',
    defaultValue: '',
    validator: { kind: 'throttledReplicas' },
    description: 'Replicas whose follower-side replication is throttled (* = all).',
  }),
  def({
    name: 'index.interval.bytes',
    type: 'int',
    defaultValue: '4096',
    validator: atLeast(0),
    synonyms: [same('log.index.interval.bytes', '4096')],
    description: 'Bytes appended between offset-index entries.',
  }),
  def({
    name: 'leader.replication.throttled.replicas',
    type: 'list',
    defaultValue: '',
    validator: { kind: 'throttledReplicas' },
    description: 'Replicas whose leader-side replication is throttled (* = all).',
  }),
  def({
    name: 'local.retention.bytes',
    type: 'long',
    defaultValue: '-2',
    validator: atLeast(-2),
    synonyms: [same('log.local.retention.bytes', '-2')],
    description: 'Local size limit for tiered topics (-2 = use retention.bytes).',
  }),
  def({
    name: 'local.retention.ms',
    type: 'long',
    defaultValue: '-2',
    validator: atLeast(-2),
    synonyms: [same('log.local.retention.ms', '-2')],
    description: 'Local time limit for tiered topics (-2 = use retention.ms).',
  }),
  def({
    name: 'max.compaction.lag.ms',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    validator: atLeast(1),
    synonyms: [same('log.cleaner.max.compaction.lag.ms', LONG_MAX_STRING)],
    description: 'Longest a record may stay uncompacted.',
  }),
  def({
    name: 'max.message.bytes',
    type: 'int',
    defaultValue: '1048588',
    validator: atLeast(0),
    synonyms: [same('message.max.bytes', '1048588')],
    description: 'Largest accepted record batch (after compression).',
  }),
  def({
    name: 'message.timestamp.after.max.ms',
    type: 'long',
    defaultValue: '3600000',
    validator: atLeast(0),
    synonyms: [same('log.message.timestamp.after.max.ms', '3600000')],
    description: 'How far in the future a CreateTime timestamp may be.',
  }),
  def({
    name: 'message.timestamp.before.max.ms',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    validator: atLeast(0),
    synonyms: [same('log.message.timestamp.before.max.ms', LONG_MAX_STRING)],
    description: 'How far in the past a CreateTime timestamp may be.',
  }),
  def({
    name: 'message.timestamp.type',
    type: 'string',
    defaultValue: 'CreateTime',
    validator: { kind: 'enum', values: TIMESTAMP_TYPES },
    synonyms: [same('log.message.timestamp.type', 'CreateTime')],
    description: 'Keep producer timestamps (CreateTime) or stamp on append (LogAppendTime).',
  }),
  def({
    name: 'min.cleanable.dirty.ratio',
    type: 'double',
    defaultValue: '0.5',
    validator: between(0, 1),
    synonyms: [same('log.cleaner.min.cleanable.ratio', '0.5')],
    description: 'Dirty fraction of the log that makes it eligible for compaction.',
  }),
  def({
    name: 'min.compaction.lag.ms',
    type: 'long',
    defaultValue: '0',
    validator: atLeast(0),
    synonyms: [same('log.cleaner.min.compaction.lag.ms', '0')],
    description: 'Shortest time a record stays uncompacted.',
  }),
  def({
    name: 'min.insync.replicas',
    type: 'int',
    defaultValue: '1',
    validator: atLeast(1),
    synonyms: [same('min.insync.replicas', '1')],
    description: 'In-sync replicas needed for an acks=all write.',
  }),
  def({
    name: 'preallocate',
    type: 'boolean',
    defaultValue: 'false',
    validator: ANY,
    synonyms: [same('log.preallocate', 'false')],
    description: 'Preallocate segment files on creation.',
  }),
  def({
    name: 'remote.log.copy.disable',
    type: 'boolean',
    defaultValue: 'false',
    validator: ANY,
    description:
      'Stop copying segments to remote storage (tiered topics become read-only remotely).',
  }),
  def({
    name: 'remote.log.delete.on.disable',
    type: 'boolean',
    defaultValue: 'false',
    validator: ANY,
    description: 'Allow disabling remote storage by deleting the remote data.',
  }),
  def({
    name: 'remote.storage.enable',
    type: 'boolean',
    defaultValue: 'false',
    validator: ANY,
    description: 'Enable tiered storage for the topic.',
  }),
  def({
    name: 'retention.bytes',
    type: 'long',
    defaultValue: '-1',
    validator: ANY,
    synonyms: [same('log.retention.bytes', '-1')],
    description: 'Partition size limit before old segments are deleted (-1 = none).',
  }),
  def({
    name: 'retention.ms',
    type: 'long',
    defaultValue: '604800000',
    validator: atLeast(-1),
    synonyms: [
      same('log.retention.ms', null),
      { name: 'log.retention.minutes', unit: 'minutes', brokerDefault: null, validator: ANY },
      { name: 'log.retention.hours', unit: 'hours', brokerDefault: '168', validator: ANY },
    ],
    brokerNegativeIsUnlimited: true,
    description: 'Age limit before old segments are deleted (-1 = none).',
  }),
  def({
    name: 'segment.bytes',
    type: 'int',
    defaultValue: '1073741824',
    validator: atLeast(1048576),
    synonyms: [same('log.segment.bytes', '1073741824')],
    description: 'Segment file size at which the log rolls.',
  }),
  def({
    name: 'segment.index.bytes',
    type: 'int',
    defaultValue: '10485760',
    validator: atLeast(4),
    synonyms: [same('log.index.size.max.bytes', '10485760')],
    description: 'Maximum size of a segment offset/time index.',
  }),
  def({
    name: 'segment.jitter.ms',
    type: 'long',
    defaultValue: '0',
    validator: atLeast(0),
    synonyms: [
      same('log.roll.jitter.ms', null),
      { name: 'log.roll.jitter.hours', unit: 'hours', brokerDefault: '0', validator: atLeast(0) },
    ],
    description: 'Maximum random jitter subtracted from the time-based roll.',
  }),
  def({
    name: 'segment.ms',
    type: 'long',
    defaultValue: '604800000',
    validator: atLeast(1),
    synonyms: [
      same('log.roll.ms', null),
      { name: 'log.roll.hours', unit: 'hours', brokerDefault: '168', validator: atLeast(1) },
    ],
    description: 'Age at which the active segment rolls even if not full.',
  }),
  def({
    name: 'unclean.leader.election.enable',
    type: 'boolean',
    defaultValue: 'false',
    validator: ANY,
    synonyms: [same('unclean.leader.election.enable', 'false')],
    description: 'Allow out-of-sync replicas to become leader (may lose data).',
  }),
];

const DEFS_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(
  TOPIC_CONFIG_DEFS.map((d) => [d.name, d]),
);

/** All topic config names, sorted. */
export const TOPIC_CONFIG_NAMES: readonly string[] = TOPIC_CONFIG_DEFS.map((d) => d.name);

/** Topic config → broker synonyms, highest precedence first (only configs that have any). */
export const TOPIC_CONFIG_SYNONYMS: Readonly<Record<string, readonly string[]>> =
  Object.fromEntries(
    TOPIC_CONFIG_DEFS.filter((d) => d.synonyms.length > 0).map((d) => [
      d.name,
      d.synonyms.map((s) => s.name),
    ]),
  );

export function getTopicConfigDef(name: string): TopicConfigDef | undefined {
  return DEFS_BY_NAME.get(name);
}

export function isTopicConfigName(name: string): boolean {
  return DEFS_BY_NAME.has(name);
}

// ---------------------------------------------------------------------------------------------
// Errors

/** A topic config key or value Kafka would reject (maps to INVALID_CONFIG). Message is one line. */
export class InvalidConfigError extends Error {
  readonly key: string;
  readonly value: string | null;
  readonly reason: string;

  constructor(key: string, value: string | null | undefined, reason: string) {
    const v = value ?? null;
    super(`Invalid value ${v === null ? 'null' : v} for configuration ${key}: ${reason}`);
    this.name = 'InvalidConfigError';
    this.key = key;
    this.value = v;
    this.reason = reason;
  }
}

// ---------------------------------------------------------------------------------------------
// String → value parsing (zod)

type ConfigValue = number | boolean | string | string[];
type Result<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (reason: string): Result<never> => ({ ok: false, reason });

const INTEGER_RE = /^[+-]?\d+$/;
const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const REPLICA_RE = /^\d+:\d+$/;
const BIG_LONG_MIN = -(2n ** 63n);
const BIG_LONG_MAX = 2n ** 63n - 1n;

function parseInteger(raw: string, type: 'int' | 'long'): Result<bigint> {
  const s = raw.trim();
  const [lo, hi] =
    type === 'int' ? [BigInt(INT_MIN), BigInt(INT_MAX)] : [BIG_LONG_MIN, BIG_LONG_MAX];
  const rangeText =
    type === 'int' ? `${INT_MIN} to ${INT_MAX}` : `${LONG_MIN_STRING} to ${LONG_MAX_STRING}`;
  const reason = `Not a number of type ${type.toUpperCase()} (expected a whole number from ${rangeText})`;
  if (!INTEGER_RE.test(s)) return fail(reason);
  const n = BigInt(s);
  return n < lo || n > hi ? fail(reason) : ok(n);
}

function splitList(raw: string): string[] {
  const s = raw.trim();
  return s === '' ? [] : s.split(',').map((e) => e.trim());
}

function checkRange(v: TopicConfigValidator, n: number | bigint): string | null {
  if (v.kind === 'range') {
    if (v.min !== undefined && n < v.min) return `Value must be at least ${v.min}`;
    if (v.max !== undefined && n > v.max) return `Value must be no more than ${v.max}`;
  } else if (v.kind === 'rangeOrValue') {
    if (Number(n) !== v.orValue && (n < v.min || n > v.max))
      return `Value must be between ${v.min} and ${v.max} or equal to ${v.orValue}`;
  }
  return null;
}

/** Parse and validate one raw string for a config of `type` under `validator`. */
function convert(
  type: TopicConfigType,
  validator: TopicConfigValidator,
  raw: string,
): Result<ConfigValue> {
  switch (type) {
    case 'int':
    case 'long': {
      const r = parseInteger(raw, type);
      if (!r.ok) return r;
      const bad = checkRange(validator, r.value);
      return bad ? fail(bad) : ok(Number(r.value));
    }
    case 'double': {
      const s = raw.trim();
      const n = Number(s);
      if (!DECIMAL_RE.test(s) || !Number.isFinite(n)) return fail('Not a number of type DOUBLE');
      const bad = checkRange(validator, n);
      return bad ? fail(bad) : ok(n);
    }
    case 'boolean': {
      const s = raw.trim().toLowerCase();
      if (s === 'true') return ok(true);
      if (s === 'false') return ok(false);
      return fail('Expected value to be either true or false');
    }
    case 'string':
    case 'class': {
      const s = raw.trim();
      if (validator.kind === 'enum' && !validator.values.includes(s))
        return fail(`String must be one of: ${validator.values.join(', ')}`);
      return ok(s);
    }
    case 'list': {
      const items = splitList(raw);
      if (validator.kind === 'enumList') {
        const badItem = items.find((i) => !validator.values.includes(i));
        if (badItem !== undefined)
          return fail(
            `List entry '${badItem}' is not allowed; entries must be one of: ${validator.values.join(', ')}`,
          );
        return ok([...new Set(items)]);
      }
      if (validator.kind === 'throttledReplicas') {
        if (items.length === 1 && items[0] === '*') return ok(['*']);
        if (!items.every((i) => i === '' || REPLICA_RE.test(i))) {
          return fail(
            "Value must be '*' or a comma-separated list of partitionId:brokerId entries, e.g. 0:101,1:102",
          );
        }
        return ok(items.filter((i) => i !== ''));
      }
      return ok(items);
    }
  }
}

function zodFor(
  type: TopicConfigType,
  validator: TopicConfigValidator,
): z.ZodType<ConfigValue, string> {
  return z.string().transform((raw, ctx) => {
    const r = convert(type, validator, raw);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.reason });
    return z.NEVER;
  });
}

/** One zod schema per topic config: raw string in, typed value out; failures carry the one-line reason. */
export const TOPIC_CONFIG_VALUE_SCHEMAS: Readonly<Record<string, z.ZodType<ConfigValue, string>>> =
  Object.fromEntries(TOPIC_CONFIG_DEFS.map((d) => [d.name, zodFor(d.type, d.validator)]));

const BROKER_SCHEMAS = new Map<string, z.ZodType<ConfigValue, string>>(
  TOPIC_CONFIG_DEFS.flatMap((d) =>
    d.synonyms
      .filter((s) => s.unit !== 'same')
      .map((s) => [s.name, zodFor('int', s.validator ?? ANY)] as const),
  ),
);

function parseWith(schema: z.ZodType<ConfigValue, string>, key: string, raw: unknown): ConfigValue {
  if (typeof raw !== 'string')
    throw new InvalidConfigError(
      key,
      raw == null ? null : String(raw),
      'Null value not supported for topic configs',
    );
  const r = schema.safeParse(raw);
  if (!r.success)
    throw new InvalidConfigError(key, raw, r.error.issues[0]?.message ?? 'Invalid value');
  return r.data;
}

const UNIT_MS: Record<SynonymUnit, number> = { same: 1, minutes: 60_000, hours: 3_600_000 };

/** The broker synonym that is set (highest precedence first), or undefined. */
function brokerSource(
  d: TopicConfigDef,
  brokerDefaults: Readonly<Record<string, string>>,
): BrokerSynonymDef | undefined {
  return d.synonyms.find(
    (s) => brokerDefaults[s.name] !== undefined && brokerDefaults[s.name] !== null,
  );
}

function valueFromBroker(d: TopicConfigDef, syn: BrokerSynonymDef, raw: string): ConfigValue {
  let value: ConfigValue;
  if (syn.unit === 'same') {
    if (d.brokerNegativeIsUnlimited) {
      const n = parseWith(zodFor(d.type, ANY), syn.name, raw) as number;
      value = n < 0 ? -1 : n;
    } else {
      value = parseWith(TOPIC_CONFIG_VALUE_SCHEMAS[d.name], syn.name, raw);
    }
  } else {
    const n =
      (parseWith(BROKER_SCHEMAS.get(syn.name)!, syn.name, raw) as number) * UNIT_MS[syn.unit];
    value = d.brokerNegativeIsUnlimited && n < 0 ? -1 : n;
  }
  if (typeof value === 'number') {
    const bad = checkRange(d.validator, value);
    if (bad) throw new InvalidConfigError(syn.name, raw, `${bad} (as ${d.name})`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Public parsing API

function buildTypedDefaults(): TopicConfigs {
  const out: Record<string, ConfigValue> = {};
  for (const d of TOPIC_CONFIG_DEFS) {
    const v = parseWith(TOPIC_CONFIG_VALUE_SCHEMAS[d.name], d.name, d.defaultValue);
    out[d.key] = Array.isArray(v) ? (Object.freeze(v) as string[]) : v;
  }
  return out as unknown as TopicConfigs;
}

/** Kafka 4.0's defaults with no broker overrides. */
export const TOPIC_CONFIG_DEFAULTS: Readonly<TopicConfigs> = Object.freeze(buildTypedDefaults());

/** Throw InvalidConfigError for the first unknown key in `overrides`. */
export function validateTopicConfigNames(overrides: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(overrides)) {
    if (!DEFS_BY_NAME.has(key))
      throw new InvalidConfigError(
        key,
        typeof value === 'string' ? value : null,
        'Unknown topic config name',
      );
  }
}

/**
 * Parse topic config overrides (string values, as sent in CreateTopics/AlterConfigs or read from
 * .properties) on top of broker defaults (broker property names, e.g. `log.retention.hours`),
 * falling back to Kafka's defaults. Throws InvalidConfigError on an unknown key or bad value.
 * Keys in `brokerDefaults` that are not a synonym of any topic config are ignored.
 */
export function parseTopicConfigs(
  overrides: Readonly<Record<string, string>>,
  brokerDefaults: Readonly<Record<string, string>> = {},
): TopicConfigs {
  validateTopicConfigNames(overrides);
  const out: Record<string, ConfigValue> = {};
  // Overrides first, in the caller's order, so the first bad override is the one reported.
  for (const [name, raw] of Object.entries(overrides)) {
    const d = DEFS_BY_NAME.get(name)!;
    out[d.key] = parseWith(TOPIC_CONFIG_VALUE_SCHEMAS[name], name, raw);
  }
  for (const d of TOPIC_CONFIG_DEFS) {
    if (Object.hasOwn(overrides, d.name)) continue;
    const syn = brokerSource(d, brokerDefaults);
    const fallback = TOPIC_CONFIG_DEFAULTS[d.key];
    out[d.key] = syn
      ? valueFromBroker(d, syn, brokerDefaults[syn.name])
      : Array.isArray(fallback)
        ? [...fallback]
        : fallback;
  }
  const configs = out as unknown as TopicConfigs;
  validateTopicConfigValues(configs, overrides);
  return configs;
}

/** Cross-config checks Kafka applies after each value is individually valid. */
export function validateTopicConfigValues(
  c: TopicConfigs,
  overrides: Readonly<Record<string, string>> = {},
): void {
  const shown = (name: string, n: number): string => overrides[name] ?? formatLong(n);
  if (c.minCompactionLagMs > c.maxCompactionLagMs) {
    throw new InvalidConfigError(
      'min.compaction.lag.ms',
      shown('min.compaction.lag.ms', c.minCompactionLagMs),
      `Value must not be greater than max.compaction.lag.ms (${formatLong(c.maxCompactionLagMs)})`,
    );
  }
  if (!c.remoteStorageEnable) return;
  // Tiered-storage consistency (whether tiered storage is enabled broker-wide is the caller's check).
  if (
    c.cleanupPolicy.length > 0 &&
    (c.cleanupPolicy.length !== 1 || c.cleanupPolicy[0] !== 'delete')
  ) {
    throw new InvalidConfigError(
      'cleanup.policy',
      c.cleanupPolicy.join(','),
      'Remote log storage only supports cleanup.policy=delete (or an empty list)',
    );
  }
  const pairs = [
    [
      'local.retention.bytes',
      c.localRetentionBytes,
      'retention.bytes',
      c.retentionBytes,
      c.retentionBytes > -1,
    ],
    ['local.retention.ms', c.localRetentionMs, 'retention.ms', c.retentionMs, c.retentionMs !== -1],
  ] as const;
  for (const [localName, local, totalName, total, bounded] of pairs) {
    if (!bounded || local === -2) continue;
    if (local === -1)
      throw new InvalidConfigError(
        localName,
        shown(localName, local),
        `Value must not be -1 as ${totalName} is ${formatLong(total)}`,
      );
    if (local > total)
      throw new InvalidConfigError(
        localName,
        shown(localName, local),
        `Value must not be more than ${totalName} (${formatLong(total)})`,
      );
  }
  if (c.remoteLogCopyDisable) {
    if (c.localRetentionBytes !== -2 && c.localRetentionBytes !== c.retentionBytes) {
      throw new InvalidConfigError(
        'local.retention.bytes',
        shown('local.retention.bytes', c.localRetentionBytes),
        'Value must equal retention.bytes (or be -2) when remote.log.copy.disable=true',
      );
    }
    if (c.localRetentionMs !== -2 && c.localRetentionMs !== c.retentionMs) {
      throw new InvalidConfigError(
        'local.retention.ms',
        shown('local.retention.ms', c.localRetentionMs),
        'Value must equal retention.ms (or be -2) when remote.log.copy.disable=true',
      );
    }
  }
}

/** The subset of topic configs the log itself uses. */
export function toLogConfig(c: TopicConfigs): LogConfig {
  return {
    segmentBytes: c.segmentBytes,
    segmentMs: c.segmentMs,
    segmentJitterMs: c.segmentJitterMs,
    segmentIndexBytes: c.segmentIndexBytes,
    indexIntervalBytes: c.indexIntervalBytes,
    retentionMs: c.retentionMs,
    retentionBytes: c.retentionBytes,
    cleanupPolicy: [...c.cleanupPolicy],
    deleteRetentionMs: c.deleteRetentionMs,
    minCleanableDirtyRatio: c.minCleanableDirtyRatio,
    minCompactionLagMs: c.minCompactionLagMs,
    maxCompactionLagMs: c.maxCompactionLagMs,
    messageTimestampType: c.messageTimestampType,
    messageTimestampBeforeMaxMs: c.messageTimestampBeforeMaxMs,
    messageTimestampAfterMaxMs: c.messageTimestampAfterMaxMs,
    maxMessageBytes: c.maxMessageBytes,
    flushMessages: c.flushMessages,
    flushMs: c.flushMs,
    fileDeleteDelayMs: c.fileDeleteDelayMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting (Kafka's string forms)

/** Kafka's long as a string; values at or beyond ±2^63 print as Long.MAX/MIN. */
export function formatLong(n: number): string {
  if (n >= LONG_MAX) return LONG_MAX_STRING;
  if (n <= -LONG_MAX) return LONG_MIN_STRING;
  return Number.isSafeInteger(n) ? String(n) : BigInt(Math.trunc(n)).toString();
}

function formatDouble(n: number): string {
  // Java's Double.toString prints whole numbers with ".0".
  return Number.isInteger(n) && Math.abs(n) < 1e7 ? n.toFixed(1) : String(n);
}

/** A typed value of topic config `name` in the string form Kafka reports. */
export function formatTopicConfigValue(name: string, value: unknown): string {
  const d = DEFS_BY_NAME.get(name);
  if (!d) throw new InvalidConfigError(name, String(value), 'Unknown topic config name');
  switch (d.type) {
    case 'int':
    case 'long':
      return formatLong(value as number);
    case 'double':
      return formatDouble(value as number);
    case 'list':
      return (value as readonly string[]).join(',');
    default:
      return String(value);
  }
}

/** Canonical string forms of every config in `c`, keyed by Kafka name (e.g. to persist or diff). */
export function topicConfigsToStrings(c: TopicConfigs): Record<string, string> {
  return Object.fromEntries(
    TOPIC_CONFIG_DEFS.map((d) => [d.name, formatTopicConfigValue(d.name, c[d.key])]),
  );
}

// ---------------------------------------------------------------------------------------------
// DescribeConfigs view

/** Kafka's ConfigSource enum (DescribeConfigs ConfigSource / synonym Source ids). */
export const CONFIG_SOURCE_IDS = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;

/** Kafka's ConfigType ids (DescribeConfigs v3+ ConfigType). */
export const CONFIG_TYPE_IDS: Readonly<Record<TopicConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
};

export type TopicConfigSource = 'TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';

export interface TopicConfigSynonym {
  name: string;
  value: string;
  source: TopicConfigSource;
}

export interface TopicConfigDescription {
  name: string;
  value: string;
  source: TopicConfigSource;
  isSensitive: false;
  readOnly: false;
  /** DescribeConfigs v0 IsDefault: nothing (topic or broker) set it. */
  isDefault: boolean;
  type: TopicConfigType;
  /** Most significant first: the topic override, then set broker synonyms in precedence order, then broker defaults. */
  synonyms: TopicConfigSynonym[];
}

/**
 * Every topic config with its effective value, where it came from and its synonyms, as
 * DescribeConfigs reports them. `keys` (DescribeConfigs ConfigurationKeys) limits the output;
 * unknown names in it are ignored. Throws InvalidConfigError like parseTopicConfigs.
 */
export function describeTopicConfigs(
  overrides: Readonly<Record<string, string>>,
  brokerDefaults: Readonly<Record<string, string>> = {},
  keys?: readonly string[] | null,
): TopicConfigDescription[] {
  const configs = parseTopicConfigs(overrides, brokerDefaults);
  const wanted = keys ? new Set(keys) : null;
  const out: TopicConfigDescription[] = [];
  for (const d of TOPIC_CONFIG_DEFS) {
    if (wanted && !wanted.has(d.name)) continue;
    const value = formatTopicConfigValue(d.name, configs[d.key]);
    const synonyms: TopicConfigSynonym[] = [];
    if (Object.hasOwn(overrides, d.name))
      synonyms.push({ name: d.name, value, source: 'TOPIC_CONFIG' });
    for (const s of d.synonyms) {
      const raw = brokerDefaults[s.name];
      if (raw !== undefined && raw !== null)
        synonyms.push({ name: s.name, value: raw, source: 'STATIC_BROKER_CONFIG' });
    }
    for (const s of d.synonyms) {
      if (s.brokerDefault !== null)
        synonyms.push({ name: s.name, value: s.brokerDefault, source: 'DEFAULT_CONFIG' });
    }
    const source = synonyms[0]?.source ?? 'DEFAULT_CONFIG';
    out.push({
      name: d.name,
      value,
      source,
      isSensitive: false,
      readOnly: false,
      isDefault: source === 'DEFAULT_CONFIG',
      type: d.type,
      synonyms,
    });
  }
  return out;
}

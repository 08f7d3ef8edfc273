/**
 * String-to-value conversion for broker configs, as zod schemas. Each follows Kafka's
 * ConfigDef: values are trimmed; INT/SHORT/LONG are base-10 whole numbers in their Java
 * range; booleans are true/false in any case; lists are comma-separated. A failing value
 * carries Kafka's reason ("Not a number of type INT", "Value must be at least 1", ...).
 *
 * Longs are carried as JS numbers, as in topic-config.ts: Long.MAX_VALUE (Kafka's "never")
 * becomes 2^63 and other values above 2^53 lose precision.
 */
import { z } from 'zod';

export type ConfigValueType = 'int' | 'short' | 'long' | 'double' | 'boolean' | 'string' | 'list';

/** How one config's raw string becomes a typed value. */
export interface ValueKind<T> {
  readonly type: ConfigValueType;
  readonly schema: z.ZodType<T, string>;
  /** What is allowed, in words (shown in tables and help). */
  readonly allowed: string;
}

interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

type Conversion<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Conversion<T> => ({ ok: true, value });
const fail = (reason: string): Conversion<never> => ({ ok: false, reason });

function schemaOf<T>(convert: (trimmed: string) => Conversion<T>): z.ZodType<T, string> {
  return z.string().transform((raw, ctx) => {
    const result = convert(raw.trim());
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.reason });
    return z.NEVER;
  });
}

const WHOLE_NUMBER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const JAVA_RANGES = {
  short: [-(2n ** 15n), 2n ** 15n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
} as const;

function boundsReason(n: number | bigint, bounds: Bounds): string | null {
  if (bounds.min !== undefined && n < bounds.min) return `Value must be at least ${bounds.min}`;
  if (bounds.max !== undefined && n > bounds.max) return `Value must be no more than ${bounds.max}`;
  return null;
}

function describeBounds(bounds: Bounds): string {
  if (bounds.min !== undefined && bounds.max !== undefined)
    return `[${bounds.min},...,${bounds.max}]`;
  if (bounds.min !== undefined) return `[${bounds.min},...]`;
  if (bounds.max !== undefined) return `[...,${bounds.max}]`;
  return '';
}

function wholeNumber(type: 'short' | 'int' | 'long', bounds: Bounds = {}): ValueKind<number> {
  const [lo, hi] = JAVA_RANGES[type];
  const notANumber = `Not a number of type ${type.toUpperCase()}`;
  return {
    type,
    allowed: describeBounds(bounds) || `${type.toUpperCase()}`,
    schema: schemaOf((s) => {
      if (!WHOLE_NUMBER.test(s)) return fail(notANumber);
      const n = BigInt(s);
      if (n < lo || n > hi) return fail(notANumber);
      const outOfBounds = boundsReason(n, bounds);
      return outOfBounds ? fail(outOfBounds) : ok(Number(n));
    }),
  };
}

export const intValue = (bounds?: Bounds) => wholeNumber('int', bounds);
export const shortValue = (bounds?: Bounds) => wholeNumber('short', bounds);
export const longValue = (bounds?: Bounds) => wholeNumber('long', bounds);

export function doubleValue(bounds: Bounds = {}): ValueKind<number> {
  return {
    type: 'double',
    allowed: describeBounds(bounds) || 'DOUBLE',
    schema: schemaOf((s) => {
      const n = Number(s);
      if (!DECIMAL.test(s) || !Number.isFinite(n)) return fail('Not a number of type DOUBLE');
      const outOfBounds = boundsReason(n, bounds);
      return outOfBounds ? fail(outOfBounds) : ok(n);
    }),
  };
}

export function booleanValue(): ValueKind<boolean> {
  return {
    type: 'boolean',
    allowed: 'true or false',
    schema: schemaOf((s) => {
      const lower = s.toLowerCase();
      if (lower === 'true') return ok(true);
      if (lower === 'false') return ok(false);
      return fail('Expected value to be either true or false');
    }),
  };
}

export function stringValue<const T extends string = string>(
  options: { oneOf?: readonly T[] } = {},
): ValueKind<T> {
  const { oneOf } = options;
  return {
    type: 'string',
    allowed: oneOf ? oneOf.join(', ') : 'any string',
    schema: schemaOf((s) => {
      if (oneOf && !oneOf.includes(s as T))
        return fail(`String must be one of: ${oneOf.join(', ')}`);
      return ok(s as T);
    }),
  };
}

export interface ListOptions<T extends string> {
  /** Every entry must be one of these. */
  readonly oneOf?: readonly T[];
  /** An empty value (no entries) is refused. */
  readonly nonEmpty?: boolean;
  /** The same entry twice is refused. */
  readonly distinct?: boolean;
}

/** Kafka's LIST: comma-separated, entries trimmed; an empty value is the empty list. */
export function listValue<const T extends string = string>(
  options: ListOptions<T> = {},
): ValueKind<T[]> {
  const { oneOf, nonEmpty = false, distinct = false } = options;
  const allowed = [
    'comma-separated list',
    oneOf ? `of ${oneOf.join(', ')}` : '',
    nonEmpty ? '(non-empty)' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    type: 'list',
    allowed,
    schema: schemaOf((s) => {
      const entries = splitList(s);
      if (nonEmpty && entries.length === 0) return fail('The list must not be empty');
      if (entries.some((e) => e === '')) return fail('List entries must not be empty');
      const seen = new Set<string>();
      for (const entry of entries) {
        if (oneOf && !oneOf.includes(entry as T)) {
          return fail(
            `Entry '${entry}' is not allowed; entries must be one of: ${oneOf.join(', ')}`,
          );
        }
        if (distinct && seen.has(entry)) return fail(`Entry '${entry}' appears more than once`);
        seen.add(entry);
      }
      return ok(entries as T[]);
    }),
  };
}

/** Splits a LIST value: an empty (or blank) value is the empty list. */
export function splitList(value: string): string[] {
  const trimmed = value.trim();
  return trimmed === '' ? [] : trimmed.split(',').map((entry) => entry.trim());
}

/**
 * The shape of a message declaration. Every request, response, header and internal
 * record of the protocol is one MessageSpec (see ./generated), and codecs are compiled
 * from these declarations (src/protocol/codec), never written by hand per version.
 */

/** Inclusive [min, max] version range; null means "no version". */
export type VersionRange = readonly [number, number] | null;

/** Upper bound used for open-ended ranges ("3+"). */
export const MAX_VERSION = 32767;

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

export type DefaultValue = string | number | boolean | bigint | null;

export interface FieldSpec {
  readonly name: string;
  readonly type: PrimitiveType | 'struct' | 'array';
  /** Element type of an array field. */
  readonly items?: PrimitiveType | 'struct';
  /** The struct of a struct field or of an array-of-struct field. */
  readonly struct?: StructSpec;
  readonly versions: VersionRange;
  readonly nullableVersions?: VersionRange;
  readonly taggedVersions?: VersionRange;
  readonly tag?: number;
  /** Overrides the message's flexible versions for this field (e.g. the header's ClientId). */
  readonly flexibleVersions?: VersionRange;
  /** A non-default value may be dropped silently when encoding a version without the field. */
  readonly ignorable?: boolean;
  /** The field keys its struct within the enclosing array (Kafka's mapKey). */
  readonly mapKey?: boolean;
  /** Explicit default; absent means the type's own default (0, '', [], ...). */
  readonly default?: DefaultValue;
}

export interface StructSpec {
  readonly name: string;
  readonly fields: readonly FieldSpec[];
}

export type MessageKind = 'request' | 'response' | 'header' | 'data' | 'metadata';

export interface MessageSpec extends StructSpec {
  readonly kind: MessageKind;
  /** API key of requests/responses; record type of metadata records. */
  readonly apiKey?: number;
  readonly validVersions: readonly [number, number];
  readonly flexibleVersions: VersionRange;
  readonly deprecatedVersions?: VersionRange;
  /** Kafka marks the newest version of some APIs as not yet stable. */
  readonly latestVersionUnstable?: boolean;
}

export function inRange(range: VersionRange | undefined, version: number): boolean {
  return range != null && version >= range[0] && version <= range[1];
}

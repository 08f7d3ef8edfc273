import { DecodeError, EncodeError } from '../primitives/decode-error.js';
import { Reader } from '../primitives/reader.js';
import { Writer } from '../primitives/writer.js';
import { ZERO_UUID } from '../primitives/uuid.js';
import {
  inRange,
  type FieldSpec,
  type MessageSpec,
  type PrimitiveType,
  type StructSpec,
} from '../messages/spec.js';

/**
 * Compiles a message declaration into a decoder and an encoder for one version.
 *
 * The codec is generated JavaScript (via `new Function`) specialised to the version:
 * absent fields become constant defaults, flexible/compact choices are made at compile
 * time, and objects are built as literals with a stable shape. That keeps decoding of
 * large messages (Metadata for thousands of partitions) as fast as hand-written code
 * while every version still comes from the declarations alone.
 */

/** A value accepted by encoders: every field may be left out and takes its default. */
export type Encodable<T> = unknown extends T
  ? T
  : T extends Buffer
    ? T
    : T extends bigint | number | string | boolean | null | undefined
      ? T
      : T extends readonly (infer U)[]
        ? readonly Encodable<U>[]
        : { readonly [K in keyof T]?: Encodable<T[K]> };

export interface Codec<T> {
  decode(reader: Reader): T;
  encode(writer: Writer, value: Encodable<T>): void;
}

const EMPTY_BUFFER = Buffer.alloc(0);

/** The default of a field as Kafka defines it: explicit, else the type's zero value. */
export function defaultValue(field: FieldSpec): unknown {
  if (field.default !== undefined) return field.default;
  switch (field.type) {
    case 'bool':
      return false;
    case 'int64':
      return 0n;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
    case 'records':
      return EMPTY_BUFFER;
    case 'array':
      return [];
    case 'struct':
      return defaultStruct(field.struct!);
    default:
      return 0;
  }
}

export function defaultStruct(struct: StructSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of struct.fields) out[f.name] = defaultValue(f);
  return out;
}

/** Whether a value equals its field's default (what Kafka leaves out of tagged sections). */
export function isDefaultValue(field: FieldSpec, value: unknown): boolean {
  if (value === undefined) return true;
  const def = defaultValue(field);
  if (value === def) return true;
  if (value === null || def === null) return false;
  switch (field.type) {
    case 'bytes':
    case 'records':
      return (value as Buffer).length === 0;
    case 'array':
      return (value as unknown[]).length === 0;
    case 'struct':
      return field.struct!.fields.every((f) =>
        isDefaultValue(f, (value as Record<string, unknown>)[f.name]),
      );
    default:
      return false;
  }
}

const READ: Record<PrimitiveType, string> = {
  bool: 'r.bool()',
  int8: 'r.int8()',
  int16: 'r.int16()',
  uint16: 'r.uint16()',
  int32: 'r.int32()',
  uint32: 'r.uint32()',
  int64: 'r.int64()',
  float64: 'r.float64()',
  uuid: 'r.uuid()',
  string: '',
  bytes: '',
  records: '',
};

class VersionCompiler {
  private readonly functions: string[] = [];
  private readonly structIds = new Map<StructSpec, number>();
  private readonly defaultMakers = new Map<StructSpec, number>();
  readonly constants: unknown[] = [];

  constructor(
    private readonly spec: MessageSpec,
    private readonly version: number,
  ) {}

  compile(): string {
    const root = this.struct(this.spec);
    return `${this.functions.join('\n')}\nreturn { decode: d${root}, encode: e${root} };`;
  }

  private constant(value: unknown): string {
    this.constants.push(value);
    return `k[${this.constants.length - 1}]`;
  }

  private get messageFlexible(): boolean {
    return inRange(this.spec.flexibleVersions, this.version);
  }

  private flexible(field: FieldSpec): boolean {
    return field.flexibleVersions !== undefined
      ? inRange(field.flexibleVersions, this.version)
      : this.messageFlexible;
  }

  private nullable(field: FieldSpec): boolean {
    return inRange(field.nullableVersions, this.version);
  }

  private defaultExpr(field: FieldSpec): string {
    if (field.default !== undefined) {
      const d = field.default;
      if (d === null) return 'null';
      if (typeof d === 'bigint') return `${d}n`;
      if (typeof d === 'string') return JSON.stringify(d);
      return String(d);
    }
    switch (field.type) {
      case 'bool':
        return 'false';
      case 'int64':
        return '0n';
      case 'string':
        return "''";
      case 'uuid':
        return JSON.stringify(ZERO_UUID);
      case 'bytes':
      case 'records':
        return 'EMPTY';
      case 'array':
        return '[]';
      case 'struct':
        return `m${this.defaultMaker(field.struct!)}()`;
      default:
        return '0';
    }
  }

  private defaultMaker(struct: StructSpec): number {
    let id = this.defaultMakers.get(struct);
    if (id !== undefined) return id;
    id = this.defaultMakers.size;
    this.defaultMakers.set(struct, id);
    const props = struct.fields.map((f) => `${JSON.stringify(f.name)}: ${this.defaultExpr(f)}`);
    this.functions.push(`function m${id}() { return { ${props.join(', ')} }; }`);
    return id;
  }

  /** Compiles decode/encode functions for a struct at this version; returns their id. */
  private struct(struct: StructSpec): number {
    let id = this.structIds.get(struct);
    if (id !== undefined) return id;
    id = this.structIds.size;
    this.structIds.set(struct, id);
    this.functions.push(this.decoder(struct, id), this.encoder(struct, id));
    return id;
  }

  private isTagged(field: FieldSpec): boolean {
    return this.messageFlexible && inRange(field.taggedVersions, this.version);
  }

  private isPresent(field: FieldSpec): boolean {
    return inRange(field.versions, this.version);
  }

  // ---- decoding -------------------------------------------------------------------

  private readScalar(type: PrimitiveType, flexible: boolean, nullable: boolean): string {
    switch (type) {
      case 'string':
        return flexible
          ? nullable
            ? 'r.compactNullableString()'
            : 'r.compactString()'
          : nullable
            ? 'r.nullableString()'
            : 'r.string()';
      case 'bytes':
      case 'records':
        return flexible
          ? nullable
            ? 'r.compactNullableBytes()'
            : 'r.compactBytes()'
          : nullable
            ? 'r.nullableBytes()'
            : 'r.bytes()';
      default:
        return READ[type];
    }
  }

  /** Statements that read `field` into the local `target`. */
  private readField(field: FieldSpec, target: string): string {
    const flexible = this.flexible(field);
    const nullable = this.nullable(field);
    const where = JSON.stringify(`${this.spec.name} field ${field.name}`);
    if (field.type === 'array') {
      const element =
        field.items === 'struct'
          ? `d${this.struct(field.struct!)}(r)`
          : this.readScalar(field.items!, flexible, false);
      const onNull = nullable
        ? `${target} = null;`
        : `throw new DecodeError(${where} + " is null but not nullable");`;
      return (
        `{ const n = r.arrayLength(${flexible}); if (n < 0) { ${onNull} } else { ` +
        `const a = new Array(n); for (let i = 0; i < n; i++) a[i] = ${element}; ${target} = a; } }`
      );
    }
    if (field.type === 'struct') {
      const read = `d${this.struct(field.struct!)}(r)`;
      return nullable ? `${target} = r.int8() < 0 ? null : ${read};` : `${target} = ${read};`;
    }
    return `${target} = ${this.readScalar(field.type, flexible, nullable)};`;
  }

  private decoder(struct: StructSpec, id: number): string {
    const lines: string[] = [`function d${id}(r) {`];
    const tagged: { field: FieldSpec; local: string }[] = [];
    struct.fields.forEach((field, i) => {
      const local = `f${i}`;
      if (this.isTagged(field)) {
        lines.push(`let ${local} = ${this.defaultExpr(field)};`);
        tagged.push({ field, local });
      } else if (this.isPresent(field)) {
        lines.push(`let ${local};`, this.readField(field, local));
      } else {
        lines.push(`let ${local} = ${this.defaultExpr(field)};`);
      }
    });
    if (this.messageFlexible) {
      const cases = tagged
        .map(
          ({ field, local }) =>
            `case ${field.tag}: { const end = r.offset + size; ${this.readField(field, local)} ` +
            `if (r.offset !== end) throw new DecodeError(${JSON.stringify(
              `${this.spec.name} tagged field ${field.name}`,
            )} + " size mismatch"); break; }`,
        )
        .join(' ');
      lines.push(
        'for (let t = 0, nt = r.uvarint(); t < nt; t++) {',
        '  const tag = r.uvarint(); const size = r.uvarint();',
        '  if (size > r.remaining) throw new DecodeError("tagged field of " + size + " bytes exceeds the input");',
        `  switch (tag) { ${cases} default: r.skip(size); }`,
        '}',
      );
    }
    const props = struct.fields.map((f, i) => `${JSON.stringify(f.name)}: f${i}`);
    lines.push(`return { ${props.join(', ')} };`, '}');
    return lines.join('\n');
  }

  // ---- encoding -------------------------------------------------------------------

  private writeScalar(
    type: PrimitiveType,
    flexible: boolean,
    nullable: boolean,
    v: string,
  ): string {
    switch (type) {
      case 'string':
        return flexible
          ? nullable
            ? `w.compactNullableString(${v});`
            : `w.compactString(${v});`
          : nullable
            ? `w.nullableString(${v});`
            : `w.string(${v});`;
      case 'bytes':
      case 'records':
        return flexible
          ? nullable
            ? `w.compactNullableBytes(${v});`
            : `w.compactBytes(${v});`
          : nullable
            ? `w.nullableBytes(${v});`
            : `w.bytes(${v});`;
      default:
        return `w.${type}(${v});`;
    }
  }

  /** Statements writing the value held in local `v` for `field` to writer `w`. */
  private writeField(field: FieldSpec, v: string): string {
    const flexible = this.flexible(field);
    const nullable = this.nullable(field);
    const nullCheck = nullable
      ? ''
      : `if (${v} === null) throw new EncodeError(${JSON.stringify(
          `${this.spec.name} field ${field.name} is not nullable in version ${this.version}`,
        )}); `;
    if (field.type === 'array') {
      const element =
        field.items === 'struct'
          ? `e${this.struct(field.struct!)}(w, x);`
          : this.writeScalar(field.items!, flexible, false, 'x');
      const length = flexible ? `w.uvarint(${v}.length + 1);` : `w.int32(${v}.length);`;
      const writeNull = flexible ? 'w.uvarint(0);' : 'w.int32(-1);';
      return (
        nullCheck +
        `if (${v} === null) { ${writeNull} } else { ${length} for (const x of ${v}) { ${element} } }`
      );
    }
    if (field.type === 'struct') {
      const write = `e${this.struct(field.struct!)}(w, ${v});`;
      return nullable
        ? `if (${v} === null) { w.int8(-1); } else { w.int8(1); ${write} }`
        : nullCheck + write;
    }
    return nullCheck + this.writeScalar(field.type, flexible, nullable, v);
  }

  private encoder(struct: StructSpec, id: number): string {
    const lines: string[] = [`function e${id}(w, o) {`, 'let v;'];
    const tagged: FieldSpec[] = [];
    for (const field of struct.fields) {
      const name = JSON.stringify(field.name);
      if (this.isTagged(field)) {
        tagged.push(field);
      } else if (this.isPresent(field)) {
        lines.push(`v = o[${name}]; if (v === undefined) v = ${this.defaultExpr(field)};`);
        lines.push(this.writeField(field, 'v'));
      } else if (!field.ignorable) {
        lines.push(
          `if (!isDefault(${this.constant(field)}, o[${name}])) throw new EncodeError(${JSON.stringify(
            `${this.spec.name} field ${field.name} cannot be encoded in version ${this.version}`,
          )});`,
        );
      }
    }
    if (this.messageFlexible) {
      tagged.sort((a, b) => a.tag! - b.tag!);
      lines.push('let nt = 0;');
      tagged.forEach((field, i) => {
        lines.push(
          `const t${i} = !isDefault(${this.constant(field)}, o[${JSON.stringify(field.name)}]); if (t${i}) nt++;`,
        );
      });
      lines.push('w.uvarint(nt);');
      tagged.forEach((field, i) => {
        lines.push(
          `if (t${i}) { w.uvarint(${field.tag}); v = o[${JSON.stringify(field.name)}]; ` +
            `const outer = w; { const w = new Writer(); ${this.writeField(field, 'v')} ` +
            `outer.uvarint(w.length); outer.append(w); } }`,
        );
      });
    }
    lines.push('}');
    return lines.join('\n');
  }
}

const codecCache = new WeakMap<MessageSpec, Codec<unknown>[]>();

/** The codec of `spec` at `version`, compiled on first use. */
export function codecFor<T>(spec: MessageSpec, version: number): Codec<T> {
  let perVersion = codecCache.get(spec);
  if (!perVersion) {
    perVersion = [];
    codecCache.set(spec, perVersion);
  }
  let codec = perVersion[version];
  if (!codec) {
    if (
      !Number.isInteger(version) ||
      version < spec.validVersions[0] ||
      version > spec.validVersions[1]
    ) {
      throw new RangeError(`${spec.name} has no version ${version}`);
    }
    const compiler = new VersionCompiler(spec, version);
    const body = compiler.compile();
    const factory = new Function(
      'k',
      'Writer',
      'DecodeError',
      'EncodeError',
      'isDefault',
      'EMPTY',
      `"use strict";\n${body}`,
    ) as (...args: unknown[]) => Codec<unknown>;
    codec = factory(
      compiler.constants,
      Writer,
      DecodeError,
      EncodeError,
      isDefaultValue,
      EMPTY_BUFFER,
    );
    perVersion[version] = codec;
  }
  return codec as Codec<T>;
}

/** Decodes one whole message body from `buf`. */
export function decodeMessage<T>(spec: MessageSpec, version: number, buf: Buffer): T {
  return codecFor<T>(spec, version).decode(new Reader(buf));
}

/** Encodes one message body to a single Buffer. */
export function encodeMessage<T>(spec: MessageSpec, version: number, value: Encodable<T>): Buffer {
  const writer = new Writer();
  codecFor<T>(spec, version).encode(writer, value);
  return writer.toBuffer();
}

import fc from 'fast-check';
import { defaultValue } from '../../src/protocol/codec/compile.js';
import {
  inRange,
  type FieldSpec,
  type MessageSpec,
  type PrimitiveType,
  type StructSpec,
} from '../../src/protocol/messages/spec.js';

/**
 * Random message values for one version of a declaration: fields present in the version
 * get random values (null where nullable), fields absent from it hold their defaults, so
 * a correct codec decodes exactly the generated object.
 */
export function messageArbitrary(
  spec: MessageSpec,
  version: number,
): fc.Arbitrary<Record<string, unknown>> {
  return structArbitrary(spec, version, 0);
}

const MAX_DEPTH = 4;

function scalarArbitrary(type: PrimitiveType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer();
    case 'uint32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 8 });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
    case 'uuid':
      return fc
        .uint8Array({ minLength: 16, maxLength: 16 })
        .map((a) => Buffer.from(a).toString('base64url'));
  }
}

function fieldArbitrary(field: FieldSpec, version: number, depth: number): fc.Arbitrary<unknown> {
  let arb: fc.Arbitrary<unknown>;
  if (field.type === 'array') {
    const element =
      field.items === 'struct'
        ? structArbitrary(field.struct!, version, depth + 1)
        : scalarArbitrary(field.items!);
    arb = fc.array(element, { maxLength: depth >= MAX_DEPTH ? 0 : 3 });
  } else if (field.type === 'struct') {
    arb = structArbitrary(field.struct!, version, depth + 1);
  } else {
    arb = scalarArbitrary(field.type);
  }
  return inRange(field.nullableVersions, version) ? fc.option(arb, { nil: null, freq: 4 }) : arb;
}

function structArbitrary(
  struct: StructSpec,
  version: number,
  depth: number,
): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of struct.fields) {
    model[field.name] = inRange(field.versions, version)
      ? fieldArbitrary(field, version, depth)
      : fc.constant(null).map(() => defaultValue(field));
  }
  return fc.record(model);
}

/** Every (declaration, version) pair of the catalog. */
export function allVersions(
  specs: readonly MessageSpec[],
): { spec: MessageSpec; version: number }[] {
  const out: { spec: MessageSpec; version: number }[] = [];
  for (const spec of specs) {
    for (let v = spec.validVersions[0]; v <= spec.validVersions[1]; v++)
      out.push({ spec, version: v });
  }
  return out;
}

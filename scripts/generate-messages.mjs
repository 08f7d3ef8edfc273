#!/usr/bin/env node
// Generates src/protocol/messages/generated/ from Kafka's JSON message definitions.
//
// Usage: node scripts/generate-messages.mjs <kafka-definitions-dir>...
// Each directory holds *.json definitions (requests, responses, headers, internal
// records, KRaft metadata records). The output is committed: building and running the
// broker never needs the definitions themselves.
import { readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_VERSION = 32767;
const PRIMITIVES = new Set([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
]);
const INTEGER_TYPES = new Set(['int8', 'int16', 'uint16', 'int32', 'uint32']);

const outDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'src/protocol/messages/generated',
);

/** The definitions are JSON with // and /* *\/ comments. */
function stripComments(text) {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (text.startsWith('/*', i)) {
      i = text.indexOf('*/', i + 2) + 1;
    } else if (text.startsWith('//', i)) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol - 1;
    } else {
      out += c;
    }
  }
  return out;
}

function parseRange(text) {
  if (text === undefined) return undefined;
  if (text === 'none') return null;
  if (text.endsWith('+')) return [Number(text.slice(0, -1)), MAX_VERSION];
  const dash = text.indexOf('-');
  if (dash > 0) return [Number(text.slice(0, dash)), Number(text.slice(dash + 1))];
  return [Number(text), Number(text)];
}

function camel(name) {
  return name[0].toLowerCase() + name.slice(1);
}

function kebab(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function parseDefault(field, type) {
  const raw = field.default;
  if (raw === undefined) return undefined;
  if (raw === 'null' || raw === null) return null;
  if (type === 'bool') return raw === true || raw === 'true';
  if (INTEGER_TYPES.has(type)) return Number(raw);
  if (type === 'int64') return BigInt(raw);
  if (type === 'float64') return Number(raw);
  if (type === 'string') return String(raw);
  throw new Error(`field ${field.name}: unsupported default ${JSON.stringify(raw)} for ${type}`);
}

function literal(value) {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return String(value);
}

function rangeLiteral(range) {
  if (range === null) return 'null';
  return `[${range[0]}, ${range[1]}]`;
}

class MessageGenerator {
  constructor(definition) {
    this.definition = definition;
    this.commonStructs = new Map((definition.commonStructs ?? []).map((s) => [s.name, s]));
    // Struct declarations in dependency order (children first), by struct name.
    this.structs = new Map();
  }

  struct(name, fields) {
    if (this.structs.has(name)) {
      const known = this.structs.get(name);
      if (known.source !== fields)
        throw new Error(`${this.definition.name}: struct ${name} declared twice`);
      return known;
    }
    const entry = { name, source: fields, ident: `${name}Struct`, fields: null };
    this.structs.set(name, entry);
    entry.fields = fields.map((f) => this.field(f));
    // Re-insert so children precede parents in emission order.
    this.structs.delete(name);
    this.structs.set(name, entry);
    return entry;
  }

  field(f) {
    // A tagged field may omit "versions": it then exists exactly in its tagged versions.
    const out = { name: camel(f.name), versions: parseRange(f.versions ?? f.taggedVersions) };
    let type = f.type;
    const isArray = type.startsWith('[]');
    if (isArray) type = type.slice(2);
    if (PRIMITIVES.has(type)) {
      out.type = isArray ? 'array' : type;
      if (isArray) out.items = type;
    } else {
      const fields = f.fields ?? this.commonStructs.get(type)?.fields;
      if (!fields) throw new Error(`${this.definition.name}: unknown type ${f.type}`);
      out.type = isArray ? 'array' : 'struct';
      if (isArray) out.items = 'struct';
      out.struct = this.struct(type, fields);
    }
    if (f.nullableVersions !== undefined) out.nullableVersions = parseRange(f.nullableVersions);
    if (f.taggedVersions !== undefined) out.taggedVersions = parseRange(f.taggedVersions);
    if (f.tag !== undefined) out.tag = f.tag;
    if (f.flexibleVersions !== undefined) out.flexibleVersions = parseRange(f.flexibleVersions);
    if (f.ignorable) out.ignorable = true;
    if (f.mapKey) out.mapKey = true;
    const def = parseDefault(f, isArray || out.type === 'struct' ? 'compound' : type);
    if (def !== undefined) out.default = def;
    out.tsType = this.tsType(out);
    return out;
  }

  tsType(field) {
    const base = (t, struct) => {
      switch (t) {
        case 'bool':
          return 'boolean';
        case 'int64':
          return 'bigint';
        case 'string':
        case 'uuid':
          return 'string';
        case 'bytes':
        case 'records':
          return 'Buffer';
        case 'struct':
          return struct.name;
        default:
          return 'number';
      }
    };
    let ts =
      field.type === 'array'
        ? `${base(field.items, field.struct)}[]`
        : base(field.type, field.struct);
    if (field.nullableVersions) ts += ' | null';
    return ts;
  }

  fieldSource(field, indent) {
    const parts = [`name: '${field.name}'`, `type: '${field.type}'`];
    if (field.items) parts.push(`items: '${field.items}'`);
    if (field.struct) parts.push(`struct: ${field.struct.ident}`);
    parts.push(`versions: ${rangeLiteral(field.versions)}`);
    if (field.nullableVersions !== undefined)
      parts.push(`nullableVersions: ${rangeLiteral(field.nullableVersions)}`);
    if (field.taggedVersions !== undefined)
      parts.push(`taggedVersions: ${rangeLiteral(field.taggedVersions)}`);
    if (field.tag !== undefined) parts.push(`tag: ${field.tag}`);
    if (field.flexibleVersions !== undefined)
      parts.push(`flexibleVersions: ${rangeLiteral(field.flexibleVersions)}`);
    if (field.ignorable) parts.push('ignorable: true');
    if (field.mapKey) parts.push('mapKey: true');
    if (field.default !== undefined) parts.push(`default: ${literal(field.default)}`);
    return `${indent}{ ${parts.join(', ')} },`;
  }

  generate() {
    const d = this.definition;
    const root = this.struct(d.name, d.fields ?? []);
    this.structs.delete(d.name);
    const lines = [
      "// Generated by scripts/generate-messages.mjs from Kafka's message definitions. Do not edit.",
      "import type { MessageSpec, StructSpec } from '../spec.js';",
      '',
    ];
    for (const s of this.structs.values()) {
      lines.push(`export interface ${s.name} {`);
      for (const f of s.fields) lines.push(`  ${f.name}: ${f.tsType};`);
      lines.push('}', '');
      lines.push(`const ${s.ident}: StructSpec = {`, `  name: '${s.name}',`, '  fields: [');
      for (const f of s.fields) lines.push(this.fieldSource(f, '    '));
      lines.push('  ],', '};', '');
    }
    lines.push(`export interface ${d.name} {`);
    for (const f of root.fields) lines.push(`  ${f.name}: ${f.tsType};`);
    lines.push('}', '');
    lines.push(`export const ${d.name}Spec: MessageSpec = {`);
    lines.push(`  name: '${d.name}',`);
    lines.push(`  kind: '${d.type}',`);
    if (d.apiKey !== undefined) lines.push(`  apiKey: ${d.apiKey},`);
    lines.push(`  validVersions: ${rangeLiteral(parseRange(d.validVersions))},`);
    lines.push(`  flexibleVersions: ${rangeLiteral(parseRange(d.flexibleVersions))},`);
    if (d.deprecatedVersions !== undefined) {
      lines.push(`  deprecatedVersions: ${rangeLiteral(parseRange(d.deprecatedVersions))},`);
    }
    if (d.latestVersionUnstable) lines.push('  latestVersionUnstable: true,');
    lines.push('  fields: [');
    for (const f of root.fields) lines.push(this.fieldSource(f, '    '));
    lines.push('  ],', '};', '');
    return lines.join('\n');
  }
}

function main(dirs) {
  if (dirs.length === 0) {
    console.error('usage: node scripts/generate-messages.mjs <definitions-dir>...');
    process.exit(2);
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const definitions = [];
  for (const dir of dirs) {
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      definitions.push(JSON.parse(stripComments(readFileSync(join(dir, file), 'utf8'))));
    }
  }
  definitions.sort((a, b) => a.name.localeCompare(b.name));
  const index = [
    "// Generated by scripts/generate-messages.mjs from Kafka's message definitions. Do not edit.",
    "import type { MessageSpec } from '../spec.js';",
  ];
  const requests = new Map();
  const responses = new Map();
  for (const d of definitions) {
    const module = kebab(d.name);
    writeFileSync(join(outDir, `${module}.ts`), new MessageGenerator(d).generate());
    index.push(`import { ${d.name}Spec } from './${module}.js';`);
    index.push(`import type { ${d.name} } from './${module}.js';`);
    if (d.type === 'request') requests.set(d.apiKey, d.name);
    if (d.type === 'response') responses.set(d.apiKey, d.name);
  }
  index.push('');
  index.push('/** Every declared message, request, response, header and record, by name. */');
  index.push('export const allMessageSpecs: readonly MessageSpec[] = [');
  for (const d of definitions) index.push(`  ${d.name}Spec,`);
  index.push('];', '');
  const keys = [...requests.keys()].sort((a, b) => a - b);
  index.push('/** Request and response declarations of each API key. */');
  index.push(
    'export const apiSpecs: ReadonlyMap<number, { readonly request: MessageSpec; readonly response: MessageSpec }> = new Map([',
  );
  for (const k of keys) {
    index.push(`  [${k}, { request: ${requests.get(k)}Spec, response: ${responses.get(k)}Spec }],`);
  }
  index.push(']);', '');
  index.push('/** Typed request bodies by API key. */');
  index.push('export interface RequestsByApiKey {');
  for (const k of keys) index.push(`  ${k}: ${requests.get(k)};`);
  index.push('}', '');
  index.push('/** Typed response bodies by API key. */');
  index.push('export interface ResponsesByApiKey {');
  for (const k of keys) index.push(`  ${k}: ${responses.get(k)};`);
  index.push('}', '');
  index.push('export const ApiKey = {');
  for (const k of keys) index.push(`  ${requests.get(k).replace(/Request$/, '')}: ${k},`);
  index.push('} as const;', '');
  writeFileSync(join(outDir, 'index.ts'), index.join('\n'));
  console.log(`generated ${definitions.length} message declarations in ${outDir}`);
}

main(process.argv.slice(2));

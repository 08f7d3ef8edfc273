import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { codecFor, decodeMessage, encodeMessage } from '../../../src/protocol/codec/compile.js';
import { allMessageSpecs, apiSpecs } from '../../../src/protocol/messages/generated/index.js';
import { inRange } from '../../../src/protocol/messages/spec.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { allVersions, messageArbitrary } from '../../harness/message-arbitrary.js';

const RUNS_PER_VERSION = 50;

describe('the catalog', () => {
  test('declares a request and a response for every API key 0-87', () => {
    const keys = [...apiSpecs.keys()].sort((a, b) => a - b);
    expect(keys).toEqual(Array.from({ length: 88 }, (_, i) => i));
    for (const [key, { request, response }] of apiSpecs) {
      expect(request.apiKey).toBe(key);
      expect(response.apiKey).toBe(key);
      expect(request.kind).toBe('request');
      expect(response.kind).toBe('response');
      expect(response.validVersions).toEqual(request.validVersions);
    }
  });

  test('includes the headers and the internal record schemas', () => {
    const names = new Set(allMessageSpecs.map((s) => s.name));
    for (const name of [
      'RequestHeader',
      'ResponseHeader',
      'OffsetCommitKey',
      'OffsetCommitValue',
      'GroupMetadataKey',
      'GroupMetadataValue',
      'ConsumerGroupMetadataKey',
      'ConsumerGroupMetadataValue',
      'ConsumerGroupMemberMetadataValue',
      'ConsumerGroupTargetAssignmentMemberValue',
      'TransactionLogKey',
      'TransactionLogValue',
      'TopicRecord',
      'PartitionRecord',
      'ConfigRecord',
      'RegisterBrokerRecord',
      'RemoveTopicRecord',
      'PartitionChangeRecord',
      'FeatureLevelRecord',
      'LeaderChangeMessage',
      'SnapshotHeaderRecord',
      'SnapshotFooterRecord',
      'VotersRecord',
      'KRaftVersionRecord',
      'ConsumerProtocolSubscription',
      'ConsumerProtocolAssignment',
      'ProducerSnapshot',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
  });
});

// One test per declaration, each covering every valid version: a missing version or
// message in the catalog shows up here as a missing or failing test.
describe.each(allMessageSpecs.map((spec) => ({ name: spec.name, spec })))('$name', ({ spec }) => {
  test.each(allVersions([spec]).map(({ version }) => version))(
    'round-trips version %i',
    (version) => {
      fc.assert(
        fc.property(messageArbitrary(spec, version), (value) => {
          const encoded = encodeMessage(spec, version, value);
          const reader = new Reader(encoded);
          const decoded = codecFor(spec, version).decode(reader);
          expect(reader.remaining).toBe(0);
          expect(decoded).toEqual(value);
          expect(
            encodeMessage(spec, version, decoded as Record<string, unknown>).equals(encoded),
          ).toBe(true);
        }),
        { numRuns: RUNS_PER_VERSION },
      );
    },
  );
});

describe('version rules', () => {
  const cases = allVersions(allMessageSpecs).flatMap(({ spec, version }) =>
    spec.fields
      .filter((f) => !inRange(f.versions, version) && f.type !== 'struct')
      .map((field) => ({ spec, version, field })),
  );

  test('a non-default value for a field absent from the version is an error unless ignorable', () => {
    expect(cases.length).toBeGreaterThan(100);
    for (const { spec, version, field } of cases) {
      const value =
        field.type === 'bool' ? field.default !== true : nonDefaultValue(field.type, field.items);
      const encode = () => encodeMessage(spec, version, { [field.name]: value });
      if (field.ignorable) expect(encode, `${spec.name} v${version} ${field.name}`).not.toThrow();
      else expect(encode, `${spec.name} v${version} ${field.name}`).toThrow(/cannot be encoded/);
    }
  });

  test('unknown tagged fields are skipped', () => {
    let checked = 0;
    for (const { spec, version } of allVersions(allMessageSpecs)) {
      if (!inRange(spec.flexibleVersions, version)) continue;
      if (spec.fields.some((f) => inRange(f.taggedVersions, version))) continue;
      const encoded = encodeMessage(spec, version, {});
      expect(encoded[encoded.length - 1]).toBe(0);
      // Replace the empty top-level tagged section with one unknown tag (999) of 3 bytes.
      const withTag = Buffer.concat([
        encoded.subarray(0, -1),
        Buffer.from([1, 0xe7, 0x07, 3, 1, 2, 3]),
      ]);
      expect(decodeMessage(spec, version, withTag)).toEqual(decodeMessage(spec, version, encoded));
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  test('null in a non-nullable field is refused when encoding', () => {
    const { request } = apiSpecs.get(3)!;
    // Metadata v0 topics is a plain array; from v1 on it is nullable (null = all topics).
    expect(() => encodeMessage(request, 0, { topics: null })).toThrow(/not nullable/);
    expect(encodeMessage(request, 0, { topics: [] })).toEqual(Buffer.from([0, 0, 0, 0]));
    expect(encodeMessage(request, 1, { topics: null })).toEqual(
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
    );
  });

  test('versions outside validVersions have no codec', () => {
    const { request } = apiSpecs.get(0)!;
    expect(() => codecFor(request, 12)).toThrow(RangeError);
    expect(() => codecFor(request, -1)).toThrow(RangeError);
  });
});

function nonDefaultValue(type: string, items?: string): unknown {
  switch (type) {
    case 'bool':
      return true;
    case 'int64':
      return 12345n;
    case 'string':
      return 'x';
    case 'uuid':
      return 'AQIDBAUGBwgJCgsMDQ4PEA';
    case 'bytes':
    case 'records':
      return Buffer.from([1]);
    case 'array':
      return items === 'struct' ? [{}] : [nonDefaultValue(items!)];
    default:
      return 77;
  }
}

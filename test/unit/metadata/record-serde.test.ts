import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  METADATA_RECORD_NAME_BY_TYPE,
  METADATA_RECORD_NAMES,
  METADATA_RECORD_SPECS,
  metadataRecord,
  type MetadataRecord,
} from '../../../src/metadata/metadata-records.js';
import {
  MetadataRecordSerdeError,
  UnknownMetadataRecordTypeError,
  decodeMetadataRecord,
  encodeMetadataRecord,
} from '../../../src/metadata/record-serde.js';
import { allMessageSpecs } from '../../../src/protocol/messages/generated/index.js';
import { uuidToBytes } from '../../../src/protocol/primitives/uuid.js';
import { messageArbitrary } from '../../harness/message-arbitrary.js';

const RUNS_PER_VERSION = 30;
const TOPIC_ID = 'nVAnrbIOTUqZ6R3tPhLQbg';

describe('the metadata record registry', () => {
  test('holds every KRaft metadata record of the catalog, each under its own type id', () => {
    const kraftSpecs = allMessageSpecs.filter(
      (spec) => spec.kind === 'metadata' && !spec.name.startsWith('Remote'),
    );
    expect(new Set(METADATA_RECORD_NAMES)).toEqual(new Set(kraftSpecs.map((spec) => spec.name)));
    expect(METADATA_RECORD_NAME_BY_TYPE.size).toBe(METADATA_RECORD_NAMES.length);
    // Kafka's MetadataRecordType ids.
    expect(METADATA_RECORD_SPECS.RegisterBrokerRecord.apiKey).toBe(0);
    expect(METADATA_RECORD_SPECS.TopicRecord.apiKey).toBe(2);
    expect(METADATA_RECORD_SPECS.PartitionChangeRecord.apiKey).toBe(5);
    expect(METADATA_RECORD_SPECS.RemoveTopicRecord.apiKey).toBe(9);
    expect(METADATA_RECORD_SPECS.FeatureLevelRecord.apiKey).toBe(12);
    expect(METADATA_RECORD_SPECS.NoOpRecord.apiKey).toBe(20);
  });
});

describe('encodeMetadataRecord / decodeMetadataRecord', () => {
  for (const name of METADATA_RECORD_NAMES) {
    const spec = METADATA_RECORD_SPECS[name];
    test(`${name}: every version round-trips with its frame header`, () => {
      for (let version = spec.validVersions[0]; version <= spec.validVersions[1]; version++) {
        fc.assert(
          fc.property(messageArbitrary(spec, version), (data) => {
            const record = { type: name, version, data } as MetadataRecord;
            const bytes = encodeMetadataRecord(record);
            expect([...bytes.subarray(0, 3)]).toEqual([1, spec.apiKey, version]);
            const decoded = decodeMetadataRecord(bytes);
            expect(decoded.type).toBe(name);
            expect(decoded.version).toBe(version);
            expect(decoded.data).toEqual(data);
          }),
          { numRuns: RUNS_PER_VERSION },
        );
      }
    });
  }

  test('writes the frame exactly as Kafka does: frame version, type, version, body', () => {
    const bytes = encodeMetadataRecord(
      metadataRecord('TopicRecord', { name: 'foo', topicId: TOPIC_ID }),
    );
    const expected = Buffer.concat([
      Buffer.from([0x01, 0x02, 0x00]), // frame version 1, TopicRecord (2), version 0
      Buffer.from([0x04]), // compact string length + 1
      Buffer.from('foo'),
      uuidToBytes(TOPIC_ID),
      Buffer.from([0x00]), // no tagged fields
    ]);
    expect(bytes).toEqual(expected);
  });

  test('writes PartitionChangeRecord fields left at "no change" as absent tagged fields', () => {
    const record = metadataRecord('PartitionChangeRecord', { topicId: TOPIC_ID, partitionId: 3 });
    expect(record.data.leader).toBe(-2);
    expect(record.data.isr).toBeNull();
    const bytes = encodeMetadataRecord(record);
    expect([...bytes.subarray(0, 3)]).toEqual([1, 5, 1]);
    // partitionId int32, topic id, then an empty tagged-field section.
    expect(bytes.length).toBe(3 + 4 + 16 + 1);
  });

  test('refuses an unknown record type with a typed error', () => {
    for (const type of [6, 13, 99]) {
      const bytes = Buffer.from([0x01, type, 0x00]);
      const error = (() => {
        try {
          decodeMetadataRecord(bytes);
        } catch (err) {
          return err;
        }
      })();
      expect(error).toBeInstanceOf(UnknownMetadataRecordTypeError);
      expect((error as UnknownMetadataRecordTypeError).typeId).toBe(type);
    }
  });

  test('refuses frame version 0 and unknown frame versions', () => {
    const body = encodeMetadataRecord(metadataRecord('NoOpRecord', {})).subarray(1);
    expect(() => decodeMetadataRecord(Buffer.concat([Buffer.from([0]), body]))).toThrow(
      /frame version 0/,
    );
    expect(() => decodeMetadataRecord(Buffer.concat([Buffer.from([2]), body]))).toThrow(
      MetadataRecordSerdeError,
    );
  });

  test('refuses versions the record does not have, garbage after the body and truncation', () => {
    expect(() => decodeMetadataRecord(Buffer.from([0x01, 0x02, 0x05, 0x00]))).toThrow(
      /no version 5/,
    );
    const bytes = encodeMetadataRecord(
      metadataRecord('TopicRecord', { name: 'a', topicId: TOPIC_ID }),
    );
    expect(() => decodeMetadataRecord(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/garbage/);
    expect(() => decodeMetadataRecord(bytes.subarray(0, bytes.length - 4))).toThrow(
      MetadataRecordSerdeError,
    );
    expect(() => decodeMetadataRecord(Buffer.from([0x01, 0xff, 0xff, 0x03]))).toThrow(/too large/);
    expect(() =>
      encodeMetadataRecord(metadataRecord('TopicRecord', { name: 'a', topicId: TOPIC_ID }, 1)),
    ).toThrow(MetadataRecordSerdeError);
  });
});

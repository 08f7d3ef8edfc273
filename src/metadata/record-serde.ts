/**
 * Kafka's metadata record framing (AbstractApiMessageSerde / MetadataRecordSerde), the value
 * of every record in a `__cluster_metadata` data batch:
 *
 *   unsigned varint frame version (always 1)
 *   unsigned varint record type   (MetadataRecordType id = the declaration's apiKey)
 *   unsigned varint record version
 *   the record body in that version
 *
 * Frame version 0 (the KRaft preview of Kafka 2.8) is refused as Kafka refuses it, and so
 * are bytes left after the body.
 */
import { codecFor } from '../protocol/codec/compile.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import {
  METADATA_RECORD_NAME_BY_TYPE,
  METADATA_RECORD_SPECS,
  type MetadataRecord,
} from './metadata-records.js';

export const METADATA_FRAME_VERSION = 1;

/** Kafka reads each header field as a short. */
const MAX_HEADER_VALUE = 0x7fff;

/** A metadata record Kafka's serde would refuse (Kafka's MetadataParseException). */
export class MetadataRecordSerdeError extends Error {
  override readonly name: string = 'MetadataRecordSerdeError';
}

/** A record type id that no known metadata record declares. */
export class UnknownMetadataRecordTypeError extends MetadataRecordSerdeError {
  override readonly name = 'UnknownMetadataRecordTypeError';

  constructor(readonly typeId: number) {
    super(`unknown metadata record type ${typeId}`);
  }
}

/** Serializes one record with its frame header. */
export function encodeMetadataRecord(record: MetadataRecord): Buffer {
  const spec = METADATA_RECORD_SPECS[record.type];
  const [minVersion, maxVersion] = spec.validVersions;
  if (record.version < minVersion || record.version > maxVersion) {
    throw new MetadataRecordSerdeError(
      `${record.type} has no version ${record.version} (valid: ${minVersion}-${maxVersion})`,
    );
  }
  const writer = new Writer();
  writer.uvarint(METADATA_FRAME_VERSION).uvarint(spec.apiKey!).uvarint(record.version);
  codecFor<unknown>(spec, record.version).encode(writer, record.data);
  return writer.toBuffer();
}

function readHeaderField(reader: Reader, what: string): number {
  let value: number;
  try {
    value = reader.uvarint();
  } catch (err) {
    throw new MetadataRecordSerdeError(`error while reading ${what}: ${(err as Error).message}`);
  }
  if (value > MAX_HEADER_VALUE)
    throw new MetadataRecordSerdeError(`value for ${what} was too large`);
  return value;
}

/** Parses one framed record; every problem is a MetadataRecordSerdeError. */
export function decodeMetadataRecord(buf: Buffer): MetadataRecord {
  const reader = new Reader(buf);
  const frameVersion = readHeaderField(reader, 'frame version');
  if (frameVersion === 0) {
    throw new MetadataRecordSerdeError(
      'could not deserialize metadata record with frame version 0 (the KRaft preview of Kafka 2.8 is not supported)',
    );
  }
  if (frameVersion !== METADATA_FRAME_VERSION) {
    throw new MetadataRecordSerdeError(
      `unknown frame version ${frameVersion} (only frame version ${METADATA_FRAME_VERSION} is supported)`,
    );
  }
  const typeId = readHeaderField(reader, 'type');
  const version = readHeaderField(reader, 'version');
  const name = METADATA_RECORD_NAME_BY_TYPE.get(typeId);
  if (name === undefined) throw new UnknownMetadataRecordTypeError(typeId);
  const spec = METADATA_RECORD_SPECS[name];
  if (version < spec.validVersions[0] || version > spec.validVersions[1]) {
    throw new MetadataRecordSerdeError(`${name} has no version ${version}`);
  }
  let data: unknown;
  try {
    data = codecFor<unknown>(spec, version).decode(reader);
  } catch (err) {
    throw new MetadataRecordSerdeError(
      `failed to deserialize record with type ${typeId}: ${(err as Error).message}`,
    );
  }
  if (reader.remaining > 0) {
    throw new MetadataRecordSerdeError(
      `found ${reader.remaining} byte(s) of garbage after record type ${typeId}`,
    );
  }
  return { type: name, version, data } as MetadataRecord;
}

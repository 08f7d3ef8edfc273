import { InvalidRecordError } from './errors.js';
import type { KafkaRecord } from './records.js';

/** Control record types of transaction markers (the key's second int16). */
export const ControlRecordType = { Abort: 0, Commit: 1 } as const;

export type EndTransactionMarkerType = 'abort' | 'commit';

export interface EndTransactionMarker {
  type: EndTransactionMarkerType;
  /** Version of the marker value schema. */
  version: number;
  coordinatorEpoch: number;
}

const CONTROL_KEY_SIZE = 4;
const END_TXN_MARKER_VALUE_SIZE = 6;
const CURRENT_CONTROL_KEY_VERSION = 0;
const CURRENT_END_TXN_MARKER_VERSION = 0;

/** Control key: int16 version + int16 type. */
export function encodeControlRecordKey(type: number): Buffer {
  const key = Buffer.allocUnsafe(CONTROL_KEY_SIZE);
  key.writeInt16BE(CURRENT_CONTROL_KEY_VERSION, 0);
  key.writeInt16BE(type, 2);
  return key;
}

/** Transaction marker value: int16 version + int32 coordinatorEpoch. */
export function encodeEndTransactionMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(END_TXN_MARKER_VALUE_SIZE);
  value.writeInt16BE(CURRENT_END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/** The type id in a control record key (0 abort, 1 commit, others for KRaft records). */
export function readControlRecordType(key: Buffer | null): number {
  if (key === null || key.length < CONTROL_KEY_SIZE) {
    throw new InvalidRecordError(
      `control record key needs ${CONTROL_KEY_SIZE} bytes, found ${key?.length ?? 'null'}`,
    );
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw new InvalidRecordError(`invalid control record key version ${version}`);
  return key.readInt16BE(2);
}

/** Decodes the commit/abort marker carried by a control batch's record. */
export function readEndTransactionMarker(
  record: Pick<KafkaRecord, 'key' | 'value'>,
): EndTransactionMarker {
  const typeId = readControlRecordType(record.key);
  if (typeId !== ControlRecordType.Abort && typeId !== ControlRecordType.Commit) {
    throw new InvalidRecordError(`control record type ${typeId} is not a transaction marker`);
  }
  const value = record.value;
  if (value === null || value.length < END_TXN_MARKER_VALUE_SIZE) {
    throw new InvalidRecordError(
      `transaction marker value needs ${END_TXN_MARKER_VALUE_SIZE} bytes, found ${value?.length ?? 'null'}`,
    );
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new InvalidRecordError(`invalid transaction marker version ${version}`);
  return {
    type: typeId === ControlRecordType.Commit ? 'commit' : 'abort',
    version,
    coordinatorEpoch: value.readInt32BE(2),
  };
}

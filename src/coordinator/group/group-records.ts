/**
 * The records of `__consumer_offsets`, in Kafka's format: each key and value is an int16
 * schema version followed by the struct of that version. Key version 0 or 1 is an
 * OffsetCommitKey, 2 a GroupMetadataKey; later key versions belong to record types this
 * coordinator does not use (the consumer-group protocol of KIP-848) and are skipped when
 * loading. A null value is a tombstone.
 *
 * Written versions are Kafka's for current metadata versions: OffsetCommitKey v1,
 * OffsetCommitValue v3 (v1 when the commit carries its own expiry), GroupMetadataKey v2,
 * GroupMetadataValue v3.
 */
import { decodeMessage, encodeMessage, type Encodable } from '../../protocol/codec/compile.js';
import {
  GroupMetadataKeySpec,
  type GroupMetadataKey,
} from '../../protocol/messages/generated/group-metadata-key.js';
import {
  GroupMetadataValueSpec,
  type GroupMetadataValue,
} from '../../protocol/messages/generated/group-metadata-value.js';
import {
  OffsetCommitKeySpec,
  type OffsetCommitKey,
} from '../../protocol/messages/generated/offset-commit-key.js';
import {
  OffsetCommitValueSpec,
  type OffsetCommitValue,
} from '../../protocol/messages/generated/offset-commit-value.js';
import { DecodeError } from '../../protocol/primitives/decode-error.js';

export type { GroupMetadataValue, OffsetCommitValue };

const OFFSET_COMMIT_KEY_VERSION = 1;
const GROUP_METADATA_KEY_VERSION = 2;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const OFFSET_COMMIT_VALUE_WITH_EXPIRY_VERSION = 1;
const GROUP_METADATA_VALUE_VERSION = 3;

export type CoordinatorRecordKey =
  | { type: 'offset'; key: OffsetCommitKey }
  | { type: 'group'; key: GroupMetadataKey }
  /** A record type of a newer coordinator protocol: kept in the log, ignored here. */
  | { type: 'other'; version: number };

function versioned(version: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeInt16BE(version, 0);
  body.copy(out, 2);
  return out;
}

function splitVersion(buf: Buffer, what: string): { version: number; body: Buffer } {
  if (buf.length < 2) throw new DecodeError(`${what} of ${buf.length} bytes has no version`);
  return { version: buf.readInt16BE(0), body: buf.subarray(2) };
}

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return versioned(
    OFFSET_COMMIT_KEY_VERSION,
    encodeMessage<OffsetCommitKey>(OffsetCommitKeySpec, OFFSET_COMMIT_KEY_VERSION, {
      group,
      topic,
      partition,
    }),
  );
}

export function groupMetadataKey(group: string): Buffer {
  return versioned(
    GROUP_METADATA_KEY_VERSION,
    encodeMessage<GroupMetadataKey>(GroupMetadataKeySpec, GROUP_METADATA_KEY_VERSION, { group }),
  );
}

export function offsetCommitValue(
  value: Omit<OffsetCommitValue, 'expireTimestamp'> & {
    expireTimestamp: bigint | null;
  },
): Buffer {
  const version =
    value.expireTimestamp === null
      ? OFFSET_COMMIT_VALUE_VERSION
      : OFFSET_COMMIT_VALUE_WITH_EXPIRY_VERSION;
  return versioned(
    version,
    encodeMessage<OffsetCommitValue>(OffsetCommitValueSpec, version, {
      offset: value.offset,
      // v1 has no leader epoch; leaving it at its default keeps the encoder satisfied.
      leaderEpoch: version >= 3 ? value.leaderEpoch : -1,
      metadata: value.metadata,
      commitTimestamp: value.commitTimestamp,
      expireTimestamp: value.expireTimestamp ?? -1n,
    }),
  );
}

export function groupMetadataValue(value: Encodable<GroupMetadataValue>): Buffer {
  return versioned(
    GROUP_METADATA_VALUE_VERSION,
    encodeMessage<GroupMetadataValue>(GroupMetadataValueSpec, GROUP_METADATA_VALUE_VERSION, value),
  );
}

/** Throws DecodeError on a key this format cannot hold. */
export function decodeRecordKey(buf: Buffer): CoordinatorRecordKey {
  const { version, body } = splitVersion(buf, 'record key');
  if (version === 0 || version === 1) {
    return {
      type: 'offset',
      key: decodeMessage<OffsetCommitKey>(OffsetCommitKeySpec, version, body),
    };
  }
  if (version === GROUP_METADATA_KEY_VERSION) {
    return {
      type: 'group',
      key: decodeMessage<GroupMetadataKey>(GroupMetadataKeySpec, version, body),
    };
  }
  if (version > GROUP_METADATA_KEY_VERSION) return { type: 'other', version };
  throw new DecodeError(`unknown record key version ${version}`);
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const { version, body } = splitVersion(buf, 'offset commit value');
  return decodeMessage<OffsetCommitValue>(OffsetCommitValueSpec, checked(version, 4), body);
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const { version, body } = splitVersion(buf, 'group metadata value');
  return decodeMessage<GroupMetadataValue>(GroupMetadataValueSpec, checked(version, 4), body);
}

function checked(version: number, max: number): number {
  if (version < 0 || version > max) throw new DecodeError(`unknown value version ${version}`);
  return version;
}

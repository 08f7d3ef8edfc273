import { describe, expect, it } from 'vitest';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeRecordKey,
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  offsetCommitValue,
} from '../../../../src/coordinator/group/group-records.js';
import {
  javaStringHashCode,
  partitionForGroup,
} from '../../../../src/coordinator/group/group-store.js';
import { DecodeError } from '../../../../src/protocol/primitives/decode-error.js';

describe('__consumer_offsets record format', () => {
  it('writes OffsetCommitKey v1 byte for byte as Kafka documents it', () => {
    // int16 version, then group, topic (int16 length + UTF-8) and int32 partition.
    expect(offsetCommitKey('g', 'tp', 3)).toEqual(
      Buffer.from([0, 1, 0, 1, 0x67, 0, 2, 0x74, 0x70, 0, 0, 0, 3]),
    );
    expect(groupMetadataKey('ab')).toEqual(Buffer.from([0, 2, 0, 2, 0x61, 0x62]));
  });

  it('writes OffsetCommitValue v3, or v1 when the commit has its own expiry', () => {
    const v3 = offsetCommitValue({
      offset: 5n,
      leaderEpoch: 7,
      metadata: 'm',
      commitTimestamp: 1000n,
      expireTimestamp: null,
    });
    // version 3: offset int64, leaderEpoch int32, metadata string, commitTimestamp int64.
    expect(v3).toEqual(
      Buffer.concat([
        Buffer.from([0, 3]),
        Buffer.from([0, 0, 0, 0, 0, 0, 0, 5]),
        Buffer.from([0, 0, 0, 7]),
        Buffer.from([0, 1, 0x6d]),
        Buffer.from([0, 0, 0, 0, 0, 0, 0x03, 0xe8]),
      ]),
    );
    const v1 = offsetCommitValue({
      offset: 5n,
      leaderEpoch: 7,
      metadata: '',
      commitTimestamp: 1000n,
      expireTimestamp: 2000n,
    });
    expect(v1.readInt16BE(0)).toBe(1);
    expect(decodeOffsetCommitValue(v1)).toEqual({
      offset: 5n,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: 1000n,
      expireTimestamp: 2000n,
    });
  });

  it('round-trips GroupMetadataValue v3 and reads keys of other record types as skippable', () => {
    const value = {
      protocolType: 'consumer',
      generation: 4,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 123n,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: 'i1',
          clientId: 'c',
          clientHost: '/127.0.0.1',
          rebalanceTimeout: 300000,
          sessionTimeout: 45000,
          subscription: Buffer.from([1]),
          assignment: Buffer.from([2]),
        },
      ],
    };
    const encoded = groupMetadataValue(value);
    expect(encoded.readInt16BE(0)).toBe(3);
    expect(decodeGroupMetadataValue(encoded)).toEqual(value);
    expect(decodeRecordKey(Buffer.from([0, 5, 0, 0]))).toEqual({ type: 'other', version: 5 });
    expect(() => decodeRecordKey(Buffer.from([0xff, 0xff]))).toThrow(DecodeError);
    expect(() => decodeRecordKey(Buffer.from([0]))).toThrow(DecodeError);
  });
});

describe('group to partition', () => {
  it('hashes group ids like Java String.hashCode and takes Utils.abs modulo the partitions', () => {
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('my-group')).toBe(-1906497762);
    expect(partitionForGroup('my-group', 50)).toBe(1906497762 % 50);
    // Integer.MIN_VALUE: Kafka's Utils.abs maps it to 0.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0);
    expect(partitionForGroup('hello', 50)).toBe(99162322 % 50);
    expect(partitionForGroup('Aa', 7)).toBe(partitionForGroup('BB', 7));
  });
});

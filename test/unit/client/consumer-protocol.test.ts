import { describe, expect, it } from 'vitest';
import {
  assignedTopicPartitions,
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
} from '../../../src/client/consumer-protocol.js';
import { DecodeError } from '../../../src/protocol/primitives/decode-error.js';

/** Classic (non-flexible) encoding helpers, written out independently of the codecs. */
const int16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const str = (s: string): Buffer => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);
const bytes = (b: Buffer | null): Buffer =>
  b === null ? int32(-1) : Buffer.concat([int32(b.length), b]);
const array = (items: Buffer[]): Buffer => Buffer.concat([int32(items.length), ...items]);

describe('consumer protocol assignment', () => {
  it('decodes a v0 assignment as kafkajs and the Java client write it', () => {
    const wire = Buffer.concat([
      int16(0),
      array([
        Buffer.concat([str('orders'), array([int32(2), int32(0)])]),
        Buffer.concat([str('audit'), array([int32(1)])]),
      ]),
      bytes(Buffer.alloc(0)),
    ]);
    const assignment = decodeConsumerAssignment(wire);
    expect(assignment).toEqual({
      version: 0,
      assignedPartitions: [
        { topic: 'orders', partitions: [2, 0] },
        { topic: 'audit', partitions: [1] },
      ],
      userData: Buffer.alloc(0),
    });
    expect(assignedTopicPartitions(assignment)).toEqual([
      { topic: 'audit', partition: 1 },
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 2 },
    ]);
  });

  it('round-trips every version, and encodes exactly the classic layout', () => {
    for (const version of [0, 1, 2, 3]) {
      const encoded = encodeConsumerAssignment(
        { assignedPartitions: [{ topic: 't', partitions: [0, 1] }], userData: null },
        version,
      );
      expect(encoded).toEqual(
        Buffer.concat([
          int16(version),
          array([Buffer.concat([str('t'), array([int32(0), int32(1)])])]),
          bytes(null),
        ]),
      );
      expect(decodeConsumerAssignment(encoded)).toEqual({
        version,
        assignedPartitions: [{ topic: 't', partitions: [0, 1] }],
        userData: null,
      });
    }
  });

  it('reads a version newer than it knows with the newest layout, ignoring appended fields', () => {
    const wire = Buffer.concat([
      int16(7),
      array([Buffer.concat([str('t'), array([int32(4)])])]),
      bytes(Buffer.from('u')),
      Buffer.from([1, 2, 3, 4]), // a field a future version might append
    ]);
    expect(decodeConsumerAssignment(wire)).toEqual({
      version: 7,
      assignedPartitions: [{ topic: 't', partitions: [4] }],
      userData: Buffer.from('u'),
    });
  });

  it('treats empty bytes as no assignment and refuses negative versions and truncation', () => {
    expect(decodeConsumerAssignment(Buffer.alloc(0)).assignedPartitions).toEqual([]);
    expect(() => decodeConsumerAssignment(int16(-1))).toThrow(DecodeError);
    expect(() => decodeConsumerAssignment(Buffer.from([0]))).toThrow(DecodeError);
    const truncated = Buffer.concat([int16(0), int32(1), int16(5), Buffer.from('ab')]);
    expect(() => decodeConsumerAssignment(truncated)).toThrow(DecodeError);
  });
});

describe('consumer protocol subscription', () => {
  it('decodes v0 (topics only) with the later fields at their defaults', () => {
    const wire = Buffer.concat([int16(0), array([str('a'), str('b')]), bytes(null)]);
    expect(decodeConsumerSubscription(wire)).toEqual({
      version: 0,
      topics: ['a', 'b'],
      userData: null,
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    });
  });

  it('decodes v3 with owned partitions, generation and rack', () => {
    const wire = Buffer.concat([
      int16(3),
      array([str('a')]),
      bytes(Buffer.from([9])),
      array([Buffer.concat([str('a'), array([int32(0), int32(3)])])]),
      int32(12),
      str('rack-1'),
    ]);
    expect(decodeConsumerSubscription(wire)).toEqual({
      version: 3,
      topics: ['a'],
      userData: Buffer.from([9]),
      ownedPartitions: [{ topic: 'a', partitions: [0, 3] }],
      generationId: 12,
      rackId: 'rack-1',
    });
    expect(
      encodeConsumerSubscription({
        topics: ['a'],
        userData: Buffer.from([9]),
        ownedPartitions: [{ topic: 'a', partitions: [0, 3] }],
        generationId: 12,
        rackId: 'rack-1',
      }),
    ).toEqual(wire);
  });

  it('has no empty-bytes shortcut: a subscription always has a version', () => {
    expect(() => decodeConsumerSubscription(Buffer.alloc(0))).toThrow(DecodeError);
  });
});

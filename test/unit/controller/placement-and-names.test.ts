import { describe, expect, test } from 'vitest';
import { placeReplicas } from '../../../src/controller/replica-placer.js';
import {
  hasCollisionChars,
  topicNameError,
  unifyCollisionChars,
} from '../../../src/controller/topic-names.js';
import { KafkaError } from '../../../src/protocol/errors.js';

const brokers = (ids: number[], fenced: number[] = []) =>
  ids.map((id) => ({ id, fenced: fenced.includes(id) }));

describe('placeReplicas', () => {
  test('stripes leaders from the random start; followers are the next brokers', () => {
    expect(
      placeReplicas(
        { startPartition: 0, numPartitions: 4, replicationFactor: 2 },
        brokers([3, 1, 2]),
        () => 0,
      ),
    ).toEqual([
      [1, 2],
      [2, 3],
      [3, 1],
      [1, 2],
    ]);
    expect(
      placeReplicas(
        { startPartition: 2, numPartitions: 1, replicationFactor: 1 },
        brokers([1, 2, 3]),
        () => 0.4,
      ),
    ).toEqual([[1]]);
  });

  test('fenced brokers never lead and are used only when needed', () => {
    const placed = placeReplicas(
      { startPartition: 0, numPartitions: 3, replicationFactor: 2 },
      brokers([1, 2, 3], [2]),
      () => 0,
    );
    for (const replicas of placed) expect(replicas[0]).not.toBe(2);
    expect(placed).toEqual([
      [1, 3],
      [3, 1],
      [1, 3],
    ]);
    expect(
      placeReplicas(
        { startPartition: 0, numPartitions: 1, replicationFactor: 3 },
        brokers([1, 2, 3], [2]),
        () => 0,
      ),
    ).toEqual([[1, 3, 2]]);
  });

  test("Kafka's InvalidReplicationFactor cases", () => {
    const place =
      (replicationFactor: number, all = brokers([1, 2])) =>
      () =>
        placeReplicas({ startPartition: 0, numPartitions: 1, replicationFactor }, all, () => 0);
    expect(place(0)).toThrow(
      'Invalid replication factor 0: the replication factor must be positive.',
    );
    expect(place(3)).toThrow(
      'The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.',
    );
    expect(place(1, brokers([1], [1]))).toThrow('All brokers are currently fenced.');
    expect(place(1, [])).toThrow(KafkaError);
  });
});

describe('topic names', () => {
  test('legal names', () => {
    for (const name of ['a', 'A-b_c.1', '__consumer_offsets', 'x'.repeat(249)]) {
      expect(topicNameError(name)).toBeNull();
    }
    for (const name of ['', '.', '..', 'x'.repeat(250), 'a/b', 'ü', 'a b']) {
      expect(topicNameError(name)).not.toBeNull();
    }
  });

  test('collision characters', () => {
    expect(hasCollisionChars('a.b')).toBe(true);
    expect(hasCollisionChars('a-b')).toBe(false);
    expect(unifyCollisionChars('a.b_c')).toBe('a_b_c');
  });
});

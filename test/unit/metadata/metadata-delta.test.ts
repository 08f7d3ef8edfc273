import { describe, expect, test } from 'vitest';
import { DIRECTORY_MIGRATING, DIRECTORY_UNASSIGNED } from '../../../src/metadata/directory-id.js';
import { MetadataDelta } from '../../../src/metadata/metadata-delta.js';
import { ConfigResourceType, MetadataImage } from '../../../src/metadata/metadata-image.js';
import { metadataRecord, type MetadataRecord } from '../../../src/metadata/metadata-records.js';
import {
  MetadataReplayError,
  UnsupportedMetadataRecordError,
} from '../../../src/metadata/replay-error.js';

const FOO = 'AAAAAAAAAAAAAAAAAAAAAw';
const BAR = 'AAAAAAAAAAAAAAAAAAAABA';
const DIR_A = 'e1-JpRTmSOiMpV9xFLUf3A';
const DIR_B = 'q87rPfFhR96czHSfu4SXWg';

let offset = 0n;

function applyAll(image: MetadataImage, records: MetadataRecord[]): MetadataImage {
  const delta = new MetadataDelta(image);
  for (const record of records) delta.replay(record);
  offset += BigInt(records.length);
  return delta.apply({ offset, epoch: 1 });
}

function topicWithPartitions(id: string, name: string, count: number): MetadataRecord[] {
  const records: MetadataRecord[] = [metadataRecord('TopicRecord', { name, topicId: id })];
  for (let p = 0; p < count; p++) {
    records.push(
      metadataRecord('PartitionRecord', {
        topicId: id,
        partitionId: p,
        replicas: [1, 2],
        isr: [1, 2],
        leader: 1,
        leaderEpoch: 0,
        partitionEpoch: 0,
        directories: [DIR_A, DIR_B],
      }),
    );
  }
  return records;
}

function change(
  data: Parameters<typeof metadataRecord<'PartitionChangeRecord'>>[1],
): MetadataRecord {
  return metadataRecord('PartitionChangeRecord', { topicId: FOO, partitionId: 0, ...data });
}

describe('topics and partitions', () => {
  test('TopicRecord and PartitionRecords make a topic findable by name and id', () => {
    const image = applyAll(MetadataImage.EMPTY, topicWithPartitions(FOO, 'foo', 2));
    const topic = image.topic('foo')!;
    expect(topic.id).toBe(FOO);
    expect(image.topicById(FOO)).toBe(topic);
    expect([...topic.partitions.keys()]).toEqual([0, 1]);
    expect(topic.partitions.get(1)).toEqual({
      replicas: [1, 2],
      directories: [DIR_A, DIR_B],
      isr: [1, 2],
      removingReplicas: [],
      addingReplicas: [],
      elr: [],
      lastKnownElr: [],
      leader: 1,
      leaderRecoveryState: 0,
      leaderEpoch: 0,
      partitionEpoch: 0,
    });
    expect(image.offset).toBe(offset);
    expect(MetadataImage.EMPTY.topics.byId.size).toBe(0);
  });

  test('a PartitionRecord without directories puts every replica in MIGRATING', () => {
    const image = applyAll(MetadataImage.EMPTY, [
      metadataRecord('TopicRecord', { name: 'foo', topicId: FOO }),
      metadataRecord(
        'PartitionRecord',
        { topicId: FOO, partitionId: 0, replicas: [4, 5], isr: [4], leader: 4 },
        0,
      ),
    ]);
    expect(image.topic('foo')!.partitions.get(0)!.directories).toEqual([
      DIRECTORY_MIGRATING,
      DIRECTORY_MIGRATING,
    ]);
  });

  test('an ISR change bumps the partition epoch only', () => {
    const base = applyAll(MetadataImage.EMPTY, topicWithPartitions(FOO, 'foo', 1));
    const image = applyAll(base, [change({ isr: [1] })]);
    const partition = image.topic('foo')!.partitions.get(0)!;
    expect(partition.isr).toEqual([1]);
    expect(partition.leader).toBe(1);
    expect(partition.leaderEpoch).toBe(0);
    expect(partition.partitionEpoch).toBe(1);
    expect(partition.replicas).toEqual([1, 2]);
  });

  test('a leader change bumps both epochs, even to the same leader; -2 keeps the leader', () => {
    let image = applyAll(MetadataImage.EMPTY, topicWithPartitions(FOO, 'foo', 1));
    image = applyAll(image, [change({ leader: 2, isr: [2] })]);
    let partition = image.topic('foo')!.partitions.get(0)!;
    expect([partition.leader, partition.leaderEpoch, partition.partitionEpoch]).toEqual([2, 1, 1]);
    image = applyAll(image, [change({ leader: 2 })]);
    partition = image.topic('foo')!.partitions.get(0)!;
    expect([partition.leader, partition.leaderEpoch, partition.partitionEpoch]).toEqual([2, 2, 2]);
    image = applyAll(image, [change({ leaderRecoveryState: 1 })]);
    partition = image.topic('foo')!.partitions.get(0)!;
    expect([partition.leader, partition.leaderEpoch, partition.partitionEpoch]).toEqual([2, 2, 3]);
    expect(partition.leaderRecoveryState).toBe(1);
    image = applyAll(image, [change({ leader: -1 })]);
    partition = image.topic('foo')!.partitions.get(0)!;
    expect([partition.leader, partition.leaderEpoch, partition.leaderRecoveryState]).toEqual([
      -1, 3, 1,
    ]);
  });

  test('new replicas keep the directories of replicas they keep; new ones are unassigned', () => {
    const base = applyAll(MetadataImage.EMPTY, topicWithPartitions(FOO, 'foo', 1));
    const image = applyAll(base, [
      change({ replicas: [2, 3], isr: [2], leader: 2, addingReplicas: [3], removingReplicas: [1] }),
    ]);
    const partition = image.topic('foo')!.partitions.get(0)!;
    expect(partition.replicas).toEqual([2, 3]);
    expect(partition.directories).toEqual([DIR_B, DIRECTORY_UNASSIGNED]);
    expect(partition.addingReplicas).toEqual([3]);
    expect(partition.removingReplicas).toEqual([1]);
  });

  test('changes within one delta build on each other', () => {
    const image = applyAll(MetadataImage.EMPTY, [
      ...topicWithPartitions(FOO, 'foo', 1),
      change({ isr: [1] }),
      change({ leader: 1 }),
    ]);
    const partition = image.topic('foo')!.partitions.get(0)!;
    expect([partition.leaderEpoch, partition.partitionEpoch]).toEqual([1, 2]);
  });

  test('a change to an unknown partition or topic is refused', () => {
    const base = applyAll(MetadataImage.EMPTY, topicWithPartitions(FOO, 'foo', 1));
    expect(() => new MetadataDelta(base).replay(change({ partitionId: 7, isr: [1] }))).toThrow(
      MetadataReplayError,
    );
    expect(() => new MetadataDelta(base).replay(change({ topicId: BAR }))).toThrow(
      MetadataReplayError,
    );
    expect(() =>
      new MetadataDelta(base).replay(
        metadataRecord('PartitionRecord', { topicId: BAR, partitionId: 0 }),
      ),
    ).toThrow(/unknown topic/);
  });

  test('unchanged topics, partitions and config maps are shared with the previous image', () => {
    const base = applyAll(MetadataImage.EMPTY, [
      ...topicWithPartitions(FOO, 'foo', 3),
      ...topicWithPartitions(BAR, 'bar', 2),
      metadataRecord('ConfigRecord', {
        resourceType: 2,
        resourceName: 'bar',
        name: 'retention.ms',
        value: '1',
      }),
    ]);
    const image = applyAll(base, [change({ isr: [2] })]);
    expect(image.topic('bar')).toBe(base.topic('bar'));
    expect(image.topic('foo')!.partitions.get(1)).toBe(base.topic('foo')!.partitions.get(1));
    expect(image.topic('foo')!.partitions.get(0)).not.toBe(base.topic('foo')!.partitions.get(0));
    expect(image.configs).toBe(base.configs);
    expect(image.brokers).toBe(base.brokers);
    expect(base.topic('foo')!.partitions.get(0)!.isr).toEqual([1, 2]);
  });

  test('RemoveTopicRecord removes the topic, its partitions and its configs', () => {
    const base = applyAll(MetadataImage.EMPTY, [
      ...topicWithPartitions(FOO, 'foo', 2),
      metadataRecord('ConfigRecord', {
        resourceType: 2,
        resourceName: 'foo',
        name: 'retention.ms',
        value: '1',
      }),
      metadataRecord('ConfigRecord', {
        resourceType: 2,
        resourceName: 'other',
        name: 'retention.ms',
        value: '2',
      }),
    ]);
    const delta = new MetadataDelta(base);
    delta.replay(metadataRecord('RemoveTopicRecord', { topicId: FOO }));
    const image = delta.apply({ offset: 100n, epoch: 1 });
    expect(image.topic('foo')).toBeUndefined();
    expect(image.topicById(FOO)).toBeUndefined();
    expect(image.configsOf(ConfigResourceType.Topic, 'foo').size).toBe(0);
    expect(image.configsOf(ConfigResourceType.Topic, 'other').get('retention.ms')).toBe('2');
    expect(delta.deletedTopics.get(FOO)?.name).toBe('foo');
    expect(() =>
      new MetadataDelta(image).replay(metadataRecord('RemoveTopicRecord', { topicId: FOO })),
    ).toThrow(/no such topic/);
  });

  test('a topic created and removed within one delta leaves no trace; its name can be reused', () => {
    const delta = new MetadataDelta(MetadataImage.EMPTY);
    for (const record of topicWithPartitions(FOO, 'foo', 1)) delta.replay(record);
    delta.replay(metadataRecord('RemoveTopicRecord', { topicId: FOO }));
    for (const record of topicWithPartitions(BAR, 'foo', 1)) delta.replay(record);
    const image = delta.apply({ offset: 5n, epoch: 1 });
    expect(image.topic('foo')!.id).toBe(BAR);
    expect(image.topicById(FOO)).toBeUndefined();
    expect([...delta.createdTopicIds]).toEqual([BAR]);
    expect(delta.deletedTopics.size).toBe(0);
  });
});

describe('configs', () => {
  const record = (name: string, value: string | null, resourceName = 'foo', resourceType = 2) =>
    metadataRecord('ConfigRecord', { resourceType, resourceName, name, value });

  test('a null value deletes the key; a resource without keys disappears', () => {
    let image = applyAll(MetadataImage.EMPTY, [
      record('a', '1'),
      record('b', '2'),
      record('x', '9', '', 4),
    ]);
    expect(Object.fromEntries(image.configsOf(2, 'foo'))).toEqual({ a: '1', b: '2' });
    expect(image.configsOf(ConfigResourceType.Broker, '').get('x')).toBe('9');
    image = applyAll(image, [record('a', null)]);
    expect(Object.fromEntries(image.configsOf(2, 'foo'))).toEqual({ b: '2' });
    image = applyAll(image, [record('b', null)]);
    expect(image.configs.has('2:foo')).toBe(false);
    expect(image.configs.size).toBe(1);
  });
});

describe('brokers', () => {
  const register = (epoch: bigint, fenced = true) =>
    metadataRecord('RegisterBrokerRecord', {
      brokerId: 1,
      incarnationId: 'Rp1lyc2bS0qb2c2Hk0c8dg',
      brokerEpoch: epoch,
      endPoints: [{ name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 0 }],
      features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 21 }],
      rack: 'r1',
      fenced,
      logDirs: [DIR_B, DIR_A],
    });

  test('register, unfence, fence, change and unregister', () => {
    let image = applyAll(MetadataImage.EMPTY, [register(10n)]);
    const broker = image.broker(1)!;
    expect(broker).toMatchObject({
      id: 1,
      epoch: 10n,
      rack: 'r1',
      fenced: true,
      inControlledShutdown: false,
    });
    expect(broker.endpoints).toEqual([
      { name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 0 },
    ]);
    expect(broker.supportedFeatures.get('metadata.version')).toEqual({
      minSupportedVersion: 1,
      maxSupportedVersion: 21,
    });
    expect(broker.directories).toEqual([DIR_B, DIR_A].sort());
    image = applyAll(image, [metadataRecord('UnfenceBrokerRecord', { id: 1, epoch: 10n })]);
    expect(image.broker(1)!.fenced).toBe(false);
    image = applyAll(image, [metadataRecord('FenceBrokerRecord', { id: 1, epoch: 10n })]);
    expect(image.broker(1)!.fenced).toBe(true);
    image = applyAll(image, [
      metadataRecord('BrokerRegistrationChangeRecord', {
        brokerId: 1,
        brokerEpoch: 10n,
        fenced: -1,
        inControlledShutdown: 1,
      }),
    ]);
    expect(image.broker(1)).toMatchObject({ fenced: false, inControlledShutdown: true });
    image = applyAll(image, [
      metadataRecord('UnregisterBrokerRecord', { brokerId: 1, brokerEpoch: 10n }),
    ]);
    expect(image.broker(1)).toBeUndefined();
  });

  test('fencing with another epoch or an unregistered broker is refused', () => {
    const image = applyAll(MetadataImage.EMPTY, [register(10n)]);
    expect(() =>
      new MetadataDelta(image).replay(metadataRecord('FenceBrokerRecord', { id: 1, epoch: 9n })),
    ).toThrow(/did not match/);
    expect(() =>
      new MetadataDelta(image).replay(metadataRecord('UnfenceBrokerRecord', { id: 2, epoch: 10n })),
    ).toThrow(/not registered/);
    expect(() =>
      new MetadataDelta(image).replay(
        metadataRecord('BrokerRegistrationChangeRecord', {
          brokerId: 1,
          brokerEpoch: 10n,
          fenced: 5,
        }),
      ),
    ).toThrow(/fenced field/);
  });

  test('a new registration replaces the old one', () => {
    const image = applyAll(MetadataImage.EMPTY, [register(10n, false), register(20n)]);
    expect(image.broker(1)).toMatchObject({ epoch: 20n, fenced: true });
  });
});

describe('features, producer ids and other records', () => {
  test('FeatureLevelRecord sets a level; level 0 removes a feature but not metadata.version', () => {
    let image = applyAll(MetadataImage.EMPTY, [
      metadataRecord('FeatureLevelRecord', { name: 'metadata.version', featureLevel: 21 }),
      metadataRecord('FeatureLevelRecord', { name: 'group.version', featureLevel: 1 }),
    ]);
    expect(image.metadataVersion).toBe(21);
    expect(image.features.get('group.version')).toBe(1);
    image = applyAll(image, [
      metadataRecord('FeatureLevelRecord', { name: 'group.version', featureLevel: 0 }),
    ]);
    expect(image.features.has('group.version')).toBe(false);
    expect(image.metadataVersion).toBe(21);
  });

  test('ProducerIdsRecord moves the next block on, never back', () => {
    const image = applyAll(MetadataImage.EMPTY, [
      metadataRecord('ProducerIdsRecord', { brokerId: 1, brokerEpoch: 5n, nextProducerId: 1000n }),
    ]);
    expect(image.nextProducerId).toBe(1000n);
    expect(() =>
      new MetadataDelta(image).replay(
        metadataRecord('ProducerIdsRecord', {
          brokerId: 1,
          brokerEpoch: 5n,
          nextProducerId: 1000n,
        }),
      ),
    ).toThrow(MetadataReplayError);
  });

  test('NoOpRecord changes nothing but the offset; unmodelled records are refused loudly', () => {
    const base = applyAll(MetadataImage.EMPTY, topicWithPartitions(FOO, 'foo', 1));
    const delta = new MetadataDelta(base);
    delta.replay(metadataRecord('NoOpRecord', {}));
    expect(delta.hasChanges).toBe(false);
    const image = delta.apply({ offset: 77n, epoch: 3 });
    expect(image.topics).toBe(base.topics);
    expect([image.offset, image.epoch]).toEqual([77n, 3]);
    expect(() =>
      new MetadataDelta(base).replay(metadataRecord('AccessControlEntryRecord', {})),
    ).toThrow(UnsupportedMetadataRecordError);
  });
});

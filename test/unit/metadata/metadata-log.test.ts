import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  KRaftControlRecordType,
  controlRecordType,
  decodeLeaderChange,
} from '../../../src/metadata/kraft-control-records.js';
import type { MetadataDelta } from '../../../src/metadata/metadata-delta.js';
import type { MetadataImage } from '../../../src/metadata/metadata-image.js';
import { CLUSTER_METADATA_PARTITION_DIR, MetadataLog } from '../../../src/metadata/metadata-log.js';
import { metadataRecord, type MetadataRecord } from '../../../src/metadata/metadata-records.js';
import { readQuorumState } from '../../../src/metadata/quorum-state-file.js';
import { decodeMetadataRecord } from '../../../src/metadata/record-serde.js';
import { MetadataReplayError } from '../../../src/metadata/replay-error.js';
import { readBatches, type RecordBatch } from '../../../src/protocol/records/index.js';

const NODE_ID = 1;
const FOO = 'nVAnrbIOTUqZ6R3tPhLQbg';

let dir: string;
const opened: MetadataLog[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metadata-log-'));
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function open(): Promise<MetadataLog> {
  const log = await MetadataLog.open(dir, NODE_ID);
  opened.push(log);
  return log;
}

async function closeAll(): Promise<void> {
  for (const log of opened.splice(0)) await log.close();
}

function partitionDir(): string {
  return join(dir, CLUSTER_METADATA_PARTITION_DIR);
}

async function batchesOnDisk(): Promise<RecordBatch[]> {
  return readBatches(await readFile(join(partitionDir(), '00000000000000000000.log')));
}

function topicRecords(name = 'foo', id = FOO): MetadataRecord[] {
  return [
    metadataRecord('TopicRecord', { name, topicId: id }),
    metadataRecord('PartitionRecord', {
      topicId: id,
      partitionId: 0,
      replicas: [1],
      isr: [1],
      leader: 1,
      leaderEpoch: 0,
      partitionEpoch: 0,
    }),
    metadataRecord('ConfigRecord', {
      resourceType: 2,
      resourceName: name,
      name: 'retention.ms',
      value: '1000',
    }),
  ];
}

/** The parts of an image a replay must reproduce. */
function contents(image: MetadataImage) {
  return {
    features: image.features,
    brokers: image.brokers,
    topics: image.topics.byId,
    configs: image.configs,
    nextProducerId: image.nextProducerId,
  };
}

describe('opening', () => {
  test("a new log leads epoch 1: quorum-state in Kafka's JSON, then a LeaderChangeMessage", async () => {
    const log = await open();
    expect(log.leaderEpoch).toBe(1);
    expect(log.image.offset).toBe(0n);
    expect(log.image.epoch).toBe(1);
    expect(log.image.topics.byId.size).toBe(0);

    const state = await readFile(join(partitionDir(), 'quorum-state'), 'utf8');
    expect(state).toBe(
      '{"clusterId":"","leaderId":1,"leaderEpoch":1,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":1}],"data_version":0}',
    );

    const [batch] = await batchesOnDisk();
    expect(batch.isControl).toBe(true);
    expect(batch.isTransactional).toBe(false);
    expect(batch.partitionLeaderEpoch).toBe(1);
    expect(batch.baseOffset).toBe(0n);
    const [record] = [...batch.records()];
    expect(controlRecordType(record)).toBe(KRaftControlRecordType.LeaderChange);
    expect(record.key).toEqual(Buffer.from([0, 0, 0, 2]));
    expect(decodeLeaderChange(record)).toEqual({
      version: 0,
      leaderId: NODE_ID,
      voters: [{ voterId: NODE_ID, voterDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }],
      grantingVoters: [{ voterId: NODE_ID, voterDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    });
  });

  test('every restart leads the next epoch with its own LeaderChangeMessage', async () => {
    await open();
    await closeAll();
    await open();
    await closeAll();
    const log = await open();
    expect(log.leaderEpoch).toBe(3);
    expect((await readQuorumState(join(partitionDir(), 'quorum-state')))?.leaderEpoch).toBe(3);
    const batches = await batchesOnDisk();
    expect(batches.map((b) => [b.isControl, b.partitionLeaderEpoch, b.baseOffset])).toEqual([
      [true, 1, 0n],
      [true, 2, 1n],
      [true, 3, 2n],
    ]);
  });

  test('the epoch continues from the log when quorum-state is lost', async () => {
    await open();
    await closeAll();
    await open();
    await closeAll();
    await rm(join(partitionDir(), 'quorum-state'));
    const log = await open();
    expect(log.leaderEpoch).toBe(3);
  });
});

describe('appending', () => {
  test('one append is one batch of framed records, fsynced, committed and published', async () => {
    const log = await open();
    const seen: [MetadataImage, MetadataDelta][] = [];
    log.onImage((image, delta) => seen.push([image, delta]));

    const lastOffset = await log.append(topicRecords());
    expect(lastOffset).toBe(3n);
    expect(log.image.offset).toBe(3n);
    expect(log.image.topic('foo')?.partitions.get(0)?.leader).toBe(1);
    expect(log.image.configsOf(2, 'foo').get('retention.ms')).toBe('1000');
    expect(log.highWatermark).toBe(4n);
    expect(seen).toHaveLength(1);
    expect(seen[0][0]).toBe(log.image);
    expect([...seen[0][1].createdTopicIds]).toEqual([FOO]);

    const batches = await batchesOnDisk();
    expect(batches).toHaveLength(2);
    const batch = batches[1];
    expect(batch.isControl).toBe(false);
    expect(batch.partitionLeaderEpoch).toBe(1);
    expect(batch.baseOffset).toBe(1n);
    const records = [...batch.records()];
    expect(records.map((r) => r.key)).toEqual([null, null, null]);
    expect(records.map((r) => [...r.value!.subarray(0, 3)])).toEqual([
      [1, 2, 0],
      [1, 3, 1],
      [1, 4, 0],
    ]);
    expect(records.map((r) => decodeMetadataRecord(r.value!).type)).toEqual([
      'TopicRecord',
      'PartitionRecord',
      'ConfigRecord',
    ]);
  });

  test('records the image cannot take are refused before anything is written', async () => {
    const log = await open();
    const before = log.logEndOffset;
    await expect(
      log.append([
        metadataRecord('TopicRecord', { name: 'foo', topicId: FOO }),
        metadataRecord('FenceBrokerRecord', { id: 9, epoch: 1n }),
      ]),
    ).rejects.toBeInstanceOf(MetadataReplayError);
    expect(log.logEndOffset).toBe(before);
    expect(log.image.topic('foo')).toBeUndefined();
    // The log still works afterwards.
    await log.append(topicRecords());
    expect(log.image.topic('foo')).toBeDefined();
  });

  test('concurrent appends commit in order, each seeing the previous one', async () => {
    const log = await open();
    const offsets = await Promise.all([
      log.append(topicRecords('a', 'AAAAAAAAAAAAAAAAAAAAAQ')),
      log.append(topicRecords('b', 'AAAAAAAAAAAAAAAAAAAAAg')),
      log.append([metadataRecord('RemoveTopicRecord', { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' })]),
    ]);
    expect(offsets).toEqual([3n, 6n, 7n]);
    expect([...log.image.topics.byName.keys()]).toEqual(['b']);
  });

  test('a listener that throws does not stop the others or the append', async () => {
    const log = await open();
    let told = 0;
    log.onImage(() => {
      throw new Error('boom');
    });
    const unsubscribe = log.onImage(() => told++);
    await log.append(topicRecords());
    unsubscribe();
    await log.append([metadataRecord('NoOpRecord', {})]);
    expect(told).toBe(1);
  });
});

describe('restarting', () => {
  test('replays to the same image, one epoch later', async () => {
    const log = await open();
    await log.append([
      metadataRecord('FeatureLevelRecord', { name: 'metadata.version', featureLevel: 21 }),
      metadataRecord('RegisterBrokerRecord', {
        brokerId: 1,
        incarnationId: FOO,
        brokerEpoch: 1n,
        rack: null,
      }),
      metadataRecord('UnfenceBrokerRecord', { id: 1, epoch: 1n }),
    ]);
    await log.append(topicRecords());
    await log.append([
      metadataRecord('PartitionChangeRecord', {
        topicId: FOO,
        partitionId: 0,
        isr: [1],
        leader: 1,
      }),
      metadataRecord('ProducerIdsRecord', { brokerId: 1, brokerEpoch: 1n, nextProducerId: 1000n }),
      metadataRecord('ConfigRecord', {
        resourceType: 4,
        resourceName: '',
        name: 'log.retention.ms',
        value: '5',
      }),
    ]);
    const before = log.image;
    await closeAll();

    const reopened = await open();
    expect(contents(reopened.image)).toEqual(contents(before));
    expect(reopened.image.topic('foo')!.partitions.get(0)).toMatchObject({
      leaderEpoch: 1,
      partitionEpoch: 1,
    });
    expect(reopened.leaderEpoch).toBe(2);
    expect(reopened.image.epoch).toBe(2);
    expect(reopened.image.offset).toBe(before.offset + 1n);
    const batches = await batchesOnDisk();
    expect(batches.filter((b) => b.isControl).map((b) => b.partitionLeaderEpoch)).toEqual([1, 2]);
  });

  test('appends after a restart are written in the new epoch', async () => {
    await open();
    await closeAll();
    const log = await open();
    await log.append(topicRecords());
    const batches = await batchesOnDisk();
    expect(batches.at(-1)!.partitionLeaderEpoch).toBe(2);
  });
});

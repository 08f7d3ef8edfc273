import { describe, expect, test } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { IsolationLevel } from '../../../src/replica/types.js';
import {
  BROKER_ID,
  brokersPerTest,
  baseOffsets,
  batchesOf,
  clientBatch,
  fetchParams,
  fetchPartition,
  lead,
  produce,
  stopBroker,
  type TestBroker,
} from './replica-kit.js';

const brokers = brokersPerTest();
const broker = brokers.start;

/** Produces `count` single-record batches of about `valueBytes` each. */
async function fill(
  b: TestBroker,
  topic: string,
  count: number,
  valueBytes = 100,
): Promise<number> {
  let size = 0;
  for (let i = 0; i < count; i++) {
    const records = await clientBatch({ valueBytes });
    size = records.length;
    expect((await produce(b, topic, records)).errorCode).toBe(0);
  }
  return size;
}

describe('reads', () => {
  test('returns the batches from the fetch offset with the partition offsets', async () => {
    const b = await broker();
    await lead(b, 't');
    await fill(b, 't', 3);
    const [result] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 1n)]));
    expect(result).toMatchObject({
      errorCode: 0,
      highWatermark: 3n,
      lastStableOffset: 3n,
      logStartOffset: 0n,
      abortedTransactions: null,
      preferredReadReplica: -1,
      divergingEpoch: null,
    });
    expect(baseOffsets(result.records)).toEqual([1n, 2n]);
  });

  test('read_committed answers an empty aborted transaction list and the last stable offset', async () => {
    const b = await broker();
    await lead(b, 't');
    await fill(b, 't', 1);
    const [result] = await b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n)], { isolationLevel: IsolationLevel.ReadCommitted }),
    );
    expect(result.abortedTransactions).toEqual([]);
    expect(result.lastStableOffset).toBe(1n);
  });

  test('response max bytes: the first partition gets one whole batch, later ones what is left', async () => {
    const b = await broker();
    await lead(b, 'a');
    await lead(b, 'b');
    const size = await fill(b, 'a', 3, 500);
    await fill(b, 'b', 3, 500);
    const [a, c] = await b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('a', 0n), fetchPartition('b', 0n)], { maxBytes: 10 }),
    );
    expect(baseOffsets(a.records)).toEqual([0n]);
    expect(c.records.length).toBe(0);
    // Enough for two batches of the first partition and one of the second.
    const [a2, b2] = await b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('a', 0n), fetchPartition('b', 0n)], { maxBytes: size * 3 }),
    );
    expect(baseOffsets(a2.records)).toEqual([0n, 1n, 2n]);
    expect(b2.records.length).toBe(0);
  });

  test('partition max bytes limits each partition', async () => {
    const b = await broker();
    await lead(b, 't');
    const size = await fill(b, 't', 4, 200);
    const [result] = await b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n, { partitionMaxBytes: size * 2 })]),
    );
    expect(baseOffsets(result.records)).toEqual([0n, 1n]);
  });

  test('an offset beyond the log end is OFFSET_OUT_OF_RANGE with unknown offsets', async () => {
    const b = await broker();
    await lead(b, 't');
    await fill(b, 't', 1);
    const [result] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 5n)]));
    expect(result).toMatchObject({
      errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
      highWatermark: -1n,
      logStartOffset: -1n,
    });
  });

  test('consumers read up to the high watermark, followers up to the log end', async () => {
    const b = await broker();
    await lead(b, 't', 0, { replicas: [BROKER_ID, 2], isr: [BROKER_ID, 2] });
    await fill(b, 't', 2);
    const [consumer] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 0n)]));
    expect(consumer).toMatchObject({ errorCode: 0, highWatermark: 0n });
    expect(consumer.records.length).toBe(0);
    const [follower] = await b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n)], { replicaId: 2 }),
    );
    expect(baseOffsets(follower.records)).toEqual([0n, 1n]);
    // The follower's next fetch position tells the leader it has both: the HW moves.
    await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 2n)], { replicaId: 2 }));
    const [after] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 0n)]));
    expect(after.highWatermark).toBe(2n);
    expect(baseOffsets(after.records)).toEqual([0n, 1n]);
  });

  test('leader epoch checks: FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER', async () => {
    const b = await broker();
    await lead(b, 't', 0, { leaderEpoch: 5 });
    await lead(b, 'f', 0, {
      isLeader: false,
      leaderId: 3,
      leaderEpoch: 2,
      replicas: [3, BROKER_ID],
    });
    const read = async (partition: ReturnType<typeof fetchPartition>) =>
      (await b.replicaManager.fetchMessages(fetchParams([partition])))[0];
    expect((await read(fetchPartition('t', 0n, { currentLeaderEpoch: 4 }))).errorCode).toBe(
      ErrorCode.FENCED_LEADER_EPOCH,
    );
    expect((await read(fetchPartition('t', 0n, { currentLeaderEpoch: 6 }))).errorCode).toBe(
      ErrorCode.UNKNOWN_LEADER_EPOCH,
    );
    expect((await read(fetchPartition('t', 0n, { currentLeaderEpoch: 5 }))).errorCode).toBe(0);
    const follower = await read(fetchPartition('f', 0n));
    expect(follower.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(follower.currentLeader).toEqual({ leaderId: 3, leaderEpoch: 2 });
    // KIP-392 consumers (with client metadata) may read from a follower.
    const [nearby] = await b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('f', 0n)], { clientRackId: 'rack-a' }),
    );
    expect(nearby.errorCode).toBe(0);
    expect((await read(fetchPartition('none', 0n))).errorCode).toBe(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
  });

  test('a topic id that is not the partition’s is INCONSISTENT_TOPIC_ID', async () => {
    const b = await broker();
    await lead(b, 't');
    const [result] = await b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n, { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' })]),
    );
    expect(result.errorCode).toBe(ErrorCode.INCONSISTENT_TOPIC_ID);
    const [matching] = await b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n, { topicId: b.topicIds.get('t') })]),
    );
    expect(matching.errorCode).toBe(0);
  });

  test('a follower whose last fetched epoch diverged gets the diverging epoch (KIP-320)', async () => {
    const b = await broker();
    await lead(b, 't', 0, { leaderEpoch: 1 });
    await fill(b, 't', 3);
    await lead(b, 't', 0, { leaderEpoch: 3 });
    await fill(b, 't', 2);
    // The follower claims epoch 2 up to offset 4; this log's epoch 1 ended at 3.
    const [diverged] = await b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 4n, { lastFetchedEpoch: 2, currentLeaderEpoch: 3 })], {
        replicaId: BROKER_ID + 1,
      }),
    );
    expect(diverged.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER); // not a replica of it
    await lead(b, 't', 0, { leaderEpoch: 4, replicas: [BROKER_ID, 2], isr: [BROKER_ID] });
    const [result] = await b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 4n, { lastFetchedEpoch: 2, currentLeaderEpoch: 4 })], {
        replicaId: 2,
        maxWaitMs: 10_000,
      }),
    );
    expect(result.errorCode).toBe(0);
    expect(result.divergingEpoch).toEqual({ epoch: 1, endOffset: 3n });
    expect(result.records.length).toBe(0);
  });
});

describe('long polling', () => {
  test('an append wakes a parked fetch before its max wait', async () => {
    const b = await broker();
    await lead(b, 't');
    await fill(b, 't', 1);
    const parked = b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 1n)], { maxWaitMs: 10_000, minBytes: 1 }),
    );
    await expect.poll(() => b.replicaManager.waitingRequests.fetch).toBe(1);
    await fill(b, 't', 1);
    const [result] = await parked;
    expect(baseOffsets(result.records)).toEqual([1n]);
    expect(b.replicaManager.waitingRequests.fetch).toBe(0);
    expect(b.time.nowMs - 1_700_000_000_000).toBe(0);
  });

  test('min bytes: waits until enough bytes arrived', async () => {
    const b = await broker();
    await lead(b, 't');
    const size = (await clientBatch({ valueBytes: 100 })).length;
    const parked = b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n)], { maxWaitMs: 10_000, minBytes: size * 2 + 1 }),
    );
    await expect.poll(() => b.replicaManager.waitingRequests.fetch).toBe(1);
    await fill(b, 't', 2, 100);
    expect(b.replicaManager.waitingRequests.fetch).toBe(1);
    await fill(b, 't', 1, 100);
    const [result] = await parked;
    expect(baseOffsets(result.records)).toEqual([0n, 1n, 2n]);
  });

  test('max wait: an expired fetch answers what there is', async () => {
    const b = await broker();
    await lead(b, 't');
    await fill(b, 't', 1);
    const parked = b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n)], { maxWaitMs: 500, minBytes: 1024 * 1024 }),
    );
    await expect.poll(() => b.replicaManager.waitingRequests.fetch).toBe(1);
    await b.time.advance(499);
    expect(b.replicaManager.waitingRequests.fetch).toBe(1);
    await b.time.advance(1);
    const [result] = await parked;
    expect(baseOffsets(result.records)).toEqual([0n]);
  });

  test('appends below the high watermark do not wake consumers; the high watermark moving does', async () => {
    const b = await broker();
    await lead(b, 't', 0, { replicas: [BROKER_ID, 2], isr: [BROKER_ID, 2] });
    const parked = b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n)], { maxWaitMs: 10_000 }),
    );
    await expect.poll(() => b.replicaManager.waitingRequests.fetch).toBe(1);
    await fill(b, 't', 1);
    expect(b.replicaManager.waitingRequests.fetch).toBe(1);
    await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 1n)], { replicaId: 2 }));
    const [result] = await parked;
    expect(baseOffsets(result.records)).toEqual([0n]);
  });

  test('leadership changes complete parked fetches with the error', async () => {
    const b = await broker();
    await lead(b, 't', 0, { leaderEpoch: 1 });
    const parked = b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n, { currentLeaderEpoch: 1 })], { maxWaitMs: 10_000 }),
    );
    await expect.poll(() => b.replicaManager.waitingRequests.fetch).toBe(1);
    await lead(b, 't', 0, { leaderEpoch: 2 });
    const [result] = await parked;
    expect(result.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
  });

  test('shutdown completes parked fetches', async () => {
    const b = await broker();
    await lead(b, 't');
    const parked = b.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n)], { maxWaitMs: 60_000 }),
    );
    await expect.poll(() => b.replicaManager.waitingRequests.fetch).toBe(1);
    await b.replicaManager.shutdown();
    const [result] = await parked;
    expect(result.errorCode).toBe(0);
    expect(result.records.length).toBe(0);
  });
});

describe('partition lifecycle', () => {
  test('an older leader epoch is ignored; removal with deleteLogs deletes the log', async () => {
    const b = await broker();
    await lead(b, 't', 0, { leaderEpoch: 3 });
    await lead(b, 't', 0, { leaderEpoch: 2, isLeader: false, leaderId: 9 });
    expect(b.replicaManager.getPartition('t', 0)!.isLeader).toBe(true);
    await fill(b, 't', 1);
    await b.replicaManager.removePartitions([{ topic: 't', partition: 0 }], { deleteLogs: true });
    expect(b.replicaManager.getPartition('t', 0)).toBeUndefined();
    expect(b.logManager.getLog('t', 0)).toBeUndefined();
    const [result] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 0n)]));
    expect(result.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test('records survive a restart and the high watermark comes back', async () => {
    const first = await broker();
    await lead(first, 't');
    await fill(first, 't', 2);
    await stopBroker(first);
    brokers.stopped(first);
    const second = await broker({ root: first.root, topicIds: first.topicIds });
    await lead(second, 't');
    const [result] = await second.replicaManager.fetchMessages(
      fetchParams([fetchPartition('t', 0n)]),
    );
    expect(result.highWatermark).toBe(2n);
    expect(batchesOf(result.records).length).toBe(2);
  });
});

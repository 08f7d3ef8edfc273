import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPLICATION_OFFSET_CHECKPOINT_FILE } from '../../../src/log/log-dir.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { IsolationLevel, ListOffsetsTimestamp } from '../../../src/replica/types.js';
import {
  BROKER_ID,
  brokersPerTest,
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

async function produceAt(b: TestBroker, topic: string, timestamps: bigint[]): Promise<void> {
  const records = await clientBatch({
    records: timestamps.map((timestamp, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from('v'),
      timestamp,
    })),
  });
  expect((await produce(b, topic, records)).errorCode).toBe(0);
}

async function listOffset(
  b: TestBroker,
  timestamp: bigint,
  options: {
    replicaId?: number;
    isolationLevel?: 0 | 1;
    currentLeaderEpoch?: number;
    topic?: string;
  } = {},
) {
  const [result] = await b.replicaManager.listOffsets({
    replicaId: options.replicaId ?? -1,
    isolationLevel: options.isolationLevel ?? IsolationLevel.ReadUncommitted,
    partitions: [
      {
        topic: options.topic ?? 't',
        partition: 0,
        currentLeaderEpoch: options.currentLeaderEpoch ?? -1,
        timestamp,
      },
    ],
  });
  return result;
}

describe('ListOffsets', () => {
  test('special timestamps and timestamp lookups', async () => {
    const b = await broker();
    await lead(b, 't', 0, { leaderEpoch: 2 });
    await produceAt(b, 't', [1000n, 3000n]);
    await produceAt(b, 't', [2000n]);
    const at = async (timestamp: bigint) => {
      const r = await listOffset(b, timestamp);
      return [r.errorCode, r.offset, r.timestamp, r.leaderEpoch];
    };
    expect(await at(ListOffsetsTimestamp.Latest)).toEqual([0, 3n, -1n, 2]);
    expect(await at(ListOffsetsTimestamp.Earliest)).toEqual([0, 0n, -1n, 2]);
    expect(await at(ListOffsetsTimestamp.EarliestLocal)).toEqual([0, 0n, -1n, 2]);
    expect(await at(ListOffsetsTimestamp.MaxTimestamp)).toEqual([0, 1n, 3000n, 2]);
    expect(await at(ListOffsetsTimestamp.LatestTiered)).toEqual([0, -1n, -1n, -1]);
    expect(await at(1500n)).toEqual([0, 1n, 3000n, 2]);
    expect(await at(1000n)).toEqual([0, 0n, 1000n, 2]);
    expect(await at(5000n)).toEqual([0, -1n, -1n, -1]);
  });

  test('an empty log answers latest = earliest = 0 and no max timestamp', async () => {
    const b = await broker();
    await lead(b, 't');
    expect((await listOffset(b, ListOffsetsTimestamp.Latest)).offset).toBe(0n);
    expect((await listOffset(b, ListOffsetsTimestamp.Earliest)).offset).toBe(0n);
    expect((await listOffset(b, ListOffsetsTimestamp.MaxTimestamp)).offset).toBe(-1n);
  });

  test('consumers see offsets up to the high watermark, brokers up to the log end', async () => {
    const b = await broker();
    await lead(b, 't', 0, { replicas: [BROKER_ID, 2], isr: [BROKER_ID, 2] });
    await produceAt(b, 't', [1000n, 2000n]);
    expect((await listOffset(b, ListOffsetsTimestamp.Latest)).offset).toBe(0n);
    expect((await listOffset(b, ListOffsetsTimestamp.Latest, { isolationLevel: 1 })).offset).toBe(
      0n,
    );
    expect((await listOffset(b, ListOffsetsTimestamp.Latest, { replicaId: 2 })).offset).toBe(2n);
    // The max-timestamp record is above the high watermark: not visible yet.
    expect((await listOffset(b, ListOffsetsTimestamp.MaxTimestamp)).offset).toBe(-1n);
    expect((await listOffset(b, 1500n, { replicaId: 2 })).offset).toBe(1n);
  });

  test('a leader whose high watermark lags its epoch start answers OFFSET_NOT_AVAILABLE', async () => {
    const first = await broker();
    await lead(first, 't');
    await produceAt(first, 't', [1000n, 2000n]);
    await stopBroker(first);
    brokers.stopped(first);
    await rm(join(first.logDir, REPLICATION_OFFSET_CHECKPOINT_FILE));
    const second = await broker({ root: first.root, topicIds: first.topicIds });
    await lead(second, 't', 0, { leaderEpoch: 1, replicas: [BROKER_ID, 2], isr: [BROKER_ID, 2] });
    expect((await listOffset(second, ListOffsetsTimestamp.Latest)).errorCode).toBe(
      ErrorCode.OFFSET_NOT_AVAILABLE,
    );
    expect((await listOffset(second, 1500n)).errorCode).toBe(ErrorCode.OFFSET_NOT_AVAILABLE);
    expect((await listOffset(second, ListOffsetsTimestamp.Earliest)).errorCode).toBe(0);
    expect((await listOffset(second, ListOffsetsTimestamp.Latest, { replicaId: 2 })).offset).toBe(
      2n,
    );
  });

  test('leadership and epoch errors', async () => {
    const b = await broker();
    await lead(b, 't', 0, { leaderEpoch: 4 });
    await lead(b, 'f', 0, {
      isLeader: false,
      leaderId: 5,
      leaderEpoch: 1,
      replicas: [5, BROKER_ID],
    });
    expect((await listOffset(b, -1n, { currentLeaderEpoch: 3 })).errorCode).toBe(
      ErrorCode.FENCED_LEADER_EPOCH,
    );
    expect((await listOffset(b, -1n, { currentLeaderEpoch: 5 })).errorCode).toBe(
      ErrorCode.UNKNOWN_LEADER_EPOCH,
    );
    expect((await listOffset(b, -1n, { topic: 'f' })).errorCode).toBe(
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
    );
    // Debugging tools may ask a follower.
    expect((await listOffset(b, -2n, { topic: 'f', replicaId: -2 })).errorCode).toBe(0);
    expect((await listOffset(b, -1n, { topic: 'none' })).errorCode).toBe(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
  });
});

describe('OffsetForLeaderEpoch', () => {
  test('end offsets of epochs from the leader epoch cache', async () => {
    const b = await broker();
    await lead(b, 't', 0, { leaderEpoch: 1 });
    await produceAt(b, 't', [1n, 2n, 3n]);
    await lead(b, 't', 0, { leaderEpoch: 3 });
    await produceAt(b, 't', [4n, 5n]);
    const endOf = (leaderEpoch: number, currentLeaderEpoch = -1) =>
      b.replicaManager.offsetForLeaderEpoch(-1, [
        { topic: 't', partition: 0, currentLeaderEpoch, leaderEpoch },
      ])[0];
    expect(endOf(1)).toMatchObject({ errorCode: 0, leaderEpoch: 1, endOffset: 3n });
    expect(endOf(2)).toMatchObject({ errorCode: 0, leaderEpoch: 1, endOffset: 3n });
    expect(endOf(3)).toMatchObject({ errorCode: 0, leaderEpoch: 3, endOffset: 5n });
    expect(endOf(7)).toMatchObject({ errorCode: 0, leaderEpoch: -1, endOffset: -1n });
    expect(endOf(1, 2).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(endOf(1, 4).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
  });

  test('only the leader answers, except to debugging tools', async () => {
    const b = await broker();
    await lead(b, 'f', 0, {
      isLeader: false,
      leaderId: 5,
      leaderEpoch: 1,
      replicas: [5, BROKER_ID],
    });
    const request = [{ topic: 'f', partition: 0, currentLeaderEpoch: -1, leaderEpoch: 1 }];
    expect(b.replicaManager.offsetForLeaderEpoch(2, request)[0].errorCode).toBe(
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
    );
    expect(b.replicaManager.offsetForLeaderEpoch(-2, request)[0].errorCode).toBe(0);
  });
});

describe('DeleteRecords', () => {
  test('moves the log start offset; -1 means the high watermark; beyond it is OFFSET_OUT_OF_RANGE', async () => {
    const b = await broker();
    await lead(b, 't');
    for (let i = 0; i < 5; i++) await produceAt(b, 't', [BigInt(i)]);
    const remove = async (offset: bigint) =>
      (await b.replicaManager.deleteRecords([{ topic: 't', partition: 0, offset }]))[0];
    expect(await remove(6n)).toMatchObject({
      errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
      lowWatermark: -1n,
    });
    expect(await remove(-3n)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
    expect(await remove(2n)).toMatchObject({ errorCode: 0, lowWatermark: 2n });
    // Never backwards.
    expect(await remove(1n)).toMatchObject({ errorCode: 0, lowWatermark: 2n });
    expect((await listOffset(b, ListOffsetsTimestamp.Earliest)).offset).toBe(2n);
    const [below] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 1n)]));
    expect(below.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(await remove(-1n)).toMatchObject({ errorCode: 0, lowWatermark: 5n });
    const [end] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 5n)]));
    expect(end).toMatchObject({ errorCode: 0, logStartOffset: 5n });
  });

  test('nothing at or above the high watermark can be deleted', async () => {
    const b = await broker();
    await lead(b, 't', 0, { replicas: [BROKER_ID, 2], isr: [BROKER_ID, 2] });
    await produceAt(b, 't', [1n, 2n]);
    const [result] = await b.replicaManager.deleteRecords([
      { topic: 't', partition: 0, offset: 1n },
    ]);
    expect(result.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  test('compact-only topics refuse with POLICY_VIOLATION; followers with NOT_LEADER_OR_FOLLOWER', async () => {
    const b = await broker();
    b.configs.set('c', { cleanupPolicy: ['compact'] });
    await lead(b, 'c');
    await lead(b, 'f', 0, {
      isLeader: false,
      leaderId: 5,
      leaderEpoch: 1,
      replicas: [5, BROKER_ID],
    });
    const results = await b.replicaManager.deleteRecords([
      { topic: 'c', partition: 0, offset: 0n },
      { topic: 'f', partition: 0, offset: 0n },
      { topic: 'x', partition: 0, offset: 0n },
    ]);
    expect(results.map((r) => r.errorCode)).toEqual([
      ErrorCode.POLICY_VIOLATION,
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
  });
});

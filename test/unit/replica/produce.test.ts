import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CompressionType } from '../../../src/protocol/compression/index.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import {
  buildControlBatch,
  RecordBatch,
  TimestampType,
} from '../../../src/protocol/records/index.js';
import {
  BROKER_ID,
  brokersPerTest,
  START_MS,
  batchesOf,
  clientBatch,
  crashBroker,
  fetchParams,
  fetchPartition,
  lead,
  produce,
  stopBroker,
  type TestBroker,
} from './replica-kit.js';

const brokers = brokersPerTest();
const broker = brokers.start;

async function logEnd(b: TestBroker, topic: string): Promise<bigint> {
  return b.replicaManager.getPartition(topic, 0)!.log.logEndOffset;
}

describe('validation', () => {
  test('a valid batch is appended at the log end', async () => {
    const b = await broker();
    await lead(b, 't');
    const first = await produce(b, 't', await clientBatch({ count: 3 }));
    const second = await produce(b, 't', await clientBatch({ count: 2 }));
    expect(first).toMatchObject({
      errorCode: 0,
      baseOffset: 0n,
      logAppendTimeMs: -1n,
      logStartOffset: 0n,
    });
    expect(second).toMatchObject({ errorCode: 0, baseOffset: 3n });
    expect(await logEnd(b, 't')).toBe(5n);
  });

  test('null, empty, several batches and old magic are INVALID_RECORD; nothing is appended', async () => {
    const b = await broker();
    await lead(b, 't');
    const one = await clientBatch();
    const legacy = Buffer.from(one);
    legacy.writeInt8(1, 16);
    for (const records of [
      null,
      Buffer.alloc(0),
      Buffer.concat([one, await clientBatch()]),
      legacy,
    ]) {
      const result = await produce(b, 't', records);
      expect(result.errorCode).toBe(ErrorCode.INVALID_RECORD);
      expect(result.baseOffset).toBe(-1n);
    }
    expect(await logEnd(b, 't')).toBe(0n);
  });

  test('a bad CRC is CORRUPT_MESSAGE', async () => {
    const b = await broker();
    await lead(b, 't');
    const records = await clientBatch({ count: 2 });
    records[records.length - 1] ^= 0xff;
    const result = await produce(b, 't', records);
    expect(result.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(result.logStartOffset).toBe(-1n);
  });

  test('record count that disagrees with the offsets, or a non-zero base offset, is INVALID_RECORD', async () => {
    const b = await broker();
    await lead(b, 't');
    const records = await clientBatch({ count: 2 });
    records.writeInt32BE(5, 23); // lastOffsetDelta
    RecordBatch.at(records).updateCrc();
    expect((await produce(b, 't', records)).errorCode).toBe(ErrorCode.INVALID_RECORD);
    const moved = await clientBatch();
    moved.writeBigInt64BE(7n, 0); // baseOffset lies outside the CRC
    expect((await produce(b, 't', moved)).errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  test('control batches from clients are INVALID_RECORD', async () => {
    const b = await broker();
    await lead(b, 't');
    const marker = buildControlBatch({
      type: 'commit',
      coordinatorEpoch: 0,
      producerId: 5n,
      producerEpoch: 0,
    });
    expect((await produce(b, 't', marker, { transactionalId: 'tx' })).errorCode).toBe(
      ErrorCode.INVALID_RECORD,
    );
  });

  test('a batch above max.message.bytes is MESSAGE_TOO_LARGE; one above segment.bytes RECORD_LIST_TOO_LARGE', async () => {
    const b = await broker();
    b.configs.set('small-message', { maxMessageBytes: 200 });
    b.configs.set('small-segment', { segmentBytes: 300 });
    await lead(b, 'small-message');
    await lead(b, 'small-segment');
    const big = () => clientBatch({ valueBytes: 400 });
    expect((await produce(b, 'small-message', await big())).errorCode).toBe(
      ErrorCode.MESSAGE_TOO_LARGE,
    );
    expect((await produce(b, 'small-segment', await big())).errorCode).toBe(
      ErrorCode.RECORD_LIST_TOO_LARGE,
    );
  });

  test('compacted topics need keys, also inside compressed batches: INVALID_RECORD with record errors', async () => {
    const b = await broker();
    b.configs.set('c', { cleanupPolicy: ['compact'] });
    await lead(b, 'c');
    const records = await clientBatch({
      count: 3,
      keys: [Buffer.from('a'), null, null],
      compression: CompressionType.Gzip,
    });
    const result = await produce(b, 'c', records);
    expect(result.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(result.recordErrors.map((e) => e.batchIndex)).toEqual([1, 2]);
    expect(result.logStartOffset).toBe(0n);
  });

  test('CreateTime timestamps outside message.timestamp.before/after.max.ms are INVALID_TIMESTAMP', async () => {
    const b = await broker();
    b.configs.set('t', { messageTimestampBeforeMaxMs: 1000, messageTimestampAfterMaxMs: 1000 });
    await lead(b, 't');
    const now = BigInt(START_MS);
    const records = await clientBatch({
      records: [
        { key: null, value: Buffer.from('ok'), timestamp: now },
        { key: null, value: Buffer.from('old'), timestamp: now - 5000n },
        { key: null, value: Buffer.from('future'), timestamp: now + 5000n },
      ],
    });
    const result = await produce(b, 't', records);
    expect(result.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(result.recordErrors.map((e) => e.batchIndex)).toEqual([1, 2]);
    expect(await logEnd(b, 't')).toBe(0n);
  });

  test('LogAppendTime topics stamp the broker time', async () => {
    const b = await broker();
    b.configs.set('t', { messageTimestampType: 'LogAppendTime' });
    await lead(b, 't');
    const result = await produce(b, 't', await clientBatch({ timestamp: 5n }));
    expect(result.logAppendTimeMs).toBe(BigInt(START_MS));
    const [fetched] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 0n)]));
    const [batch] = batchesOf(fetched.records);
    expect(batch.timestampType).toBe(TimestampType.LogAppendTime);
    expect(batch.maxTimestamp).toBe(BigInt(START_MS));
  });

  test('compression.type other than producer recompresses, keeping the producer fields', async () => {
    const b = await broker();
    b.configs.set('t', { compressionType: CompressionType.Gzip });
    await lead(b, 't');
    const records = await clientBatch({
      count: 3,
      producerId: 9n,
      producerEpoch: 2,
      baseSequence: 0,
    });
    expect((await produce(b, 't', records)).errorCode).toBe(0);
    const [fetched] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 0n)]));
    const [batch] = batchesOf(fetched.records);
    expect(batch.compression).toBe(CompressionType.Gzip);
    expect([batch.producerId, batch.producerEpoch, batch.baseSequence]).toEqual([9n, 2, 0]);
    const decoded = await batch.decodeRecords();
    expect(decoded.map((r) => r.key?.toString())).toEqual(['k0', 'k1', 'k2']);
  });

  test('zstd before produce v7 is UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const b = await broker();
    await lead(b, 't');
    const records = await clientBatch({ compression: CompressionType.Zstd });
    expect((await produce(b, 't', records, { apiVersion: 6 })).errorCode).toBe(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    );
    expect((await produce(b, 't', records, { apiVersion: 7 })).errorCode).toBe(0);
  });

  test('a failing partition leaves the others of the request unaffected', async () => {
    const b = await broker();
    await lead(b, 'a');
    await lead(b, 'b');
    const bad = await clientBatch();
    bad[bad.length - 1] ^= 1;
    const results = await b.replicaManager.appendRecords({
      acks: 1,
      timeoutMs: 1000,
      transactionalId: null,
      entries: [
        { topic: 'a', partition: 0, records: bad },
        { topic: 'b', partition: 0, records: await clientBatch() },
      ],
    });
    expect(results.map((r) => r.errorCode)).toEqual([ErrorCode.CORRUPT_MESSAGE, 0]);
  });
});

describe('request-level and partition errors', () => {
  test('acks other than -1, 0, 1 is INVALID_REQUIRED_ACKS', async () => {
    const b = await broker();
    await lead(b, 't');
    expect((await produce(b, 't', await clientBatch(), { acks: 2 })).errorCode).toBe(
      ErrorCode.INVALID_REQUIRED_ACKS,
    );
  });

  test('internal topics are refused to clients', async () => {
    const b = await broker();
    await lead(b, '__consumer_offsets');
    const result = await produce(b, '__consumer_offsets', await clientBatch());
    expect(result.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const internal = await produce(b, '__consumer_offsets', await clientBatch(), {
      allowInternalTopics: true,
    });
    expect(internal.errorCode).toBe(0);
  });

  test('unknown partitions, and partitions this broker does not lead', async () => {
    const b = await broker({ replica: { partitionExists: (topic) => topic === 'elsewhere' } });
    await lead(b, 'follower', 0, {
      isLeader: false,
      leaderId: 7,
      leaderEpoch: 4,
      replicas: [7, BROKER_ID],
    });
    expect((await produce(b, 'nope', await clientBatch())).errorCode).toBe(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
    expect((await produce(b, 'elsewhere', await clientBatch())).errorCode).toBe(
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
    );
    const result = await produce(b, 'follower', await clientBatch());
    expect(result.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(result.currentLeader).toEqual({ leaderId: 7, leaderEpoch: 4 });
  });

  test('transactional batches: without a transactional id the request is refused, with one INVALID_TXN_STATE', async () => {
    const b = await broker();
    await lead(b, 't');
    const txn = await clientBatch({
      producerId: 3n,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
    });
    const refused = await b.replicaManager.appendRecords({
      acks: 1,
      timeoutMs: 1000,
      transactionalId: null,
      entries: [
        { topic: 't', partition: 0, records: txn },
        { topic: 't', partition: 1, records: await clientBatch() },
      ],
    });
    expect(refused.map((r) => r.errorCode)).toEqual([
      ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    ]);
    expect((await produce(b, 't', txn, { transactionalId: 'tx' })).errorCode).toBe(
      ErrorCode.INVALID_TXN_STATE,
    );
    expect(await logEnd(b, 't')).toBe(0n);
  });
});

describe('acks', () => {
  test('acks=0 and acks=1 append and answer with offsets', async () => {
    const b = await broker();
    await lead(b, 't');
    expect((await produce(b, 't', await clientBatch(), { acks: 0 })).baseOffset).toBe(0n);
    expect((await produce(b, 't', await clientBatch(), { acks: 1 })).baseOffset).toBe(1n);
  });

  test('acks=-1 with this broker the only in-sync replica answers at once', async () => {
    const b = await broker();
    await lead(b, 't');
    const result = await produce(b, 't', await clientBatch(), { acks: -1 });
    expect(result).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(b.replicaManager.waitingRequests.produce).toBe(0);
  });

  test('acks=-1 waits for the followers in the ISR, and times out without them', async () => {
    const b = await broker();
    await lead(b, 't', 0, { replicas: [BROKER_ID, 2], isr: [BROKER_ID, 2] });
    const waiting = produce(b, 't', await clientBatch({ count: 2 }), { acks: -1, timeoutMs: 5000 });
    await expect.poll(() => b.replicaManager.waitingRequests.produce).toBe(1);
    // The follower fetches at the log end: the high watermark passes the batch.
    await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 2n)], { replicaId: 2 }));
    expect(await waiting).toMatchObject({ errorCode: 0, baseOffset: 0n });

    const timingOut = produce(b, 't', await clientBatch(), { acks: -1, timeoutMs: 5000 });
    await expect.poll(() => b.replicaManager.waitingRequests.produce).toBe(1);
    await b.time.advance(5000);
    expect(await timingOut).toMatchObject({
      errorCode: ErrorCode.REQUEST_TIMED_OUT,
      baseOffset: 2n,
    });
  });

  test('acks=-1 below min.insync.replicas is NOT_ENOUGH_REPLICAS; acks=1 is not affected', async () => {
    const b = await broker();
    b.configs.set('t', { minInsyncReplicas: 2 });
    await lead(b, 't', 0, { replicas: [BROKER_ID, 2], isr: [BROKER_ID] });
    expect((await produce(b, 't', await clientBatch(), { acks: -1 })).errorCode).toBe(
      ErrorCode.NOT_ENOUGH_REPLICAS,
    );
    expect((await produce(b, 't', await clientBatch(), { acks: 1 })).errorCode).toBe(0);
  });
});

describe('idempotent producers', () => {
  const idempotent = (
    baseSequence: number,
    options: { count?: number; producerEpoch?: number; producerId?: bigint } = {},
  ) => clientBatch({ producerId: 100n, producerEpoch: 0, baseSequence, count: 2, ...options });

  test('a retry of each of the last five batches answers its original offsets and appends nothing', async () => {
    const b = await broker();
    await lead(b, 't');
    const offsets: bigint[] = [];
    for (let i = 0; i < 5; i++)
      offsets.push((await produce(b, 't', await idempotent(i * 2))).baseOffset);
    expect(offsets).toEqual([0n, 2n, 4n, 6n, 8n]);
    for (let i = 0; i < 5; i++) {
      const retry = await produce(b, 't', await idempotent(i * 2));
      expect(retry).toMatchObject({ errorCode: 0, baseOffset: offsets[i] });
    }
    expect(await logEnd(b, 't')).toBe(10n);
    // A sixth batch pushes the first out of the window: its retry is now out of order.
    expect((await produce(b, 't', await idempotent(10))).baseOffset).toBe(10n);
    expect((await produce(b, 't', await idempotent(0))).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
  });

  test('gaps and repeats of sequences are OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    const b = await broker();
    await lead(b, 't');
    await produce(b, 't', await idempotent(0));
    expect((await produce(b, 't', await idempotent(5))).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    // Overlapping the last batch without matching it is no duplicate either.
    expect((await produce(b, 't', await idempotent(1))).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    expect((await produce(b, 't', await idempotent(2))).errorCode).toBe(0);
  });

  test('an unknown producer may start at any sequence', async () => {
    const b = await broker();
    await lead(b, 't');
    expect((await produce(b, 't', await idempotent(42))).errorCode).toBe(0);
    expect((await produce(b, 't', await idempotent(44))).errorCode).toBe(0);
  });

  test('epoch fencing: older epochs are INVALID_PRODUCER_EPOCH, a new epoch starts at sequence 0', async () => {
    const b = await broker();
    await lead(b, 't');
    await produce(b, 't', await idempotent(0, { producerEpoch: 1 }));
    expect((await produce(b, 't', await idempotent(2, { producerEpoch: 0 }))).errorCode).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    expect((await produce(b, 't', await idempotent(2, { producerEpoch: 2 }))).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    expect((await produce(b, 't', await idempotent(0, { producerEpoch: 2 }))).errorCode).toBe(0);
    // The old epoch's batches are forgotten: no duplicate across epochs.
    expect((await produce(b, 't', await idempotent(0, { producerEpoch: 1 }))).errorCode).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
  });

  test('pipelined batches are checked against each other before they reach the log', async () => {
    const b = await broker();
    await lead(b, 't');
    const batches = await Promise.all([0, 2, 4, 6, 8].map((seq) => idempotent(seq)));
    const results = await Promise.all(batches.map((records) => produce(b, 't', records)));
    expect(results.map((r) => [r.errorCode, r.baseOffset])).toEqual([
      [0, 0n],
      [0, 2n],
      [0, 4n],
      [0, 6n],
      [0, 8n],
    ]);
    // A retry sent while its original is still in flight waits for it and gets its offsets.
    const [original, retry] = await Promise.all([
      produce(b, 't', await idempotent(10)),
      produce(b, 't', await idempotent(10)),
    ]);
    expect(original.baseOffset).toBe(10n);
    expect(retry).toMatchObject({ errorCode: 0, baseOffset: 10n });
    expect(await logEnd(b, 't')).toBe(12n);
  });

  test('a batch that validates faster than an earlier one still reaches the log after it', async () => {
    const b = await broker();
    await lead(b, 't');
    // The zstd batch is decompressed off the main thread, so its validation ends last.
    const slowZstd = await clientBatch({
      producerId: 100n,
      producerEpoch: 0,
      baseSequence: 0,
      count: 3,
      compression: CompressionType.Zstd,
    });
    const fast = [await idempotent(3), await idempotent(5)];
    const results = await Promise.all([
      produce(b, 't', slowZstd),
      ...fast.map((records) => produce(b, 't', records)),
    ]);
    expect(results.map((r) => [r.errorCode, r.baseOffset])).toEqual([
      [0, 0n],
      [0, 3n],
      [0, 5n],
    ]);
    const [fetched] = await b.replicaManager.fetchMessages(fetchParams([fetchPartition('t', 0n)]));
    expect(batchesOf(fetched.records!).map((batch) => batch.baseSequence)).toEqual([0, 3, 5]);
  });

  test('DescribeProducers reports the state', async () => {
    const b = await broker();
    await lead(b, 't');
    await produce(b, 't', await idempotent(0, { producerEpoch: 3 }));
    const [described] = b.replicaManager.describeProducers([{ topic: 't', partition: 0 }]);
    expect(described.errorCode).toBe(0);
    expect(described.activeProducers).toEqual([
      {
        producerId: 100n,
        producerEpoch: 3,
        lastSequence: 1,
        lastTimestamp: BigInt(START_MS),
        coordinatorEpoch: -1,
        currentTxnStartOffset: -1n,
      },
    ]);
    expect(b.replicaManager.describeProducers([{ topic: 'x', partition: 0 }])[0].errorCode).toBe(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
  });

  test('after a clean restart the snapshot keeps deduplicating the last batch', async () => {
    const first = await broker();
    await lead(first, 't');
    for (let i = 0; i < 3; i++) await produce(first, 't', await idempotent(i * 2));
    await stopBroker(first);
    brokers.stopped(first);
    const files = await readdir(join(first.logDir, 't-0'));
    expect(files).toContain('00000000000000000006.snapshot');

    const second = await broker({ root: first.root, topicIds: first.topicIds });
    await lead(second, 't');
    expect(await produce(second, 't', await idempotent(4))).toMatchObject({
      errorCode: 0,
      baseOffset: 4n,
    });
    // As in Kafka, a snapshot keeps only each producer's last batch.
    expect((await produce(second, 't', await idempotent(2))).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    expect((await produce(second, 't', await idempotent(6))).baseOffset).toBe(6n);
    expect(await logEnd(second, 't')).toBe(8n);
  });

  test('after a crash without snapshots the log is scanned and all five batches deduplicate', async () => {
    const first = await broker();
    await lead(first, 't');
    for (let i = 0; i < 5; i++) await produce(first, 't', await idempotent(i * 2));
    await crashBroker(first);
    brokers.stopped(first);
    for (const name of await readdir(join(first.logDir, 't-0'))) {
      if (name.endsWith('.snapshot')) await rm(join(first.logDir, 't-0', name));
    }

    const second = await broker({ root: first.root, topicIds: first.topicIds });
    await lead(second, 't');
    for (let i = 0; i < 5; i++) {
      expect(await produce(second, 't', await idempotent(i * 2))).toMatchObject({
        errorCode: 0,
        baseOffset: BigInt(i * 2),
      });
    }
    expect(await logEnd(second, 't')).toBe(10n);
    expect((await produce(second, 't', await idempotent(10))).baseOffset).toBe(10n);
  });

  test('a log roll writes a producer snapshot', async () => {
    const b = await broker();
    b.configs.set('t', { segmentBytes: 400 });
    await lead(b, 't');
    for (let i = 0; i < 6; i++) await produce(b, 't', await idempotent(i * 2, { count: 2 }));
    const partition = b.replicaManager.getPartition('t', 0)!;
    expect(partition.log.segments.length).toBeGreaterThan(1);
    const snapshots = async () =>
      (await readdir(join(b.logDir, 't-0'))).filter((n) => n.endsWith('.snapshot'));
    await expect.poll(snapshots).not.toEqual([]);
    // Written once the batches below it were in the log: it is at or below the log end.
    const [newest] = (await snapshots()).sort().reverse();
    expect(BigInt(newest.slice(0, 20))).toBeLessThanOrEqual(partition.log.logEndOffset);
  });
});

describe('periodic producer tasks', () => {
  const idempotent = (producerId: bigint, timestamp: bigint) =>
    clientBatch({ producerId, producerEpoch: 0, baseSequence: 0, timestamp });

  test('producers idle past producer.id.expiration.ms are forgotten at the next check', async () => {
    const b = await broker({
      replica: {
        producerIdExpirationMs: 60_000,
        producerIdExpirationCheckIntervalMs: 10_000,
        producerSnapshotIntervalMs: 0,
      },
    });
    await lead(b, 't');
    await produce(b, 't', await idempotent(1n, BigInt(START_MS)));
    await produce(b, 't', await idempotent(2n, BigInt(START_MS + 30_000)));
    b.replicaManager.startup();
    const producers = () =>
      b.replicaManager
        .describeProducers([{ topic: 't', partition: 0 }])[0]
        .activeProducers.map((p) => p.producerId);
    await b.time.advance(50_000);
    expect(producers()).toEqual([1n, 2n]);
    await b.time.advance(10_000);
    expect(producers()).toEqual([2n]);
  });

  test('producer state is snapshotted periodically when it moved', async () => {
    const b = await broker({ replica: { producerSnapshotIntervalMs: 5_000 } });
    await lead(b, 't');
    await produce(b, 't', await idempotent(1n, BigInt(START_MS)));
    b.replicaManager.startup();
    const snapshots = async () =>
      (await readdir(join(b.logDir, 't-0'))).filter((n) => n.endsWith('.snapshot'));
    expect(await snapshots()).toEqual([]);
    await b.time.advance(5_000);
    expect(await snapshots()).toEqual(['00000000000000000001.snapshot']);
  });
});

import { afterEach, describe, expect, test } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import {
  FetchSessionCache,
  INVALID_SESSION_ID,
  nextSessionEpoch,
  type FetchContext,
  type FetchSessionRequest,
} from '../../../src/replica/fetch-session-cache.js';
import type { FetchPartitionRequest, FetchPartitionResult } from '../../../src/replica/types.js';
import {
  clientBatch,
  fetchParams,
  fetchPartition,
  lead,
  ManualTime,
  produce,
  removeBroker,
  startBroker,
  stopBroker,
  type TestBroker,
} from './replica-kit.js';

const TOPIC_A = 'AAAAAAAAAAAAAAAAAAAAAQ';
const TOPIC_B = 'AAAAAAAAAAAAAAAAAAAAAg';

function cacheWith(options: { maxSessions?: number; evictionMs?: number } = {}) {
  const time = new ManualTime();
  let nextId = 100;
  const cache = new FetchSessionCache({ ...options, clock: time, newSessionId: () => nextId++ });
  return { cache, time };
}

function part(
  topic: string,
  partition = 0,
  fetchOffset = 0n,
  topicId?: string,
): FetchPartitionRequest {
  return fetchPartition(topic, fetchOffset, { partition, topicId });
}

function request(overrides: Partial<FetchSessionRequest>): FetchSessionRequest {
  return {
    version: 12,
    sessionId: 0,
    sessionEpoch: 0,
    isFollower: false,
    partitions: [],
    forgotten: [],
    ...overrides,
  };
}

/** Answers every partition to fetch: `records` bytes of data and the given high watermark. */
function answer(context: FetchContext, highWatermark = 10n, records = 0) {
  const results: FetchPartitionResult[] = context.partitionsToFetch.map((p) => ({
    topic: p.topic,
    topicId: p.topicId,
    partition: p.partition,
    errorCode: 0,
    highWatermark,
    lastStableOffset: highWatermark,
    logStartOffset: 0n,
    records: Buffer.alloc(records),
    abortedTransactions: null,
    preferredReadReplica: -1,
    divergingEpoch: null,
    currentLeader: null,
  }));
  return context.buildResponse(results);
}

const names = (response: { partitions: { topic: string; partition: number }[] }) =>
  response.partitions.map((p) => `${p.topic}-${p.partition}`);

describe('full fetches', () => {
  test('epoch 0 creates a session; epoch -1 never does', () => {
    const { cache } = cacheWith();
    const full = cache.newContext(request({ partitions: [part('a'), part('b')] }));
    expect(full.kind).toBe('full');
    const response = answer(full);
    expect(response.sessionId).toBe(100);
    expect(names(response)).toEqual(['a-0', 'b-0']);
    expect(cache.size).toBe(1);

    const sessionless = cache.newContext(request({ sessionEpoch: -1, partitions: [part('a')] }));
    expect(sessionless.kind).toBe('sessionless');
    expect(answer(sessionless).sessionId).toBe(INVALID_SESSION_ID);
    expect(cache.size).toBe(1);
  });

  test('a full fetch naming a session closes it', () => {
    const { cache } = cacheWith();
    const id = answer(cache.newContext(request({ partitions: [part('a')] }))).sessionId;
    answer(cache.newContext(request({ sessionId: id, sessionEpoch: -1, partitions: [part('a')] })));
    expect(cache.has(id)).toBe(false);
  });
});

describe('incremental fetches', () => {
  test('fetch every session partition; answer only what changed; rotate partitions with data', () => {
    const { cache } = cacheWith();
    const id = answer(
      cache.newContext(request({ partitions: [part('a'), part('b'), part('c')] })),
    ).sessionId;

    const unchanged = cache.newContext(request({ sessionId: id, sessionEpoch: 1 }));
    expect(unchanged.kind).toBe('incremental');
    expect(unchanged.partitionsToFetch.map((p) => p.topic)).toEqual(['a', 'b', 'c']);
    expect(answer(unchanged).partitions).toEqual([]);

    // New fetch position for b, data for b only, a new high watermark everywhere.
    const next = cache.newContext(
      request({ sessionId: id, sessionEpoch: 2, partitions: [part('b', 0, 5n)] }),
    );
    expect(next.partitionsToFetch.find((p) => p.topic === 'b')!.fetchOffset).toBe(5n);
    const results = next.partitionsToFetch.map((p) => ({
      ...answer(next).partitions[0],
      topic: p.topic,
      partition: p.partition,
      highWatermark: 11n,
      records: Buffer.alloc(p.topic === 'b' ? 3 : 0),
    }));
    expect(names(next.buildResponse(results))).toEqual(['a-0', 'b-0', 'c-0']);
    // b returned data: it goes to the back of the session.
    const after = cache.newContext(request({ sessionId: id, sessionEpoch: 3 }));
    expect(after.partitionsToFetch.map((p) => p.topic)).toEqual(['a', 'c', 'b']);
  });

  test('errors are always answered', () => {
    const { cache } = cacheWith();
    const id = answer(cache.newContext(request({ partitions: [part('a')] }))).sessionId;
    expect(
      answer(cache.newContext(request({ sessionId: id, sessionEpoch: 1 }))).partitions,
    ).toEqual([]);
    const again = cache.newContext(request({ sessionId: id, sessionEpoch: 2 }));
    const failing = again.partitionsToFetch.map((p) => ({
      topic: p.topic,
      topicId: p.topicId,
      partition: p.partition,
      errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
      highWatermark: -1n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      records: Buffer.alloc(0),
      abortedTransactions: null,
      preferredReadReplica: -1,
      divergingEpoch: null,
      currentLeader: null,
    }));
    expect(again.buildResponse(failing).partitions).toHaveLength(1);
    // Once the error clears the partition is sent again (its cached high watermark was reset).
    expect(
      answer(cache.newContext(request({ sessionId: id, sessionEpoch: 3 }))).partitions,
    ).toHaveLength(1);
  });

  test('forgotten partitions leave the session; a session left empty closes', () => {
    const { cache } = cacheWith();
    const id = answer(cache.newContext(request({ partitions: [part('a'), part('b')] }))).sessionId;
    const context = cache.newContext(
      request({ sessionId: id, sessionEpoch: 1, forgotten: [{ topic: 'a', partition: 0 }] }),
    );
    expect(context.partitionsToFetch.map((p) => p.topic)).toEqual(['b']);
    const closing = cache.newContext(
      request({ sessionId: id, sessionEpoch: 2, forgotten: [{ topic: 'b', partition: 0 }] }),
    );
    expect(closing.kind).toBe('sessionless');
    expect(answer(closing).sessionId).toBe(INVALID_SESSION_ID);
    expect(cache.has(id)).toBe(false);
  });

  test('session errors', () => {
    const { cache } = cacheWith();
    const id = answer(cache.newContext(request({ partitions: [part('a')] }))).sessionId;
    const wrongEpoch = cache.newContext(request({ sessionId: id, sessionEpoch: 5 }));
    expect(wrongEpoch.errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    expect(wrongEpoch.buildResponse([])).toEqual({
      errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH,
      sessionId: 0,
      partitions: [],
    });
    expect(cache.newContext(request({ sessionId: 999, sessionEpoch: 1 })).errorCode).toBe(
      ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
    );
    expect(
      cache.newContext(request({ version: 13, sessionId: id, sessionEpoch: 1 })).errorCode,
    ).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    // The failed requests did not move the epoch.
    expect(cache.newContext(request({ sessionId: id, sessionEpoch: 1 })).errorCode).toBe(0);
  });

  test('epochs wrap to 1 after int32 max', () => {
    expect(nextSessionEpoch(0)).toBe(1);
    expect(nextSessionEpoch(2147483647)).toBe(1);
    expect(nextSessionEpoch(-1)).toBe(-1);
  });
});

describe('topic ids (v13+)', () => {
  test('ids resolve to names; unknown ids answer UNKNOWN_TOPIC_ID, also in incremental fetches', () => {
    const { cache } = cacheWith();
    const topicNameFor = (id: string) => (id === TOPIC_A ? 'a' : undefined);
    const full = cache.newContext(
      request({
        version: 13,
        topicNameFor,
        partitions: [part('', 0, 0n, TOPIC_A), part('', 0, 0n, TOPIC_B)],
      }),
    );
    expect(full.partitionsToFetch.map((p) => p.topic)).toEqual(['a']);
    const response = answer(full);
    expect(response.partitions.map((p) => [p.topicId, p.errorCode])).toEqual([
      [TOPIC_A, 0],
      [TOPIC_B, ErrorCode.UNKNOWN_TOPIC_ID],
    ]);
    const incremental = cache.newContext(
      request({ version: 13, topicNameFor, sessionId: response.sessionId, sessionEpoch: 1 }),
    );
    expect(incremental.partitionsToFetch.map((p) => p.topic)).toEqual(['a']);
    expect(answer(incremental).partitions.map((p) => p.errorCode)).toEqual([
      ErrorCode.UNKNOWN_TOPIC_ID,
    ]);
  });
});

describe('eviction', () => {
  test('a full cache creates no session until one is stale', async () => {
    const { cache, time } = cacheWith({ maxSessions: 1, evictionMs: 1000 });
    const first = answer(cache.newContext(request({ partitions: [part('a')] }))).sessionId;
    expect(answer(cache.newContext(request({ partitions: [part('b')] }))).sessionId).toBe(
      INVALID_SESSION_ID,
    );
    await time.advance(1001);
    const second = answer(cache.newContext(request({ partitions: [part('b')] }))).sessionId;
    expect(second).not.toBe(INVALID_SESSION_ID);
    expect(cache.has(first)).toBe(false);
  });

  test('followers evict consumers; bigger sessions evict old smaller ones', async () => {
    const { cache, time } = cacheWith({ maxSessions: 1, evictionMs: 1000 });
    const consumer = answer(cache.newContext(request({ partitions: [part('a')] }))).sessionId;
    const follower = answer(
      cache.newContext(request({ isFollower: true, partitions: [part('a')] })),
    ).sessionId;
    expect(follower).not.toBe(INVALID_SESSION_ID);
    expect(cache.has(consumer)).toBe(false);
    // A consumer cannot evict the follower's young session...
    expect(
      answer(cache.newContext(request({ partitions: [part('a'), part('b')] }))).sessionId,
    ).toBe(INVALID_SESSION_ID);
    // ...nor, once it is old, a session that is privileged.
    await time.advance(600);
    answer(cache.newContext(request({ sessionId: follower, sessionEpoch: 1 })));
    await time.advance(600);
    answer(cache.newContext(request({ sessionId: follower, sessionEpoch: 2 })));
    expect(
      answer(cache.newContext(request({ partitions: [part('a'), part('b')] }))).sessionId,
    ).toBe(INVALID_SESSION_ID);
  });
});

describe('with the replica manager', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    if (broker) {
      await stopBroker(broker);
      await removeBroker(broker);
      broker = undefined;
    }
  });

  test('an incremental fetch answers only the partitions that got data', async () => {
    broker = await startBroker();
    await lead(broker, 'a');
    await lead(broker, 'b');
    const cache = new FetchSessionCache({ clock: broker.time });
    const rm = broker.replicaManager;
    const full = cache.newContext(request({ partitions: [part('a'), part('b')] }));
    const first = full.buildResponse(await rm.fetchMessages(fetchParams(full.partitionsToFetch)));
    expect(names(first)).toEqual(['a-0', 'b-0']);

    expect((await produce(broker, 'b', await clientBatch())).errorCode).toBe(0);
    const incremental = cache.newContext(request({ sessionId: first.sessionId, sessionEpoch: 1 }));
    const second = incremental.buildResponse(
      await rm.fetchMessages(fetchParams(incremental.partitionsToFetch)),
    );
    expect(second.sessionId).toBe(first.sessionId);
    expect(names(second)).toEqual(['b-0']);
    expect(second.partitions[0].records.length).toBeGreaterThan(0);
  });
});

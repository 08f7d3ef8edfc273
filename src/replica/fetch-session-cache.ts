import { randomInt } from 'node:crypto';
import { systemClock, type Clock } from '../log/log.js';
import { ErrorCode } from '../protocol/errors.js';
import { ZERO_UUID } from '../protocol/primitives/uuid.js';
import type { FetchPartitionRequest, FetchPartitionResult } from './types.js';

/** KIP-227 session ids and epochs. */
export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
/** max.incremental.fetch.session.cache.slots */
export const DEFAULT_SESSION_CACHE_SLOTS = 1000;
/** A session younger than this is protected from eviction, one unused this long is stale. */
export const DEFAULT_SESSION_EVICTION_MS = 120_000;
/** Fetch v13 replaced topic names by topic ids. */
const FIRST_VERSION_WITH_TOPIC_IDS = 13;
const INT32_MAX = 0x7fffffff;

export function nextSessionEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === INT32_MAX ? 1 : epoch + 1;
}

export interface ForgottenPartition {
  topic: string;
  topicId?: string;
  partition: number;
}

export interface FetchSessionRequest {
  /** Fetch request version: v13+ names topics by id. */
  version: number;
  sessionId: number;
  sessionEpoch: number;
  /** Followers' sessions are privileged in eviction. */
  isFollower: boolean;
  /** The partitions the request lists (v13+: topic ids set, names may be empty). */
  partitions: readonly FetchPartitionRequest[];
  forgotten: readonly ForgottenPartition[];
  /** The topic name of an id (the metadata image), for v13+. */
  topicNameFor?: (topicId: string) => string | undefined;
}

export interface FetchSessionResponse {
  errorCode: number;
  sessionId: number;
  partitions: FetchPartitionResult[];
}

/** How to serve one fetch request given its session (Kafka's FetchContext). */
export interface FetchContext {
  readonly kind: 'error' | 'sessionless' | 'full' | 'incremental';
  /** Non-zero: answer the request with this error and no partitions. */
  readonly errorCode: number;
  /** The partitions to read, names resolved: the request's, or the whole session's. */
  readonly partitionsToFetch: FetchPartitionRequest[];
  /**
   * The response from the read results (one per partition to fetch, any order): creates the
   * session of a full fetch, and leaves out of an incremental one what did not change.
   * Partitions whose topic id is unknown are answered UNKNOWN_TOPIC_ID.
   */
  buildResponse(results: readonly FetchPartitionResult[]): FetchSessionResponse;
}

/** One partition of a session: the last request parameters and what the fetcher last saw. */
interface CachedPartition {
  topic: string;
  topicId: string | undefined;
  partition: number;
  fetchOffset: bigint;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  fetcherLogStartOffset: bigint;
  partitionMaxBytes: number;
  /** Sent in the last response; -1 forces the partition into the next one. */
  highWatermark: bigint;
  localLogStartOffset: bigint;
}

class FetchSession {
  /** Insertion order is the fetch order; partitions that returned data move to the end. */
  readonly partitions = new Map<string, CachedPartition>();
  evictableByPrivileged = false;
  evictableByAll = false;

  constructor(
    readonly id: number,
    readonly privileged: boolean,
    readonly usesTopicIds: boolean,
    readonly creationMs: number,
    public lastUsedMs: number,
    public epoch: number,
  ) {}

  get size(): number {
    return this.partitions.size;
  }
}

function sessionKey(
  usesTopicIds: boolean,
  p: { topic: string; topicId?: string; partition: number },
): string {
  return usesTopicIds ? `${p.topicId ?? ZERO_UUID}:${p.partition}` : `${p.topic}:${p.partition}`;
}

function resultKey(r: { topic: string; topicId?: string; partition: number }): string {
  return `${r.topicId ?? ''}|${r.topic}|${r.partition}`;
}

function unknownTopicIdResult(p: FetchPartitionRequest): FetchPartitionResult {
  return {
    topic: p.topic,
    topicId: p.topicId,
    partition: p.partition,
    errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    records: Buffer.alloc(0),
    abortedTransactions: null,
    preferredReadReplica: -1,
    divergingEpoch: null,
    currentLeader: null,
  };
}

/** Orders (privileged, size, id): the smallest is the least valuable session. */
function compareEvictable(
  a: { privileged: boolean; size: number; id: number },
  b: { privileged: boolean; size: number; id: number },
): number {
  if (a.privileged !== b.privileged) return a.privileged ? 1 : -1;
  if (a.size !== b.size) return a.size - b.size;
  return a.id - b.id;
}

export interface FetchSessionCacheOptions {
  maxSessions?: number;
  evictionMs?: number;
  clock?: Clock;
  /** Session ids; random in [1, int32 max) by default. */
  newSessionId?: () => number;
}

/**
 * Incremental fetch sessions (KIP-227, Kafka's FetchSessionCache and FetchManager).
 *
 * - Epoch 0 or -1 is a full fetch: any session named is closed; epoch 0 then tries to
 *   create a session (answered with its id, or 0 when the cache is full), -1 never does.
 * - Other epochs are incremental: the session must exist (FETCH_SESSION_ID_NOT_FOUND) and
 *   expect this epoch (INVALID_FETCH_SESSION_EPOCH); listed partitions are added or
 *   updated, forgotten ones removed, and every session partition is fetched. The response
 *   carries only partitions with records, a changed high watermark or log start offset,
 *   or an error. A session left without partitions is closed.
 * - Sessions created with topic ids (v13+) must keep using them, and the other way round
 *   (FETCH_SESSION_TOPIC_ID_ERROR); unknown topic ids answer UNKNOWN_TOPIC_ID.
 * - When full, a new session may evict the least recently used one if unused for
 *   evictionMs, else the least valuable (privileged, then partition count) among those
 *   old enough to be evicted, when the newcomer is worth at least as much. Kafka shards
 *   the cache and keeps sorted indexes; this one is a single map scanned on creation.
 */
export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private readonly maxSessions: number;
  private readonly evictionMs: number;
  private readonly clock: Clock;
  private readonly newSessionIdFn: () => number;

  constructor(options: FetchSessionCacheOptions = {}) {
    this.maxSessions = options.maxSessions ?? DEFAULT_SESSION_CACHE_SLOTS;
    this.evictionMs = options.evictionMs ?? DEFAULT_SESSION_EVICTION_MS;
    this.clock = options.clock ?? systemClock;
    this.newSessionIdFn = options.newSessionId ?? (() => randomInt(1, INT32_MAX));
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Total partitions cached over all sessions. */
  get partitionCount(): number {
    let total = 0;
    for (const s of this.sessions.values()) total += s.size;
    return total;
  }

  has(sessionId: number): boolean {
    return this.sessions.has(sessionId);
  }

  newContext(request: FetchSessionRequest): FetchContext {
    const usesTopicIds = request.version >= FIRST_VERSION_WITH_TOPIC_IDS;
    const isFull = request.sessionEpoch === INITIAL_EPOCH || request.sessionEpoch === FINAL_EPOCH;
    if (isFull) {
      if (request.sessionId !== INVALID_SESSION_ID) this.sessions.delete(request.sessionId);
      return this.fullContext(request, usesTopicIds, request.sessionEpoch === INITIAL_EPOCH);
    }
    const session = this.sessions.get(request.sessionId);
    if (!session) return errorContext(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    if (session.epoch !== request.sessionEpoch)
      return errorContext(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    if (session.usesTopicIds !== usesTopicIds)
      return errorContext(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    this.updateSession(session, request);
    if (session.size === 0) {
      // Nothing left to cache: the session closes and the request is served without one.
      this.sessions.delete(session.id);
      return this.fullContext(request, usesTopicIds, false);
    }
    this.touch(session, this.clock.now());
    session.epoch = nextSessionEpoch(session.epoch);
    return this.incrementalContext(session, request);
  }

  private updateSession(session: FetchSession, request: FetchSessionRequest): void {
    for (const p of request.partitions) {
      const key = sessionKey(session.usesTopicIds, p);
      const cached = session.partitions.get(key);
      if (cached) {
        cached.fetchOffset = p.fetchOffset;
        cached.currentLeaderEpoch = p.currentLeaderEpoch;
        cached.lastFetchedEpoch = p.lastFetchedEpoch ?? -1;
        cached.fetcherLogStartOffset = p.logStartOffset;
        cached.partitionMaxBytes = p.partitionMaxBytes;
        if (p.topic) cached.topic = p.topic;
      } else {
        session.partitions.set(key, cachePartition(p, -1n, -1n));
      }
    }
    for (const f of request.forgotten)
      session.partitions.delete(sessionKey(session.usesTopicIds, f));
  }

  private fullContext(
    request: FetchSessionRequest,
    usesTopicIds: boolean,
    createSession: boolean,
  ): FetchContext {
    const listed = request.partitions.map((p) => ({
      request: p,
      resolved: resolve(p, request, usesTopicIds),
    }));
    return {
      kind: createSession ? 'full' : 'sessionless',
      errorCode: ErrorCode.NONE,
      partitionsToFetch: listed.flatMap((l) => (l.resolved ? [l.resolved] : [])),
      buildResponse: (results) => {
        const byKey = new Map(results.map((r) => [resultKey(r), r]));
        // Request order; partitions whose topic id is unknown answer UNKNOWN_TOPIC_ID.
        const answered = listed.map((l) => ({
          ...l,
          result: l.resolved ? byKey.get(resultKey(l.resolved)) : unknownTopicIdResult(l.request),
        }));
        let sessionId = INVALID_SESSION_ID;
        if (createSession) {
          sessionId = this.maybeCreateSession(
            request.isFollower,
            usesTopicIds,
            answered.length,
            () =>
              answered.map((a) => {
                const cached = cachePartition(
                  a.resolved ?? a.request,
                  a.result?.highWatermark ?? -1n,
                  a.result?.logStartOffset ?? -1n,
                );
                return [sessionKey(usesTopicIds, a.request), cached] as const;
              }),
          );
        }
        const partitions = answered.flatMap((a) => (a.result ? [a.result] : []));
        return { errorCode: ErrorCode.NONE, sessionId, partitions };
      },
    };
  }

  private incrementalContext(session: FetchSession, request: FetchSessionRequest): FetchContext {
    const resolved: FetchPartitionRequest[] = [];
    const unknown: CachedPartition[] = [];
    for (const cached of session.partitions.values()) {
      const asRequest = toRequest(cached);
      if (session.usesTopicIds) {
        const name =
          cached.topicId !== undefined ? request.topicNameFor?.(cached.topicId) : undefined;
        if (name === undefined) {
          unknown.push(cached);
          continue;
        }
        asRequest.topic = name;
      }
      resolved.push(asRequest);
    }
    return {
      kind: 'incremental',
      errorCode: ErrorCode.NONE,
      partitionsToFetch: resolved,
      buildResponse: (results) => {
        const byKey = new Map(results.map((r) => [sessionKey(session.usesTopicIds, r), r]));
        const partitions: FetchPartitionResult[] = [];
        const toRotate: string[] = [];
        for (const [key, cached] of session.partitions) {
          const result = unknown.includes(cached)
            ? unknownTopicIdResult(toRequest(cached))
            : byKey.get(key);
          if (!result) continue;
          if (mustRespond(cached, result)) {
            partitions.push(result);
            // Partitions that returned data go to the back, so others get their turn first.
            if (result.records.length > 0) toRotate.push(key);
          }
        }
        for (const key of toRotate) {
          const cached = session.partitions.get(key)!;
          session.partitions.delete(key);
          session.partitions.set(key, cached);
        }
        return { errorCode: ErrorCode.NONE, sessionId: session.id, partitions };
      },
    };
  }

  private maybeCreateSession(
    privileged: boolean,
    usesTopicIds: boolean,
    size: number,
    createPartitions: () => (readonly [string, CachedPartition])[],
  ): number {
    const now = this.clock.now();
    if (this.sessions.size >= this.maxSessions && !this.tryEvict(privileged, size, now)) {
      return INVALID_SESSION_ID;
    }
    let id: number;
    do {
      id = this.newSessionIdFn();
    } while (id === INVALID_SESSION_ID || this.sessions.has(id));
    const session = new FetchSession(
      id,
      privileged,
      usesTopicIds,
      now,
      now,
      nextSessionEpoch(INITIAL_EPOCH),
    );
    for (const [key, cached] of createPartitions()) session.partitions.set(key, cached);
    this.sessions.set(id, session);
    this.touch(session, now);
    return id;
  }

  /** Which sessions a newcomer may evict is decided when a session is used, as in Kafka. */
  private touch(session: FetchSession, now: number): void {
    session.lastUsedMs = now;
    const old = now - session.creationMs > this.evictionMs;
    session.evictableByPrivileged = !session.privileged || old;
    session.evictableByAll = old;
  }

  private tryEvict(privileged: boolean, size: number, now: number): boolean {
    let leastRecent: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (!leastRecent || s.lastUsedMs < leastRecent.lastUsedMs) leastRecent = s;
    }
    if (!leastRecent) return false;
    if (now - leastRecent.lastUsedMs > this.evictionMs) {
      this.sessions.delete(leastRecent.id);
      return true;
    }
    let leastValuable: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (!(privileged ? s.evictableByPrivileged : s.evictableByAll)) continue;
      if (!leastValuable || compareEvictable(s, leastValuable) < 0) leastValuable = s;
    }
    if (!leastValuable) return false;
    if (compareEvictable({ privileged, size, id: INVALID_SESSION_ID }, leastValuable) < 0)
      return false;
    this.sessions.delete(leastValuable.id);
    return true;
  }
}

function resolve(
  p: FetchPartitionRequest,
  request: FetchSessionRequest,
  usesTopicIds: boolean,
): FetchPartitionRequest | null {
  if (!usesTopicIds) return p;
  const name = p.topicId !== undefined ? request.topicNameFor?.(p.topicId) : undefined;
  return name === undefined ? null : { ...p, topic: name };
}

function cachePartition(
  p: FetchPartitionRequest,
  highWatermark: bigint,
  localLogStartOffset: bigint,
): CachedPartition {
  return {
    topic: p.topic,
    topicId: p.topicId,
    partition: p.partition,
    fetchOffset: p.fetchOffset,
    currentLeaderEpoch: p.currentLeaderEpoch,
    lastFetchedEpoch: p.lastFetchedEpoch ?? -1,
    fetcherLogStartOffset: p.logStartOffset,
    partitionMaxBytes: p.partitionMaxBytes,
    highWatermark,
    localLogStartOffset,
  };
}

function toRequest(cached: CachedPartition): FetchPartitionRequest {
  return {
    topic: cached.topic,
    topicId: cached.topicId,
    partition: cached.partition,
    fetchOffset: cached.fetchOffset,
    currentLeaderEpoch: cached.currentLeaderEpoch,
    lastFetchedEpoch: cached.lastFetchedEpoch,
    logStartOffset: cached.fetcherLogStartOffset,
    partitionMaxBytes: cached.partitionMaxBytes,
  };
}

/** Kafka's CachedPartition.maybeUpdateResponseData, updating what the fetcher has seen. */
function mustRespond(cached: CachedPartition, result: FetchPartitionResult): boolean {
  let respond = result.records.length > 0;
  if (cached.highWatermark !== result.highWatermark) {
    respond = true;
    cached.highWatermark = result.highWatermark;
  }
  if (cached.localLogStartOffset !== result.logStartOffset) {
    respond = true;
    cached.localLogStartOffset = result.logStartOffset;
  }
  if (result.preferredReadReplica >= 0 || result.divergingEpoch !== null) respond = true;
  if (result.errorCode !== ErrorCode.NONE) {
    // Re-sent once the error clears.
    cached.highWatermark = -1n;
    respond = true;
  }
  return respond;
}

function errorContext(errorCode: number): FetchContext {
  return {
    kind: 'error',
    errorCode,
    partitionsToFetch: [],
    buildResponse: () => ({ errorCode, sessionId: INVALID_SESSION_ID, partitions: [] }),
  };
}

/**
 * Consumer-group coordinator: time to a stable group and OffsetCommit throughput, one JSON
 * line per result, each with a raw baseline measured in the same run and the ratio.
 *
 * One broker child (temp config and data dir, free ports; offsets.topic.replication.factor=1,
 * group.initial.rebalance.delay.ms=0, offsets.topic.num.partitions at its default of 50)
 * serves every phase; topic bench-groups has 10 partitions.
 *
 *  - join-to-stable: 10 wire-level members (one Connection each, protocol type "consumer",
 *    a v0 ConsumerProtocolSubscription as metadata) send JoinGroup concurrently (first with
 *    no member id → MEMBER_ID_REQUIRED → again with the given id); the leader assigns the 10
 *    partitions round-robin and sends SyncGroup, the followers SyncGroup; members whose
 *    SyncGroup succeeded heartbeat every HEARTBEAT_MS and rejoin on REBALANCE_IN_PROGRESS.
 *    Time from the first JoinGroup sent to the SyncGroup response that completes a
 *    generation of 10 members (the group is Stable), over ROUNDS fresh groups (after one
 *    untimed warm-up group). Then each of those Stable groups gets an 11th member: time from
 *    its first JoinGroup to the group Stable again with 11 (the 10 learn of the rebalance
 *    from Heartbeat). Raw baseline: the same round trips (same request and response sizes,
 *    each member's in its order, members concurrently) against echo-server.js, a Node TCP
 *    server that answers each frame at once: what the network alone costs.
 *  - join-to-stable with kafkajs: 10 kafka.consumer({groupId}) in this process, subscribe +
 *    run, time until all 10 had a GROUP_JOIN event of the same 10-member generation.
 *  - offset-commit: CONNECTIONS sockets × IN_FLIGHT pipelined OffsetCommit requests (a simple
 *    group per connection, generation -1; 1 and 10 partitions per request; the offsets
 *    change with every request) for COMMIT_SECONDS after a warm-up: requests/s,
 *    partition-offsets/s, p50/p99 latency. Raw baseline (bench/broker's raw-server.js
 *    append, a child): the same frames through the same connection pattern to a Node TCP
 *    server that appends each frame to a file and acks it; mean of a run before and after.
 *  - broker RSS (VmRSS, VmHWM) and CPU after each phase; a summary against the targets
 *    (stable in < 1 s, ≥ 20,000 commits/s), information only.
 *
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/groups/run.js [--only=join,kafkajs,commit]
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Connection } from '../../src/client/connection.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import type { Encodable } from '../../src/protocol/codec/compile.js';
import {
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type ApiKeyNumber,
} from '../../src/protocol/api.js';
import { partitionForGroup } from '../../src/coordinator/group/group-store.js';
import { ErrorCode, errorInfo } from '../../src/protocol/errors.js';
import {
  ApiKey,
  type RequestsByApiKey,
  type ResponsesByApiKey,
} from '../../src/protocol/messages/generated/index.js';
import {
  RAW_SERVER,
  ROOT,
  connectTo,
  emit,
  makeTempDir,
  measurePhase,
  memoryOf,
  round,
  runBench,
  startBroker,
  startChild,
  stopChild,
  withRawAppendServer,
  type Broker,
} from '../support/processes.js';

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const MEMBERS = 10;
const GROUP_TOPIC = 'bench-groups';
const GROUP_PARTITIONS = 10;
const ROUNDS = env('BENCH_GROUPS_ROUNDS', 10);
/** How often a member whose SyncGroup succeeded heartbeats (how soon it learns of a rebalance). */
const HEARTBEAT_MS = env('BENCH_GROUPS_HEARTBEAT_MS', 10);
const SESSION_TIMEOUT_MS = 30_000;
const REBALANCE_TIMEOUT_MS = 30_000;
const STABLE_TIMEOUT_MS = 30_000;
const COMMIT_SECONDS = env('BENCH_COMMIT_SECONDS', 5);
const COMMIT_WARMUP_SECONDS = env('BENCH_COMMIT_WARMUP_SECONDS', 1);
const CONNECTIONS = env('BENCH_COMMIT_CONNECTIONS', 8);
const IN_FLIGHT = env('BENCH_COMMIT_IN_FLIGHT', 8);
/** The highest OffsetCommit version of the classic protocol (v9 is for KIP-848 groups). */
const OFFSET_COMMIT_MAX_VERSION = 8;
const TARGETS = { stableMs: 1000, commitsPerS: 20_000 };
/** One node holds one replica of everything; groups rebalance without waiting for more. */
const BROKER_PROPS = {
  'offsets.topic.replication.factor': '1',
  'group.initial.rebalance.delay.ms': '0',
};

const ECHO_SERVER = join(dirname(fileURLToPath(import.meta.url)), 'echo-server.js');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
const sortedOf = (values: readonly number[]): Float64Array => Float64Array.from(values).sort();

// ---------------------------------------------------------------------------------------
// broker

/** Bytes of every `__consumer_offsets` segment file. */
async function offsetsLogBytes(broker: Broker): Promise<number> {
  let bytes = 0;
  for (const d of await readdir(broker.logDir)) {
    if (!/^__consumer_offsets-\d+$/.test(d)) continue;
    for (const f of await readdir(join(broker.logDir, d))) {
      if (f.endsWith('.log')) bytes += (await stat(join(broker.logDir, d, f))).size;
    }
  }
  return bytes;
}

function connectionTo(broker: Broker, clientId: string): Promise<Connection> {
  return Connection.connect({ host: broker.host, port: broker.port, clientId });
}

/** FindCoordinator for the groups (creates and loads `__consumer_offsets` the first time). */
async function findCoordinators(
  connection: Connection,
  groupIds: readonly string[],
): Promise<void> {
  const version = connection.versionFor(ApiKey.FindCoordinator);
  if (version < 4) throw new Error(`FindCoordinator v${version}: batched lookups need v4+`);
  const response = await connection.send(ApiKey.FindCoordinator, version, {
    keyType: 0,
    coordinatorKeys: [...groupIds],
  });
  for (const c of response.coordinators) {
    if (c.errorCode !== ErrorCode.NONE) {
      throw new Error(`FindCoordinator ${c.key}: ${errorInfo(c.errorCode).name}`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// the consumer protocol's embedded bytes (v0), written by hand as a client would

/** ConsumerProtocolSubscription v0: int16 version, [topic], null user data. */
function subscriptionV0(topics: readonly string[]): Buffer {
  const names = topics.map((t) => Buffer.from(t, 'utf8'));
  const out = Buffer.alloc(2 + 4 + names.reduce((n, b) => n + 2 + b.length, 0) + 4);
  let at = out.writeInt16BE(0, 0);
  at = out.writeInt32BE(names.length, at);
  for (const name of names) {
    at = out.writeInt16BE(name.length, at);
    at += name.copy(out, at);
  }
  out.writeInt32BE(-1, at);
  return out;
}

/** ConsumerProtocolAssignment v0 of one topic: int16 version, [topic, [partition]], null user data. */
function assignmentV0(topic: string, partitions: readonly number[]): Buffer {
  const name = Buffer.from(topic, 'utf8');
  const out = Buffer.alloc(2 + 4 + 2 + name.length + 4 + 4 * partitions.length + 4);
  let at = out.writeInt16BE(0, 0);
  at = out.writeInt32BE(1, at);
  at = out.writeInt16BE(name.length, at);
  at += name.copy(out, at);
  at = out.writeInt32BE(partitions.length, at);
  for (const p of partitions) at = out.writeInt32BE(p, at);
  out.writeInt32BE(-1, at);
  return out;
}

/** The partitions of a v0+ assignment (fields after the user data are ignored). */
function assignedPartitions(bytes: Buffer): number[] {
  if (bytes.length === 0) return [];
  let at = 2;
  const partitions: number[] = [];
  const topics = bytes.readInt32BE(at);
  at += 4;
  for (let t = 0; t < topics; t++) {
    at += 2 + bytes.readInt16BE(at);
    const count = bytes.readInt32BE(at);
    at += 4;
    for (let i = 0; i < count; i++, at += 4) partitions.push(bytes.readInt32BE(at));
  }
  return partitions;
}

/** Round-robin over members sorted by id, as Kafka's RoundRobinAssignor does for one topic. */
function roundRobin(
  memberIds: readonly string[],
  topic: string,
  partitions: number,
): { memberId: string; assignment: Buffer }[] {
  const sorted = [...memberIds].sort();
  const owned = new Map<string, number[]>(sorted.map((id) => [id, []]));
  for (let p = 0; p < partitions; p++) owned.get(sorted[p % sorted.length])!.push(p);
  return sorted.map((memberId) => ({
    memberId,
    assignment: assignmentV0(topic, owned.get(memberId)!),
  }));
}

// ---------------------------------------------------------------------------------------
// wire-level group members

/** One request/response of a member, kept to replay its sizes against the echo server. */
interface Trip {
  apiKey: ApiKeyNumber;
  version: number;
  request: unknown;
  response: unknown;
  sentAt: number;
  receivedAt: number;
}

class WireMember {
  memberId = '';
  /** The generation of the member's last successful SyncGroup (-1: none). */
  syncedGeneration = -1;
  generationId = -1;
  assignment: number[] = [];
  heartbeats = 0;
  trips: Trip[] = [];
  private readonly versions: Map<number, number>;

  constructor(readonly connection: Connection) {
    this.versions = new Map(
      [ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup].map((k) => [
        k,
        connection.versionFor(k),
      ]),
    );
    if (this.versions.get(ApiKey.JoinGroup)! < 5) throw new Error('JoinGroup v5+ needed');
  }

  reset(): void {
    this.memberId = '';
    this.syncedGeneration = -1;
    this.generationId = -1;
    this.assignment = [];
    this.heartbeats = 0;
    this.trips = [];
  }

  async call<K extends ApiKeyNumber>(
    apiKey: K,
    body: Encodable<RequestsByApiKey[K]>,
  ): Promise<ResponsesByApiKey[K]> {
    const version = this.versions.get(apiKey)!;
    const sentAt = performance.now();
    const response = await this.connection.send(apiKey, version, body);
    this.trips.push({
      apiKey,
      version,
      request: body,
      response,
      sentAt,
      receivedAt: performance.now(),
    });
    return response;
  }
}

class GroupFailure extends Error {}

const kafkaErrorName = (code: number): string => errorInfo(code).name;

/**
 * A group of wire-level members, each running a consumer's join/sync/heartbeat loop, and
 * the moment the group reaches a Stable generation with the expected number of members.
 */
class GroupSession {
  readonly members: WireMember[] = [];
  private readonly loops: Promise<void>[] = [];
  /** Generation → member count in the leader's JoinGroup response. */
  private readonly leaderCounts = new Map<number, number>();
  private expected = 0;
  private waiter: { resolve(at: number): void; reject(err: Error): void } | null = null;
  private stopped = false;
  private readonly subscription = subscriptionV0([GROUP_TOPIC]);

  constructor(readonly groupId: string) {}

  /** Starts the members' loops; resolves with the time the group is Stable with `expected` members. */
  add(members: readonly WireMember[], expected: number): Promise<number> {
    this.expected = expected;
    const stable = new Promise<number>((resolveStable, reject) => {
      const timer = setTimeout(
        () => reject(new GroupFailure(`${this.groupId}: not stable with ${expected} in time`)),
        STABLE_TIMEOUT_MS,
      );
      this.waiter = {
        resolve: (at) => {
          clearTimeout(timer);
          resolveStable(at);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
    for (const m of members) {
      this.members.push(m);
      this.loops.push(
        this.run(m).catch((err: unknown) => {
          if (!this.stopped)
            this.waiter?.reject(err instanceof Error ? err : new Error(String(err)));
        }),
      );
    }
    return stable;
  }

  /** The generation of the first member's last successful SyncGroup. */
  get generation(): number {
    return this.members[0]?.syncedGeneration ?? -1;
  }

  private check(now: number): void {
    if (this.waiter === null || this.members.length !== this.expected) return;
    const g = this.members[0].syncedGeneration;
    if (g < 0 || this.members.some((m) => m.syncedGeneration !== g)) return;
    if (this.leaderCounts.get(g) !== this.expected) return;
    const assigned = this.members.flatMap((m) => m.assignment).sort((a, b) => a - b);
    if (assigned.length !== GROUP_PARTITIONS || assigned.some((p, i) => p !== i)) {
      this.waiter.reject(new GroupFailure(`${this.groupId}: bad assignment ${assigned.join(',')}`));
      return;
    }
    const waiter = this.waiter;
    this.waiter = null;
    waiter.resolve(now);
  }

  private async run(m: WireMember): Promise<void> {
    while (!this.stopped) {
      const join = await m.call(ApiKey.JoinGroup, {
        groupId: this.groupId,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        memberId: m.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'roundrobin', metadata: this.subscription }],
        reason: null,
      });
      if (this.stopped) return;
      if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        m.memberId = join.memberId;
        continue;
      }
      if (join.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        m.memberId = '';
        continue;
      }
      if (join.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (join.errorCode !== ErrorCode.NONE) {
        throw new GroupFailure(`JoinGroup ${this.groupId}: ${kafkaErrorName(join.errorCode)}`);
      }
      m.memberId = join.memberId;
      m.generationId = join.generationId;
      const isLeader = join.leader === join.memberId;
      if (isLeader) this.leaderCounts.set(join.generationId, join.members.length);
      const sync = await m.call(ApiKey.SyncGroup, {
        groupId: this.groupId,
        generationId: join.generationId,
        memberId: m.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: join.protocolName,
        assignments: isLeader
          ? roundRobin(
              join.members.map((x) => x.memberId),
              GROUP_TOPIC,
              GROUP_PARTITIONS,
            )
          : [],
      });
      if (this.stopped) return;
      if (
        sync.errorCode === ErrorCode.REBALANCE_IN_PROGRESS ||
        sync.errorCode === ErrorCode.ILLEGAL_GENERATION
      ) {
        continue;
      }
      if (sync.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        m.memberId = '';
        continue;
      }
      if (sync.errorCode !== ErrorCode.NONE) {
        throw new GroupFailure(`SyncGroup ${this.groupId}: ${kafkaErrorName(sync.errorCode)}`);
      }
      m.assignment = assignedPartitions(sync.assignment);
      m.syncedGeneration = join.generationId;
      this.check(performance.now());
      // Stable for this member: heartbeat until the coordinator asks for a rejoin.
      for (;;) {
        await sleep(HEARTBEAT_MS);
        if (this.stopped) return;
        const hb = await m.call(ApiKey.Heartbeat, {
          groupId: this.groupId,
          generationId: m.generationId,
          memberId: m.memberId,
          groupInstanceId: null,
        });
        m.heartbeats++;
        if (this.stopped || hb.errorCode === ErrorCode.NONE) continue;
        if (hb.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) m.memberId = '';
        else if (
          hb.errorCode !== ErrorCode.REBALANCE_IN_PROGRESS &&
          hb.errorCode !== ErrorCode.ILLEGAL_GENERATION
        ) {
          throw new GroupFailure(`Heartbeat ${this.groupId}: ${kafkaErrorName(hb.errorCode)}`);
        }
        break;
      }
    }
  }

  /** Stops the loops and has every member leave (one LeaveGroup v3+ for all). */
  async close(): Promise<void> {
    this.stopped = true;
    await Promise.race([Promise.all(this.loops), sleep(HEARTBEAT_MS + 2000)]);
    const known = this.members.filter((m) => m.memberId !== '');
    if (known.length === 0) return;
    const response = await this.members[0].connection.send(
      ApiKey.LeaveGroup,
      this.members[0].connection.versionFor(ApiKey.LeaveGroup, undefined, 3),
      {
        groupId: this.groupId,
        members: known.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: null,
          reason: 'bench',
        })),
      },
    );
    if (response.errorCode !== ErrorCode.NONE) {
      throw new GroupFailure(`LeaveGroup ${this.groupId}: ${kafkaErrorName(response.errorCode)}`);
    }
  }
}

/** Request and response frame sizes (size prefix included) of the trips inside [from, to]. */
function tripSizes(member: WireMember, from: number, to: number): [number, number][] {
  return member.trips
    .filter((t) => t.sentAt >= from && t.receivedAt <= to)
    .map((t) => {
      const request = encodeRequest(
        t.apiKey,
        t.version,
        1,
        member.connection.clientId,
        t.request as never,
      );
      const response = encodeResponse(t.apiKey, t.version, 1, t.response as never);
      const size = (bufs: Buffer[]): number => bufs.reduce((n, b) => n + b.length, 0);
      return [size(request), size(response)];
    });
}

interface JoinRound {
  ms: number;
  generations: number;
  roundTrips: number;
  heartbeats: number;
  /** Per member: [request bytes, response bytes] of each round trip, in order. */
  sizes: [number, number][][];
}

function summarizeTrips(members: readonly WireMember[], t0: number, t1: number, gen0: number) {
  const sizes = members.map((m) => tripSizes(m, t0, t1));
  return {
    ms: t1 - t0,
    generations: members[0].syncedGeneration - gen0,
    roundTrips: sizes.reduce((n, s) => n + s.length, 0),
    heartbeats: members.reduce(
      (n, m) =>
        n +
        m.trips.filter((t) => t.apiKey === ApiKey.Heartbeat && t.sentAt >= t0 && t.receivedAt <= t1)
          .length,
      0,
    ),
    sizes,
  };
}

/** One fresh group: 10 members to Stable, then an 11th member and Stable again. */
async function joinRound(
  pool: readonly WireMember[],
  groupId: string,
): Promise<{ formation: JoinRound; rebalance: JoinRound }> {
  for (const m of pool) m.reset();
  await findCoordinators(pool[0].connection, [groupId]);
  const session = new GroupSession(groupId);
  const first = pool.slice(0, MEMBERS);
  try {
    const t0 = performance.now();
    const t1 = await session.add(first, MEMBERS);
    const formation = summarizeTrips(first, t0, t1, 0);
    const gen0 = session.generation;
    await sleep(2 * HEARTBEAT_MS); // a Stable group, heartbeating
    const t2 = performance.now();
    const t3 = await session.add([pool[MEMBERS]], MEMBERS + 1);
    const rebalance = summarizeTrips(pool, t2, t3, gen0);
    return { formation, rebalance };
  } finally {
    await session.close();
  }
}

// ---------------------------------------------------------------------------------------
// network-only baseline: replay the round trips against the echo server

class ReplaySocket {
  private waiting: { bytes: number; resolve(): void } | null = null;
  private received = 0;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      const w = this.waiting;
      if (w && this.received >= w.bytes) {
        this.received -= w.bytes;
        this.waiting = null;
        w.resolve();
      }
    });
  }

  roundTrip(requestBytes: number, responseBytes: number): Promise<void> {
    const frame = Buffer.alloc(Math.max(8, requestBytes));
    frame.writeInt32BE(frame.length - 4, 0);
    frame.writeInt32BE(responseBytes, 4);
    return new Promise((resolveTrip) => {
      this.waiting = { bytes: Math.max(4, responseBytes), resolve: resolveTrip };
      this.socket.write(frame);
    });
  }
}

/** Each round replayed: members concurrently, each member's round trips one after another. */
async function echoReplay(rounds: readonly JoinRound[]): Promise<number[]> {
  const { child, match } = await startChild('node', [ECHO_SERVER], /listening (\d+)/);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i <= MEMBERS; i++) sockets.push(await connectTo(Number(match[1])));
    const replay = sockets.map((s) => new ReplaySocket(s));
    const times: number[] = [];
    for (const r of rounds) {
      const t0 = performance.now();
      await Promise.all(
        r.sizes.map(async (trips, i) => {
          for (const [req, res] of trips) await replay[i].roundTrip(req, res);
        }),
      );
      times.push(performance.now() - t0);
    }
    return times;
  } finally {
    for (const s of sockets) s.destroy();
    await stopChild(child);
  }
}

async function joinBench(broker: Broker): Promise<Record<string, unknown>[]> {
  const pool = await Promise.all(
    Array.from(
      { length: MEMBERS + 1 },
      async (_, i) => new WireMember(await connectionTo(broker, `bench-member-${i}`)),
    ),
  );
  try {
    const warmup = await joinRound(pool, 'bench-join-warmup');
    const [rounds, stats] = await measurePhase(broker, async () => {
      const out: { formation: JoinRound; rebalance: JoinRound }[] = [];
      for (let i = 0; i < ROUNDS; i++) out.push(await joinRound(pool, `bench-join-${i}`));
      return out;
    });
    const formation = rounds.map((r) => r.formation);
    const rebalance = rounds.map((r) => r.rebalance);
    const rawFormation = await echoReplay(formation);
    const rawRebalance = await echoReplay(rebalance);
    const line = (
      bench: string,
      what: string,
      members: number,
      list: JoinRound[],
      raw: number[],
      extra: Record<string, unknown>,
    ): Record<string, unknown> => {
      const ms = sortedOf(list.map((r) => r.ms));
      const rawMs = sortedOf(raw);
      const p50 = percentile(ms, 0.5);
      const rawP50 = percentile(rawMs, 0.5);
      return {
        bench,
        what,
        members,
        rounds: list.length,
        p50_ms: round(p50, 2),
        max_ms: round(ms.at(-1) ?? NaN, 2),
        min_ms: round(ms[0] ?? NaN, 2),
        all_ms: list.map((r) => round(r.ms, 1)),
        generations_per_round: list.map((r) => r.generations),
        round_trips_p50: percentile(sortedOf(list.map((r) => r.roundTrips)), 0.5),
        heartbeats_p50: percentile(sortedOf(list.map((r) => r.heartbeats)), 0.5),
        heartbeat_interval_ms: HEARTBEAT_MS,
        raw_p50_ms: round(rawP50, 2),
        raw_max_ms: round(rawMs.at(-1) ?? NaN, 2),
        raw_note:
          'the same round trips (request and response sizes) per member, in order, members concurrently, against a Node TCP server answering each frame at once',
        ratio: round(p50 / rawP50, 2),
        ratio_basis: 'p50 / raw p50 (time: lower is better)',
        ...extra,
        ...stats,
      };
    };
    const p50 = percentile(sortedOf(formation.map((r) => r.ms)), 0.5);
    return [
      line(
        'join-to-stable',
        'wire-level members (src/client/connection.ts)',
        MEMBERS,
        formation,
        rawFormation,
        {
          warmup_round_ms: round(warmup.formation.ms, 2),
          target_ms: TARGETS.stableMs,
          pass: p50 < TARGETS.stableMs,
          max_under_target: formation.every((r) => r.ms < TARGETS.stableMs),
          note: 'first JoinGroup sent → last SyncGroup response of a 10-member generation; initial delay 0',
        },
      ),
      line(
        'rebalance-11th-member',
        'wire-level members: a Stable group of 10 gets an 11th',
        MEMBERS + 1,
        rebalance,
        rawRebalance,
        {
          warmup_round_ms: round(warmup.rebalance.ms, 2),
          note: `11th member's first JoinGroup → last SyncGroup response of the 11-member generation; the 10 learn of it from Heartbeat every ${HEARTBEAT_MS} ms`,
        },
      ),
    ];
  } finally {
    for (const m of pool) m.connection.close();
  }
}

// ---------------------------------------------------------------------------------------
// kafkajs

async function kafkajsBench(broker: Broker): Promise<Record<string, unknown>> {
  const groupId = 'bench-kafkajs';
  const kafka = new Kafka({
    clientId: 'bench-kafkajs',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const consumers = Array.from({ length: MEMBERS }, () =>
    kafka.consumer({ groupId, maxWaitTimeInMs: 100 }),
  );
  const latest = new Map<number, { partitions: number[]; leaderId: string; duration: number }>();
  let joins = 0;
  let crashed: string | null = null;
  try {
    await Promise.all(consumers.map((c) => c.connect()));
    await Promise.all(consumers.map((c) => c.subscribe({ topics: [GROUP_TOPIC] })));
    let resolveDone!: (at: number) => void;
    const done = new Promise<number>((r) => (resolveDone = r));
    consumers.forEach((c, i) => {
      c.on(c.events.GROUP_JOIN, (event) => {
        joins++;
        latest.set(i, {
          partitions: event.payload.memberAssignment[GROUP_TOPIC] ?? [],
          leaderId: event.payload.leaderId,
          duration: event.payload.duration,
        });
        const all = [...latest.values()];
        const partitions = all.flatMap((x) => x.partitions);
        if (
          all.length === MEMBERS &&
          all.every((x) => x.partitions.length === 1 && x.leaderId === all[0].leaderId) &&
          new Set(partitions).size === GROUP_PARTITIONS
        ) {
          resolveDone(performance.now());
        }
      });
      c.on(c.events.CRASH, (event) => (crashed = String(event.payload.error)));
    });
    const [result, stats] = await measurePhase(broker, async () => {
      const t0 = performance.now();
      for (const c of consumers) void c.run({ eachMessage: async () => {} }).catch(() => {});
      const t1 = await Promise.race([done, sleep(STABLE_TIMEOUT_MS).then(() => NaN)]);
      return { ms: t1 - t0 };
    });
    return {
      bench: 'join-to-stable',
      what: 'kafkajs consumers (kafka.consumer + subscribe + run, in this process)',
      members: MEMBERS,
      ms: round(result.ms, 1),
      group_join_events: joins,
      reported_join_durations_ms: [...latest.values()].map((x) => x.duration),
      crashed,
      target_ms: TARGETS.stableMs,
      pass: result.ms < TARGETS.stableMs,
      note: 'run() called on all 10 → every consumer had a GROUP_JOIN of the same 10-member generation (one partition each); includes FindCoordinator, and a rebalance the default heartbeat (3 s) must notice if a member missed the first generation',
      ...stats,
    };
  } finally {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
  }
}

// ---------------------------------------------------------------------------------------
// OffsetCommit throughput

interface CommitTemplate {
  frame: Buffer;
  /** Byte positions of the committed offsets (int64) in the frame. */
  offsetPositions: number[];
}

/** One OffsetCommit frame per connection (its own simple group), with sentinel offsets located. */
function commitTemplates(
  version: number,
  groupIds: readonly string[],
  partitionsPerRequest: number,
): CommitTemplate[] {
  const sentinel = (j: number): bigint => 0x7e5a_3c00_0000_0000n + BigInt(j);
  return groupIds.map((groupId, i) => {
    const partitions = Array.from(
      { length: partitionsPerRequest },
      (_, j) => (i + j) % GROUP_PARTITIONS,
    );
    const bufs = encodeRequest(ApiKey.OffsetCommit, version, 0, 'bench-commit', {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: GROUP_TOPIC,
          partitions: partitions.map((p, j) => ({
            partitionIndex: p,
            committedOffset: sentinel(j),
            committedLeaderEpoch: -1,
            committedMetadata: '',
          })),
        },
      ],
    });
    const frame = Buffer.concat(bufs);
    const offsetPositions = partitions.map((_, j) => {
      const needle = Buffer.alloc(8);
      needle.writeBigInt64BE(sentinel(j));
      const at = frame.indexOf(needle);
      if (at < 0) throw new Error('offset not found in the OffsetCommit frame');
      return at;
    });
    return { frame, offsetPositions };
  });
}

interface PipelineResult {
  requests: number;
  seconds: number;
  latencies: Float64Array;
  errors: number;
  firstError: string | null;
  clientCpuS: number;
}

/**
 * CONNECTIONS sockets, IN_FLIGHT requests outstanding on each, for warm-up + COMMIT_SECONDS:
 * every response sends the next request (a fresh copy of the connection's template with a
 * new correlation id and new offsets). Responses are Kafka frames (each checked by `check`,
 * which returns an error description or null) or, for the raw server, 4-byte acks.
 */
async function pipelined(
  port: number,
  templates: readonly CommitTemplate[],
  check: ((frame: Buffer) => string | null) | null,
): Promise<PipelineResult> {
  const sockets = await Promise.all(templates.map(() => connectTo(port)));
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let seq = 0;
  const t0 = performance.now();
  const measureFrom = t0 + COMMIT_WARMUP_SECONDS * 1000;
  const measureTo = measureFrom + COMMIT_SECONDS * 1000;
  let cpu0: NodeJS.CpuUsage | null = null;
  let cpu: NodeJS.CpuUsage | null = null;
  const cpuTimer = setTimeout(() => (cpu0 = process.cpuUsage()), measureFrom - t0);
  const cpuEnd = setTimeout(() => (cpu = process.cpuUsage(cpu0 ?? undefined)), measureTo - t0);
  try {
    await Promise.all(
      sockets.map(
        (socket, i) =>
          new Promise<void>((done, fail) => {
            const template = templates[i];
            const sentAt: number[] = [];
            let head = 0;
            let inflight = 0;
            let finished = false;
            const send = (): void => {
              const frame = Buffer.from(template.frame);
              const n = seq++;
              frame.writeInt32BE(n & 0x7fffffff, 8);
              for (const at of template.offsetPositions) {
                frame.writeUInt32BE(0, at);
                frame.writeUInt32BE(n >>> 0, at + 4);
              }
              sentAt.push(performance.now());
              inflight++;
              socket.write(frame);
            };
            const onResponse = (frame: Buffer | null): void => {
              const now = performance.now();
              const latency = now - sentAt[head++];
              if (head > 1024) {
                sentAt.splice(0, head);
                head = 0;
              }
              inflight--;
              if (now >= measureFrom && now <= measureTo) latencies.push(latency);
              if (frame !== null && check !== null) {
                const error = check(frame);
                if (error !== null) {
                  errors++;
                  firstError ??= error;
                }
              }
              if (now < measureTo) send();
              else if (inflight === 0 && !finished) {
                finished = true;
                done();
              }
            };
            // Kafka responses: size-prefixed frames; raw server: 4-byte acks.
            let pending: Buffer = Buffer.alloc(0);
            let ackBytes = 0;
            socket.on('data', (chunk: Buffer) => {
              if (check === null) {
                ackBytes += chunk.length;
                for (; ackBytes >= 4; ackBytes -= 4) onResponse(null);
                return;
              }
              pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
              let at = 0;
              while (pending.length - at >= 4) {
                const size = pending.readInt32BE(at);
                if (pending.length - at < 4 + size) break;
                onResponse(pending.subarray(at + 4, at + 4 + size));
                at += 4 + size;
              }
              pending = at === pending.length ? Buffer.alloc(0) : pending.subarray(at);
            });
            socket.once('error', fail);
            socket.once('close', () => {
              if (!finished) fail(new Error('connection closed during the OffsetCommit run'));
            });
            for (let k = 0; k < IN_FLIGHT; k++) send();
          }),
      ),
    );
  } finally {
    clearTimeout(cpuTimer);
    clearTimeout(cpuEnd);
    for (const s of sockets) s.destroy();
  }
  const used = (cpu ?? process.cpuUsage(cpu0 ?? undefined)) as NodeJS.CpuUsage;
  return {
    requests: latencies.length,
    seconds: COMMIT_SECONDS,
    latencies: sortedOf(latencies),
    errors,
    firstError,
    clientCpuS: (used.user + used.system) / 1e6,
  };
}

async function rawCommitRun(dir: string, templates: readonly CommitTemplate[]): Promise<RawCommit> {
  const [r, serverCpuS] = await withRawAppendServer(join(dir, 'raw-commit.bin'), (port) =>
    pipelined(port, templates, null),
  );
  return { ...r, serverCpuS };
}

type RawCommit = PipelineResult & { serverCpuS: number };

/**
 * CONNECTIONS group ids named `prefix-N`: consecutive N (spread over `__consumer_offsets`
 * partitions by their hash), or, with `onePartition`, only those N whose group maps to the
 * same partition as `prefix-0` (so the log's group commit can gather their appends).
 */
function commitGroupIds(
  prefix: string,
  offsetsPartitions: number,
  onePartition: boolean,
): string[] {
  const ids: string[] = [];
  const target = partitionForGroup(`${prefix}-0`, offsetsPartitions);
  for (let n = 0; ids.length < CONNECTIONS; n++) {
    const id = `${prefix}-${n}`;
    if (!onePartition || partitionForGroup(id, offsetsPartitions) === target) ids.push(id);
  }
  return ids;
}

async function commitBench(
  broker: Broker,
  dir: string,
  options: {
    partitionsPerRequest: number;
    offsetsPartitions: number;
    onePartition?: boolean;
    /** Raw runs to reuse (same frame sizes and pattern) instead of measuring again. */
    raw?: { before: RawCommit; after: RawCommit };
  },
): Promise<{ line: Record<string, unknown>; raw: { before: RawCommit; after: RawCommit } }> {
  const { partitionsPerRequest, onePartition = false } = options;
  const probe = await connectionTo(broker, 'bench-commit-setup');
  const version = probe.versionFor(ApiKey.OffsetCommit, OFFSET_COMMIT_MAX_VERSION);
  const prefix = `bench-commit-${partitionsPerRequest}p${onePartition ? '-same' : ''}`;
  const groupIds = commitGroupIds(prefix, options.offsetsPartitions, onePartition);
  try {
    await findCoordinators(probe, groupIds);
  } finally {
    probe.close();
  }
  const templates = commitTemplates(version, groupIds, partitionsPerRequest);
  const check = (frame: Buffer): string | null => {
    const body = decodeResponse(ApiKey.OffsetCommit, version, frame).body;
    for (const t of body.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE)
          return `${t.name}-${p.partitionIndex}: ${kafkaErrorName(p.errorCode)}`;
      }
    }
    return null;
  };
  const rawBefore = options.raw?.before ?? (await rawCommitRun(dir, templates));
  const logBytes0 = await offsetsLogBytes(broker);
  const [measured, stats] = await measurePhase(broker, () =>
    pipelined(broker.port, templates, check),
  );
  const logBytes1 = await offsetsLogBytes(broker);
  const rawAfter = options.raw?.after ?? (await rawCommitRun(dir, templates));
  const offsetsPartitionsUsed = new Set(
    groupIds.map((id) => partitionForGroup(id, options.offsetsPartitions)),
  ).size;
  const perS = (r: PipelineResult): number => r.requests / r.seconds;
  const rawPerS = (perS(rawBefore) + perS(rawAfter)) / 2;
  const requestsPerS = perS(measured);
  const commitsPerS = requestsPerS * partitionsPerRequest;
  const line = {
    bench: 'offset-commit',
    partitions_per_request: partitionsPerRequest,
    api_version: version,
    groups: `${CONNECTIONS} simple groups (one per connection), generation -1`,
    offsets_topic_partitions_used: offsetsPartitionsUsed,
    connections: CONNECTIONS,
    in_flight_per_connection: IN_FLIGHT,
    request_bytes: templates[0].frame.length,
    seconds: measured.seconds,
    requests: measured.requests,
    requests_per_s: round(requestsPerS, 0),
    partition_offsets_per_s: round(commitsPerS, 0),
    p50_ms: round(percentile(measured.latencies, 0.5), 2),
    p99_ms: round(percentile(measured.latencies, 0.99), 2),
    max_ms: round(measured.latencies.at(-1) ?? NaN, 2),
    errors: measured.errors,
    first_error: measured.firstError,
    offsets_log_bytes_per_request: round(
      (logBytes1 - logBytes0) / Math.max(1, measured.requests),
      0,
    ),
    raw_requests_per_s: round(rawPerS, 0),
    raw_before_after_requests_per_s: [round(perS(rawBefore), 0), round(perS(rawAfter), 0)],
    raw_p50_ms: round(percentile(rawBefore.latencies, 0.5), 2),
    raw_p99_ms: round(percentile(rawBefore.latencies, 0.99), 2),
    raw_note: `raw append server (bench/broker/raw-server.js): the same frames, connections and pipelining, each frame appended to a file with FileHandle.write and acked with 4 bytes; server cpu ${round(rawBefore.serverCpuS, 2)}/${round(rawAfter.serverCpuS, 2)} s, client cpu ${round(rawBefore.clientCpuS, 2)}/${round(rawAfter.clientCpuS, 2)} s${options.raw ? '; the runs of the spread variant, reused (same frame sizes and pattern)' : ''}`,
    ratio: round(requestsPerS / rawPerS, 3),
    ratio_basis: 'requests/s over raw requests/s (mean of a run before and after)',
    target_commits_per_s: TARGETS.commitsPerS,
    pass: commitsPerS >= TARGETS.commitsPerS && measured.errors === 0,
    client_cpu_s: round(measured.clientCpuS, 2),
    ...stats,
  };
  return { line, raw: { before: rawBefore, after: rawAfter } };
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  for (const f of [join(ROOT, 'dist/src/cli/broker.js'), RAW_SERVER, ECHO_SERVER]) {
    if (!existsSync(f))
      throw new Error(`${f} missing; build first: npx tsc -p tsconfig.build.json`);
  }
  const onlyArg = process.argv.find((a) => a.startsWith('--only='));
  const only = new Set(
    onlyArg ? onlyArg.slice('--only='.length).split(',') : ['join', 'kafkajs', 'commit'],
  );
  const startedAt = performance.now();
  const dir = await makeTempDir('bench-groups-');
  await mkdir(join(dir, 'raw'), { recursive: true });
  const broker = await startBroker(dir, BROKER_PROPS);
  const admin = new KafkaClient({ bootstrapServers: broker.bootstrap, clientId: 'bench-admin' });
  try {
    await admin.createTopics([
      { name: GROUP_TOPIC, numPartitions: GROUP_PARTITIONS, replicationFactor: 1 },
    ]);
  } finally {
    await admin.close();
  }
  const setupConnection = await connectionTo(broker, 'bench-setup');
  try {
    await findCoordinators(setupConnection, ['bench-setup']);
  } finally {
    setupConnection.close();
  }
  const offsetsPartitions = (await readdir(broker.logDir)).filter((d) =>
    /^__consumer_offsets-\d+$/.test(d),
  ).length;
  emit({
    bench: 'setup',
    cpus: cpus().length,
    note: 'broker, load generator and raw baselines all share these cores',
    node: process.version,
    broker_pid: broker.pid,
    offsets_topic_partitions: offsetsPartitions,
    ...(await memoryOf(broker.pid)),
  });

  const results: Record<string, unknown>[] = [];
  const record = (line: Record<string, unknown>): void => {
    results.push(line);
    emit(line);
  };
  if (only.has('join')) for (const line of await joinBench(broker)) record(line);
  if (only.has('kafkajs')) record(await kafkajsBench(broker));
  if (only.has('commit')) {
    const raw = join(dir, 'raw');
    const spread = await commitBench(broker, raw, { partitionsPerRequest: 1, offsetsPartitions });
    record(spread.line);
    record((await commitBench(broker, raw, { partitionsPerRequest: 10, offsetsPartitions })).line);
    const same = await commitBench(broker, raw, {
      partitionsPerRequest: 1,
      offsetsPartitions,
      onePartition: true,
      raw: spread.raw,
    });
    record(same.line);
  }

  const mem = await memoryOf(broker.pid);
  await stopChild(broker.child);
  const verdict = (ok: unknown): string => (ok ? 'PASS' : 'FAIL');
  emit({
    bench: 'summary',
    join_to_stable: results
      .filter((r) => r.bench === 'join-to-stable')
      .map(
        (r) =>
          `${r.what}: ${r.p50_ms !== undefined ? `p50 ${r.p50_ms} ms, max ${r.max_ms} ms` : `${r.ms} ms`} ${verdict(r.pass)} (< ${TARGETS.stableMs} ms)`,
      ),
    rebalance: results
      .filter((r) => r.bench === 'rebalance-11th-member')
      .map((r) => `11th member: p50 ${r.p50_ms} ms, max ${r.max_ms} ms (no target)`),
    offset_commit: results
      .filter((r) => r.bench === 'offset-commit')
      .map(
        (r) =>
          `${r.partitions_per_request} partition(s)/request, groups on ${r.offsets_topic_partitions_used} __consumer_offsets partition(s): ${r.requests_per_s} requests/s, ${r.partition_offsets_per_s} offsets/s, ratio ${r.ratio} ${verdict(r.pass)} (≥ ${TARGETS.commitsPerS} commits/s)`,
      ),
    broker_rss_mib: mem.rss_mib,
    broker_hwm_mib: mem.hwm_mib,
    runtime_s: round((performance.now() - startedAt) / 1000, 1),
    note: 'information only; never fails the run',
  });
}

await runBench(main);

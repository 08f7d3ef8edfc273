/**
 * kafkajs group members for the consumer-group integration tests: members running in the
 * test process (recording their joins, heartbeats and messages), and a wait for the group
 * to be Stable with a given membership, checked from both sides: DescribeGroups (state,
 * members, decoded assignments) and what every member was told in its own SyncGroup.
 */
import {
  AssignerProtocol,
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type EachMessagePayload,
} from 'kafkajs';
import type { KafkajsMemberProcess } from './kafkajs-member-process.js';

export interface MemberJoin {
  memberId: string;
  leaderId: string;
  isLeader: boolean;
  /** topic → partitions, sorted. */
  assignment: Record<string, number[]>;
}

export interface ConsumedMessage {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string | null;
}

export interface MemberOptions {
  brokers: string[];
  groupId: string;
  topic: string;
  clientId: string;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  /** Called after the message is recorded, before eachMessage returns (e.g. to commit). */
  onMessage?: (consumer: Consumer, payload: EachMessagePayload) => Promise<void>;
}

export interface InProcessMember {
  readonly clientId: string;
  readonly consumer: Consumer;
  readonly joins: MemberJoin[];
  /** Generation of every heartbeat sent, in order. */
  readonly generations: number[];
  readonly messages: ConsumedMessage[];
  /** Consumer crashes kafkajs did not recover from. */
  readonly crashes: string[];
  lastJoin(): MemberJoin | undefined;
  /** Leaves the group and disconnects; does nothing the second time. */
  stop(): Promise<void>;
}

export function sortedAssignment(assignment: Record<string, number[]>): Record<string, number[]> {
  return Object.fromEntries(
    Object.entries(assignment)
      .filter(([, partitions]) => partitions.length > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([topic, partitions]) => [topic, [...partitions].sort((x, y) => x - y)]),
  );
}

/** A kafkajs consumer (its own client id) subscribed from the beginning, never auto-committing. */
export async function startMember(options: MemberOptions): Promise<InProcessMember> {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200 },
  });
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeout ?? 10_000,
    rebalanceTimeout: options.rebalanceTimeout ?? 30_000,
    heartbeatInterval: options.heartbeatInterval ?? 1000,
    // Heartbeats go out between fetches: keep an idle fetch short.
    maxWaitTimeInMs: 500,
    retry: { retries: 8, initialRetryTime: 200 },
  });
  const joins: MemberJoin[] = [];
  const generations: number[] = [];
  const messages: ConsumedMessage[] = [];
  const crashes: string[] = [];
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
    joins.push({
      memberId: payload.memberId,
      leaderId: payload.leaderId,
      isLeader: payload.isLeader,
      assignment: sortedAssignment(payload.memberAssignment),
    }),
  );
  consumer.on(consumer.events.HEARTBEAT, ({ payload }) =>
    generations.push(payload.groupGenerationId),
  );
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) crashes.push(String(payload.error?.message));
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async (payload) => {
      messages.push({
        partition: payload.partition,
        offset: BigInt(payload.message.offset),
        key: payload.message.key?.toString() ?? null,
        value: payload.message.value?.toString() ?? null,
      });
      await options.onMessage?.(consumer, payload);
    },
  });
  let stopped: Promise<void> | undefined;
  return {
    clientId: options.clientId,
    consumer,
    joins,
    generations,
    messages,
    crashes,
    lastJoin: () => joins.at(-1),
    stop: () => (stopped ??= consumer.disconnect()),
  };
}

export interface StableGroup {
  /** memberId → its assignment as DescribeGroups decodes it (topic → sorted partitions). */
  assignments: Map<string, Record<string, number[]>>;
  /** memberId → client id. */
  clientIds: Map<string, string>;
  protocol: string;
  protocolType: string;
}

/**
 * Polls DescribeGroups until the group is Stable with exactly the given members, each of
 * whom last joined with the member id and assignment the group reports. Throws with the
 * last description seen when that does not happen within `timeoutMs`.
 */
export async function waitForStableGroup(
  admin: Admin,
  groupId: string,
  members: { inProcess?: InProcessMember[]; children?: KafkajsMemberProcess[] },
  timeoutMs: number,
): Promise<StableGroup> {
  const joined = (): (MemberJoin | undefined)[] => [
    ...(members.inProcess ?? []).map((m) => m.lastJoin()),
    ...(members.children ?? []).map((c) => {
      const join = c.lastJoin();
      return join === undefined
        ? undefined
        : { ...join, assignment: sortedAssignment(join.assignment) };
    }),
  ];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    const assignments = new Map<string, Record<string, number[]>>();
    for (const m of group.members) {
      const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      assignments.set(m.memberId, sortedAssignment(decoded?.assignment ?? {}));
    }
    const expected = joined();
    const consistent =
      group.state === 'Stable' &&
      group.members.length === expected.length &&
      expected.every(
        (join) =>
          join !== undefined &&
          assignments.has(join.memberId) &&
          JSON.stringify(assignments.get(join.memberId)) === JSON.stringify(join.assignment),
      );
    if (consistent) {
      return {
        assignments,
        clientIds: new Map(group.members.map((m) => [m.memberId, m.clientId])),
        protocol: group.protocol,
        protocolType: group.protocolType,
      };
    }
    if (Date.now() > deadline) {
      const seen = JSON.stringify({
        state: group.state,
        described: [...assignments],
        joined: expected,
      });
      throw new Error(`group ${groupId} not stable as expected within ${timeoutMs} ms: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Partitions of `topic` over all members, sorted (a partition owned twice appears twice). */
export function ownedPartitions(
  assignments: Iterable<Record<string, number[]>>,
  topic: string,
): number[] {
  return [...assignments].flatMap((a) => a[topic] ?? []).sort((x, y) => x - y);
}

/** Resolves once `condition` holds, polling; throws `describe()` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

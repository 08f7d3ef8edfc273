/**
 * Consumer-group administration over the internal client, as Kafka's Admin client does it:
 * FindCoordinator per group (cached), then ListGroups (every broker), DescribeGroups,
 * OffsetFetch, OffsetCommit, DeleteGroups and OffsetDelete sent to the group's coordinator.
 *
 * Coordinator errors are retried with a doubling backoff until a deadline: the coordinator
 * may be loading (COORDINATOR_LOAD_IN_PROGRESS), may not exist yet because the broker creates
 * `__consumer_offsets` on first use (COORDINATOR_NOT_AVAILABLE), or may have moved
 * (NOT_COORDINATOR; looked up again). Other errors are returned per group or partition where
 * the API reports them that way, and thrown as KafkaError otherwise.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DescribedGroupMember } from '../protocol/messages/generated/describe-groups-response.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ApiKey } from '../protocol/messages/generated/index.js';
import type { Connection } from './connection.js';
import { throwIfError, type KafkaClient } from './kafka-client.js';

/** FindCoordinator key types. */
export const CoordinatorKeyType = { GROUP: 0, TRANSACTION: 1 } as const;

/** FindCoordinator v4 batches keys (KIP-699). */
const FIRST_BATCHED_FIND_COORDINATOR = 4;
/** ListGroups v4 filters by state (KIP-518), v5 by type (KIP-848). */
const FIRST_LIST_GROUPS_STATES_FILTER = 4;
const FIRST_LIST_GROUPS_TYPES_FILTER = 5;
/** OffsetFetch v8 batches groups; v2 is the first where null topics mean "all". */
const FIRST_BATCHED_OFFSET_FETCH = 8;
const FIRST_OFFSET_FETCH_ALL_TOPICS = 2;

const MAX_BACKOFF_MS = 1000;

/** The coordinator is gone or elsewhere: look it up again before retrying. */
const COORDINATOR_MOVED: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);
const COORDINATOR_RETRIABLE: ReadonlySet<number> = new Set([
  ...COORDINATOR_MOVED,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

export interface GroupAdminOptions {
  /** How long coordinator errors are retried before they are reported (default 10 s). */
  retryTimeoutMs?: number;
  /** The first pause between retries, doubled each time up to 1 s (default 100 ms). */
  retryBackoffMs?: number;
}

export interface GroupCoordinator {
  nodeId: number;
  host: string;
  port: number;
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  /** Empty when the broker's ListGroups version does not report states (before v4). */
  groupState: string;
  /** Empty when the broker's ListGroups version does not report types (before v5). */
  groupType: string;
}

export interface ListGroupsOptions {
  /** Only groups in these states (case-insensitive, e.g. "Stable", "empty"). */
  states?: readonly string[];
  /** Only groups of these types ("classic", "consumer", ...; case-insensitive). */
  types?: readonly string[];
}

/**
 * A described member: its metadata is the subscription and its assignment the assignment,
 * each in its protocol's format (consumer-protocol.ts decodes the consumer protocol's).
 */
export type GroupMember = DescribedGroupMember;

export interface GroupDescription {
  groupId: string;
  /** Per-group error (e.g. GROUP_ID_NOT_FOUND, GROUP_AUTHORIZATION_FAILED); 0 when described. */
  errorCode: number;
  groupState: string;
  protocolType: string;
  /** The chosen protocol: the partition assignor's name for consumer groups. */
  protocolData: string;
  members: GroupMember[];
  coordinator: GroupCoordinator;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface CommittedOffset extends TopicPartitionRef {
  /** -1n when the group has no committed offset for the partition. */
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetToCommit extends TopicPartitionRef {
  offset: bigint;
  metadata?: string | null;
  leaderEpoch?: number;
}

export interface CommitOptions {
  /** -1 (the default) with an empty member id is an admin commit from outside the group. */
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
}

export interface GroupErrorResult {
  groupId: string;
  errorCode: number;
}

export interface PartitionErrorResult extends TopicPartitionRef {
  errorCode: number;
}

export interface DeleteOffsetsResult {
  /** Group-level error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, ...); partitions are then empty. */
  errorCode: number;
  partitions: PartitionErrorResult[];
}

/** Topic → partitions, in first-seen order (one request entry per topic). */
function byTopic<T extends TopicPartitionRef>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item.topic);
    if (list) list.push(item);
    else out.set(item.topic, [item]);
  }
  return out;
}

function isRetriable(err: unknown): err is KafkaError {
  return (
    err instanceof KafkaError &&
    (COORDINATOR_RETRIABLE.has(err.code) || err.code === ErrorCode.NETWORK_EXCEPTION)
  );
}

export class GroupAdmin {
  private readonly retryTimeoutMs: number;
  private readonly retryBackoffMs: number;
  private readonly coordinators = new Map<string, GroupCoordinator>();

  constructor(
    private readonly client: KafkaClient,
    options: GroupAdminOptions = {},
  ) {
    this.retryTimeoutMs = options.retryTimeoutMs ?? 10_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
  }

  /**
   * Runs `attempt` until it succeeds, fails with a non-retriable error, or the deadline
   * passes; a coordinator that moved (or whose connection broke) is looked up again.
   */
  private async retrying<T>(groupId: string | null, attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryTimeoutMs;
    let backoff = this.retryBackoffMs;
    for (;;) {
      try {
        return await attempt();
      } catch (err) {
        if (!isRetriable(err) || Date.now() + backoff > deadline) throw err;
        if (groupId !== null && err.code !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
          this.coordinators.delete(groupId);
        }
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** The group's coordinator (FindCoordinator, key type group), cached until it moves. */
  async findCoordinator(groupId: string): Promise<GroupCoordinator> {
    const cached = this.coordinators.get(groupId);
    if (cached) return cached;
    return this.retrying(null, async () => {
      const connection = await this.client.anyConnection();
      const version = connection.versionFor(ApiKey.FindCoordinator);
      const batched = version >= FIRST_BATCHED_FIND_COORDINATOR;
      const response = await connection.send(
        ApiKey.FindCoordinator,
        version,
        batched
          ? { keyType: CoordinatorKeyType.GROUP, coordinatorKeys: [groupId] }
          : { key: groupId, keyType: CoordinatorKeyType.GROUP },
      );
      const answer = batched ? response.coordinators.find((c) => c.key === groupId) : response;
      if (!answer) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_SERVER_ERROR,
          `FindCoordinator response does not name group ${groupId}`,
        );
      }
      throwIfError(answer.errorCode, answer.errorMessage, `coordinator of group ${groupId}`);
      const coordinator = { nodeId: answer.nodeId, host: answer.host, port: answer.port };
      this.coordinators.set(groupId, coordinator);
      return coordinator;
    });
  }

  private async coordinatorConnection(groupId: string): Promise<Connection> {
    const coordinator = await this.findCoordinator(groupId);
    return this.client.connectionTo(coordinator.nodeId);
  }

  /**
   * Sends one request per coordinator for the groups it owns and collects each group's
   * answer; groups answered with a coordinator error are retried (after looking their
   * coordinator up again) until the deadline, after which that error is their answer.
   */
  private async perCoordinator<R extends { errorCode: number }>(
    groupIds: readonly string[],
    send: (connection: Connection, groupIds: string[]) => Promise<Map<string, R>>,
  ): Promise<Map<string, { answer: R; coordinator: GroupCoordinator }>> {
    const results = new Map<string, { answer: R; coordinator: GroupCoordinator }>();
    const deadline = Date.now() + this.retryTimeoutMs;
    let backoff = this.retryBackoffMs;
    let pending = [...new Set(groupIds)];
    while (pending.length > 0) {
      const lastRound = Date.now() + backoff > deadline;
      const byNode = new Map<number, { coordinator: GroupCoordinator; groupIds: string[] }>();
      for (const groupId of pending) {
        const coordinator = await this.findCoordinator(groupId);
        const entry = byNode.get(coordinator.nodeId);
        if (entry) entry.groupIds.push(groupId);
        else byNode.set(coordinator.nodeId, { coordinator, groupIds: [groupId] });
      }
      const retryNext: string[] = [];
      await Promise.all(
        [...byNode.values()].map(async ({ coordinator, groupIds: ids }) => {
          let answers: Map<string, R>;
          try {
            answers = await send(await this.client.connectionTo(coordinator.nodeId), ids);
          } catch (err) {
            if (!isRetriable(err) || lastRound) throw err;
            for (const id of ids) this.coordinators.delete(id);
            retryNext.push(...ids);
            return;
          }
          for (const id of ids) {
            const answer = answers.get(id);
            if (!answer) {
              throw new KafkaError(
                ErrorCode.UNKNOWN_SERVER_ERROR,
                `the coordinator's response does not name group ${id}`,
              );
            }
            if (COORDINATOR_RETRIABLE.has(answer.errorCode) && !lastRound) {
              if (COORDINATOR_MOVED.has(answer.errorCode)) this.coordinators.delete(id);
              retryNext.push(id);
            } else {
              results.set(id, { answer, coordinator });
            }
          }
        }),
      );
      pending = retryNext;
      if (pending.length > 0) {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
    return results;
  }

  /** ListGroups on every broker of the cluster, merged and sorted by group id. */
  async listGroups(options: ListGroupsOptions = {}): Promise<ListedGroup[]> {
    const states = options.states ?? [];
    const types = options.types ?? [];
    const { brokers } = await this.client.metadata([]);
    const perBroker = await Promise.all(
      brokers.map((broker) =>
        this.retrying(null, async () => {
          const connection = await this.client.connectionTo(broker.nodeId);
          const version = connection.versionFor(ApiKey.ListGroups);
          // As Kafka's admin client: a filter the broker cannot apply is an error, not ignored.
          if (states.length > 0 && version < FIRST_LIST_GROUPS_STATES_FILTER) {
            throw new KafkaError(
              ErrorCode.UNSUPPORTED_VERSION,
              `The broker only supports ListGroups v${version}, but we need v${FIRST_LIST_GROUPS_STATES_FILTER} or newer to request groups by states.`,
            );
          }
          if (types.length > 0 && version < FIRST_LIST_GROUPS_TYPES_FILTER) {
            throw new KafkaError(
              ErrorCode.UNSUPPORTED_VERSION,
              `The broker only supports ListGroups v${version}, but we need v${FIRST_LIST_GROUPS_TYPES_FILTER} or newer to request groups by type.`,
            );
          }
          const response = await connection.send(ApiKey.ListGroups, version, {
            statesFilter: version >= FIRST_LIST_GROUPS_STATES_FILTER ? states : [],
            typesFilter: version >= FIRST_LIST_GROUPS_TYPES_FILTER ? types : [],
          });
          throwIfError(response.errorCode, null, `ListGroups on node ${broker.nodeId}`);
          return response.groups;
        }),
      ),
    );
    const merged = new Map<string, ListedGroup>();
    for (const groups of perBroker) {
      for (const g of groups) {
        merged.set(g.groupId, {
          groupId: g.groupId,
          protocolType: g.protocolType,
          groupState: g.groupState,
          groupType: g.groupType,
        });
      }
    }
    // Filtered here as well, in case a broker returns more than it was asked for.
    const wantedStates = new Set(states.map((s) => s.toLowerCase()));
    const wantedTypes = new Set(types.map((t) => t.toLowerCase()));
    return [...merged.values()]
      .filter((g) => wantedStates.size === 0 || wantedStates.has(g.groupState.toLowerCase()))
      .filter((g) => wantedTypes.size === 0 || wantedTypes.has(groupTypeOf(g)))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** DescribeGroups at each group's coordinator, in the order asked. */
  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    const results = await this.perCoordinator(groupIds, async (connection, ids) => {
      const version = connection.versionFor(ApiKey.DescribeGroups);
      const response = await connection.send(ApiKey.DescribeGroups, version, {
        groups: ids,
        includeAuthorizedOperations: false,
      });
      return new Map(response.groups.map((g) => [g.groupId, g]));
    });
    return [...new Set(groupIds)].map((groupId) => {
      const { answer, coordinator } = results.get(groupId)!;
      return {
        groupId,
        errorCode: answer.errorCode,
        groupState: answer.groupState,
        protocolType: answer.protocolType,
        protocolData: answer.protocolData,
        members: answer.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.memberMetadata,
          memberAssignment: m.memberAssignment,
        })),
        coordinator,
      };
    });
  }

  /**
   * The group's committed offsets (OffsetFetch): for the given partitions (offset -1n where
   * nothing is committed) or, with null, every partition the group has committed.
   */
  async fetchOffsets(
    groupId: string,
    partitions: readonly TopicPartitionRef[] | null = null,
  ): Promise<CommittedOffset[]> {
    const topics =
      partitions === null
        ? null
        : [...byTopic(partitions)].map(([name, list]) => ({
            name,
            partitionIndexes: list.map((p) => p.partition),
          }));
    return this.retrying(groupId, async () => {
      const connection = await this.coordinatorConnection(groupId);
      const version = connection.versionFor(
        ApiKey.OffsetFetch,
        undefined,
        topics === null ? FIRST_OFFSET_FETCH_ALL_TOPICS : undefined,
      );
      let answerTopics: {
        name: string;
        partitions: {
          partitionIndex: number;
          committedOffset: bigint;
          committedLeaderEpoch: number;
          metadata: string | null;
          errorCode: number;
        }[];
      }[];
      if (version >= FIRST_BATCHED_OFFSET_FETCH) {
        const response = await connection.send(ApiKey.OffsetFetch, version, {
          groups: [{ groupId, topics }],
        });
        const group = response.groups.find((g) => g.groupId === groupId);
        if (!group) {
          throw new KafkaError(
            ErrorCode.UNKNOWN_SERVER_ERROR,
            `OffsetFetch response does not name group ${groupId}`,
          );
        }
        throwIfError(group.errorCode, null, `group ${groupId}`);
        answerTopics = group.topics;
      } else {
        const response = await connection.send(ApiKey.OffsetFetch, version, { groupId, topics });
        throwIfError(response.errorCode, null, `group ${groupId}`);
        answerTopics = response.topics;
      }
      const out: CommittedOffset[] = [];
      for (const t of answerTopics) {
        for (const p of t.partitions) {
          // Versions without a group-level error report coordinator errors per partition.
          if (COORDINATOR_RETRIABLE.has(p.errorCode)) throw new KafkaError(p.errorCode);
          out.push({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.metadata,
            errorCode: p.errorCode,
          });
        }
      }
      return out;
    });
  }

  /** OffsetCommit; throws KafkaError naming the first partition that was refused. */
  async commitOffsets(
    groupId: string,
    offsets: readonly OffsetToCommit[],
    options: CommitOptions = {},
  ): Promise<void> {
    const topics = [...byTopic(offsets)].map(([name, list]) => ({
      name,
      partitions: list.map((o) => ({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: o.leaderEpoch ?? -1,
        committedMetadata: o.metadata === undefined ? '' : o.metadata,
      })),
    }));
    await this.retrying(groupId, async () => {
      const connection = await this.coordinatorConnection(groupId);
      const version = connection.versionFor(ApiKey.OffsetCommit);
      const response = await connection.send(ApiKey.OffsetCommit, version, {
        groupId,
        generationIdOrMemberEpoch: options.generationId ?? -1,
        memberId: options.memberId ?? '',
        groupInstanceId: options.groupInstanceId ?? null,
        topics,
      });
      const failures = response.topics.flatMap((t) =>
        t.partitions
          .filter((p) => p.errorCode !== ErrorCode.NONE)
          .map((p) => ({ name: `${t.name}-${p.partitionIndex}`, errorCode: p.errorCode })),
      );
      // A coordinator error applies to the whole request: retry it as a whole.
      const coordinatorError = failures.find((f) => COORDINATOR_RETRIABLE.has(f.errorCode));
      if (coordinatorError) throw new KafkaError(coordinatorError.errorCode);
      for (const f of failures) throwIfError(f.errorCode, null, f.name);
    });
  }

  /** DeleteGroups at each group's coordinator; the error code of each group (0: deleted). */
  async deleteGroups(groupIds: readonly string[]): Promise<GroupErrorResult[]> {
    const results = await this.perCoordinator(groupIds, async (connection, ids) => {
      const version = connection.versionFor(ApiKey.DeleteGroups);
      const response = await connection.send(ApiKey.DeleteGroups, version, { groupsNames: ids });
      return new Map(response.results.map((r) => [r.groupId, r]));
    });
    return [...new Set(groupIds)].map((groupId) => ({
      groupId,
      errorCode: results.get(groupId)!.answer.errorCode,
    }));
  }

  /** OffsetDelete: the group-level error and the error code of each partition. */
  async deleteOffsets(
    groupId: string,
    partitions: readonly TopicPartitionRef[],
  ): Promise<DeleteOffsetsResult> {
    const topics = [...byTopic(partitions)].map(([name, list]) => ({
      name,
      partitions: list.map((p) => ({ partitionIndex: p.partition })),
    }));
    return this.retrying(groupId, async () => {
      const connection = await this.coordinatorConnection(groupId);
      const version = connection.versionFor(ApiKey.OffsetDelete);
      const response = await connection.send(ApiKey.OffsetDelete, version, { groupId, topics });
      if (COORDINATOR_RETRIABLE.has(response.errorCode)) throw new KafkaError(response.errorCode);
      return {
        errorCode: response.errorCode,
        partitions: response.topics.flatMap((t) =>
          t.partitions.map((p) => ({
            topic: t.name,
            partition: p.partitionIndex,
            errorCode: p.errorCode,
          })),
        ),
      };
    });
  }
}

/**
 * A listed group's type in lower case; brokers before ListGroups v5 do not report one, and
 * they only have classic groups.
 */
export function groupTypeOf(group: Pick<ListedGroup, 'groupType'>): string {
  return group.groupType === '' ? 'classic' : group.groupType.toLowerCase();
}

/**
 * A one-node in-memory cluster with topics and classic consumer groups, answering the APIs
 * `kafka-consumer-groups` uses the way Kafka's classic group coordinator answers them, so
 * the tool can be run in-process without a real coordinator.
 */
import type { DecodedRequest } from '../../../src/protocol/api.js';
import {
  encodeConsumerAssignment,
  encodeConsumerSubscription,
} from '../../../src/client/consumer-protocol.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ApiKey } from '../../../src/protocol/messages/generated/index.js';
import {
  findCoordinatorResponse,
  GROUP_API_VERSIONS,
  metadataResponse,
  startFakeBroker,
  type FakeBroker,
} from '../client/fake-broker.js';

export interface FakePartition {
  logStart: bigint;
  logEnd: bigint;
  /** The timestamp of each record from logStart on (for ListOffsets by time). */
  timestamps?: bigint[];
}

export interface FakeMember {
  memberId: string;
  groupInstanceId?: string | null;
  clientId: string;
  clientHost: string;
  assignment: { topic: string; partitions: number[] }[];
}

export interface FakeGroup {
  state: string;
  protocolType: string;
  protocolData: string;
  members: FakeMember[];
  /** `topic:partition` → committed offset. */
  offsets: Map<string, bigint>;
}

const tpKey = (topic: string, partition: number): string => `${topic}:${partition}`;

export class FakeGroupCluster {
  readonly topics = new Map<string, FakePartition[]>();
  readonly groups = new Map<string, FakeGroup>();
  broker!: FakeBroker;

  static async start(): Promise<FakeGroupCluster> {
    const cluster = new FakeGroupCluster();
    cluster.broker = await startFakeBroker({
      nodeId: 1,
      versions: { ...GROUP_API_VERSIONS, [ApiKey.ListOffsets]: [0, 8] },
      handle: (request) => cluster.handle(request),
    });
    return cluster;
  }

  get bootstrap(): string {
    return this.broker.bootstrap;
  }

  addTopic(name: string, partitions: FakePartition[]): void {
    this.topics.set(name, partitions);
  }

  addGroup(
    groupId: string,
    group: Partial<Omit<FakeGroup, 'offsets'>> & { offsets?: Record<string, bigint> },
  ): void {
    this.groups.set(groupId, {
      state: group.state ?? (group.members?.length ? 'Stable' : 'Empty'),
      protocolType: group.protocolType ?? 'consumer',
      protocolData: group.protocolData ?? (group.members?.length ? 'range' : ''),
      members: group.members ?? [],
      offsets: new Map(Object.entries(group.offsets ?? {})),
    });
  }

  committed(groupId: string): Record<string, bigint> {
    return Object.fromEntries(this.groups.get(groupId)?.offsets ?? []);
  }

  close(): Promise<void> {
    return this.broker.close();
  }

  private handle(request: DecodedRequest): unknown {
    const body = request.body as never;
    switch (request.apiKey) {
      case ApiKey.Metadata:
        return this.metadata(body);
      case ApiKey.ListOffsets:
        return this.listOffsets(body);
      case ApiKey.FindCoordinator:
        return findCoordinatorResponse(request, () => this.broker);
      case ApiKey.ListGroups:
        return this.listGroups(body);
      case ApiKey.DescribeGroups:
        return this.describeGroups(body);
      case ApiKey.OffsetFetch:
        return this.offsetFetch(body, request.apiVersion);
      case ApiKey.OffsetCommit:
        return this.offsetCommit(body);
      case ApiKey.DeleteGroups:
        return this.deleteGroups(body);
      case ApiKey.OffsetDelete:
        return this.offsetDelete(body);
      default:
        throw new Error(`the fake cluster does not answer api key ${request.apiKey}`);
    }
  }

  private metadata(body: { topics: { name: string | null }[] | null }): unknown {
    const names =
      body.topics === null ? [...this.topics.keys()] : body.topics.map((t) => t.name ?? '');
    const response = metadataResponse(
      [this.broker],
      names
        .filter((n) => this.topics.has(n))
        .map((name) => ({ name, partitions: this.topics.get(name)!.length })),
    ) as { topics: unknown[] };
    for (const name of names.filter((n) => !this.topics.has(n))) {
      response.topics.push({
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        name,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        isInternal: false,
        partitions: [],
      });
    }
    return response;
  }

  private listOffsets(body: {
    topics: { name: string; partitions: { partitionIndex: number; timestamp: bigint }[] }[];
  }): unknown {
    return {
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const partition = this.topics.get(t.name)?.[p.partitionIndex];
          if (!partition) {
            return {
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              timestamp: -1n,
              offset: -1n,
            };
          }
          let offset: bigint;
          if (p.timestamp === -1n) offset = partition.logEnd;
          else if (p.timestamp === -2n) offset = partition.logStart;
          else {
            const index = (partition.timestamps ?? []).findIndex((ts) => ts >= p.timestamp);
            offset = index < 0 ? -1n : partition.logStart + BigInt(index);
          }
          return {
            partitionIndex: p.partitionIndex,
            errorCode: 0,
            timestamp: -1n,
            offset,
            leaderEpoch: 0,
          };
        }),
      })),
    };
  }

  private listGroups(body: { statesFilter: string[] }): unknown {
    const states = new Set(body.statesFilter.map((s) => s.toLowerCase()));
    return {
      errorCode: 0,
      groups: [...this.groups]
        .filter(([, g]) => states.size === 0 || states.has(g.state.toLowerCase()))
        .map(([groupId, g]) => ({
          groupId,
          protocolType: g.protocolType,
          groupState: g.state,
          groupType: 'classic',
        })),
    };
  }

  private describeGroups(body: { groups: string[] }): unknown {
    return {
      groups: body.groups.map((groupId) => {
        const g = this.groups.get(groupId);
        if (!g) {
          return {
            errorCode: 0,
            groupId,
            groupState: 'Dead',
            protocolType: '',
            protocolData: '',
            members: [],
          };
        }
        return {
          errorCode: 0,
          groupId,
          groupState: g.state,
          protocolType: g.protocolType,
          protocolData: g.protocolData,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId ?? null,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: encodeConsumerSubscription({
              topics: m.assignment.map((a) => a.topic),
            }),
            memberAssignment: encodeConsumerAssignment({ assignedPartitions: m.assignment }, 0),
          })),
        };
      }),
    };
  }

  private offsetFetch(
    body: {
      groups: { groupId: string; topics: { name: string; partitionIndexes: number[] }[] | null }[];
    },
    version: number,
  ): unknown {
    if (version < 8) throw new Error('the fake cluster answers OffsetFetch v8+ only');
    return {
      groups: body.groups.map(({ groupId, topics }) => {
        const offsets = this.groups.get(groupId)?.offsets ?? new Map<string, bigint>();
        const wanted =
          topics ??
          [...new Set([...offsets.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))].map(
            (name) => ({
              name,
              partitionIndexes: [...offsets.keys()]
                .filter((k) => k.slice(0, k.lastIndexOf(':')) === name)
                .map((k) => Number(k.slice(k.lastIndexOf(':') + 1))),
            }),
          );
        return {
          groupId,
          errorCode: 0,
          topics: wanted.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((p) => ({
              partitionIndex: p,
              committedOffset: offsets.get(tpKey(t.name, p)) ?? -1n,
              committedLeaderEpoch: offsets.has(tpKey(t.name, p)) ? 0 : -1,
              metadata: '',
              errorCode: 0,
            })),
          })),
        };
      }),
    };
  }

  private offsetCommit(body: {
    groupId: string;
    generationIdOrMemberEpoch: number;
    topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint }[] }[];
  }): unknown {
    let group = this.groups.get(body.groupId);
    // The classic coordinator takes commits from outside the group only while it is empty.
    const refused =
      group !== undefined && group.members.length > 0 ? ErrorCode.UNKNOWN_MEMBER_ID : 0;
    if (!group && refused === 0) {
      this.addGroup(body.groupId, { protocolType: '' });
      group = this.groups.get(body.groupId)!;
    }
    return {
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const exists = this.topics.get(t.name)?.[p.partitionIndex] !== undefined;
          const errorCode = refused || (exists ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (errorCode === 0)
            group!.offsets.set(tpKey(t.name, p.partitionIndex), p.committedOffset);
          return { partitionIndex: p.partitionIndex, errorCode };
        }),
      })),
    };
  }

  private deleteGroups(body: { groupsNames: string[] }): unknown {
    return {
      results: body.groupsNames.map((groupId) => {
        const g = this.groups.get(groupId);
        let errorCode = 0;
        if (!g) errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
        else if (g.members.length > 0) errorCode = ErrorCode.NON_EMPTY_GROUP;
        else this.groups.delete(groupId);
        return { groupId, errorCode };
      }),
    };
  }

  private offsetDelete(body: {
    groupId: string;
    topics: { name: string; partitions: { partitionIndex: number }[] }[];
  }): unknown {
    const g = this.groups.get(body.groupId);
    if (!g) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    const subscribed = new Set(g.members.flatMap((m) => m.assignment.map((a) => a.topic)));
    return {
      errorCode: 0,
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (subscribed.has(t.name)) {
            return {
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC,
            };
          }
          g.offsets.delete(tpKey(t.name, p.partitionIndex));
          return { partitionIndex: p.partitionIndex, errorCode: 0 };
        }),
      })),
    };
  }
}

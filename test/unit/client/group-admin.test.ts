import { afterEach, describe, expect, it } from 'vitest';
import { GroupAdmin } from '../../../src/client/group-admin.js';
import { KafkaClient } from '../../../src/client/kafka-client.js';
import type { DecodedRequest } from '../../../src/protocol/api.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { ApiKey } from '../../../src/protocol/messages/generated/index.js';
import {
  findCoordinatorResponse,
  GROUP_API_VERSIONS,
  metadataResponse,
  startFakeBroker,
  type FakeBroker,
  type FakeHandler,
  type VersionRanges,
} from './fake-broker.js';

/**
 * GroupAdmin against in-test brokers that decode the real request frames: which versions and
 * fields go on the wire, where each request is routed, and how coordinator errors are retried.
 */

const brokers: FakeBroker[] = [];
const clients: KafkaClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const b of brokers.splice(0)) await b.close();
});

/**
 * A cluster of `count` fake nodes sharing one handler; Metadata names all of them and
 * FindCoordinator (when the handler leaves it alone) answers with `coordinatorOf`.
 */
async function cluster(
  count: number,
  handle: FakeHandler,
  options: { versions?: VersionRanges; coordinatorOf?: (group: string) => number } = {},
): Promise<FakeBroker[]> {
  const nodes: FakeBroker[] = [];
  for (let i = 0; i < count; i++) {
    const node = await startFakeBroker({
      nodeId: i + 1,
      versions: options.versions ?? GROUP_API_VERSIONS,
      handle: (request, self) => {
        if (request.apiKey === ApiKey.Metadata) return metadataResponse(nodes);
        const answer = handle(request, self);
        if (answer !== undefined) return answer;
        if (request.apiKey === ApiKey.FindCoordinator) {
          return findCoordinatorResponse(
            request,
            (key) => nodes[(options.coordinatorOf?.(key) ?? 1) - 1],
          );
        }
        throw new Error(`unexpected api key ${request.apiKey}`);
      },
    });
    nodes.push(node);
    brokers.push(node);
  }
  return nodes;
}

function adminFor(node: FakeBroker, retryTimeoutMs = 2000): GroupAdmin {
  const client = new KafkaClient({ bootstrapServers: node.bootstrap, requestTimeoutMs: 2000 });
  clients.push(client);
  return new GroupAdmin(client, { retryTimeoutMs, retryBackoffMs: 10 });
}

const of = (node: FakeBroker, apiKey: number): DecodedRequest[] =>
  node.requests.filter((r) => r.apiKey === apiKey);

describe('GroupAdmin.findCoordinator', () => {
  it('sends batched keys (v4+) and retries while the coordinator is not available', async () => {
    let refusals = 2;
    const [node] = await cluster(1, (request) => {
      if (request.apiKey !== ApiKey.FindCoordinator || refusals === 0) return undefined;
      refusals--;
      return {
        coordinators: [
          {
            key: 'g',
            nodeId: -1,
            host: '',
            port: -1,
            errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
            errorMessage: null,
          },
        ],
      };
    });
    const admin = adminFor(node);
    const coordinator = await admin.findCoordinator('g');
    expect(coordinator).toEqual({ nodeId: 1, host: node.host, port: node.port });
    const requests = of(node, ApiKey.FindCoordinator);
    expect(requests).toHaveLength(3);
    expect(requests[0].apiVersion).toBe(6);
    expect(requests[0].body).toMatchObject({ keyType: 0, coordinatorKeys: ['g'] });
    // Cached afterwards.
    await admin.findCoordinator('g');
    expect(of(node, ApiKey.FindCoordinator)).toHaveLength(3);
  });

  it('uses the single key of v3 when the broker stops there', async () => {
    const [node] = await cluster(1, () => undefined, {
      versions: { ...GROUP_API_VERSIONS, [ApiKey.FindCoordinator]: [0, 3] },
    });
    await adminFor(node).findCoordinator('legacy');
    const [request] = of(node, ApiKey.FindCoordinator);
    expect(request.apiVersion).toBe(3);
    expect(request.body).toMatchObject({ key: 'legacy', keyType: 0 });
  });

  it('gives up with the coordinator error once the retry time is spent', async () => {
    const [node] = await cluster(1, (request) =>
      request.apiKey === ApiKey.FindCoordinator
        ? {
            coordinators: [
              {
                key: 'g',
                nodeId: -1,
                host: '',
                port: -1,
                errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                errorMessage: null,
              },
            ],
          }
        : undefined,
    );
    const started = Date.now();
    const err = await adminFor(node, 200)
      .findCoordinator('g')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).code).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(of(node, ApiKey.FindCoordinator).length).toBeGreaterThan(1);
  });
});

describe('GroupAdmin.listGroups', () => {
  it('asks every broker, merges, sorts and passes the filters at v5', async () => {
    const nodes = await cluster(2, (request, self) => {
      if (request.apiKey !== ApiKey.ListGroups) return undefined;
      const groups =
        self.nodeId === 1
          ? [
              {
                groupId: 'b',
                protocolType: 'consumer',
                groupState: 'Stable',
                groupType: 'classic',
              },
              { groupId: 'c', protocolType: 'consumer', groupState: 'Empty', groupType: 'classic' },
            ]
          : [
              {
                groupId: 'a',
                protocolType: 'consumer',
                groupState: 'Stable',
                groupType: 'consumer',
              },
            ];
      return { errorCode: 0, groups };
    });
    const admin = adminFor(nodes[0]);
    expect((await admin.listGroups()).map((g) => g.groupId)).toEqual(['a', 'b', 'c']);
    const filtered = await admin.listGroups({ states: ['stable'] });
    // The fake ignores the filter; the client applies it as well.
    expect(filtered.map((g) => g.groupId)).toEqual(['a', 'b']);
    for (const node of nodes) {
      const requests = of(node, ApiKey.ListGroups);
      expect(requests).toHaveLength(2);
      expect(requests[1].apiVersion).toBe(5);
      expect(requests[1].body).toMatchObject({ statesFilter: ['stable'], typesFilter: [] });
    }
    const consumers = await admin.listGroups({ types: ['Consumer'] });
    expect(consumers.map((g) => g.groupId)).toEqual(['a']);
  });

  it('refuses a state filter a pre-v4 broker cannot apply', async () => {
    const [node] = await cluster(
      1,
      (request) =>
        request.apiKey === ApiKey.ListGroups
          ? { errorCode: 0, groups: [{ groupId: 'x', protocolType: 'consumer' }] }
          : undefined,
      { versions: { ...GROUP_API_VERSIONS, [ApiKey.ListGroups]: [0, 3] } },
    );
    const admin = adminFor(node);
    const groups = await admin.listGroups();
    expect(groups).toEqual([
      { groupId: 'x', protocolType: 'consumer', groupState: '', groupType: '' },
    ]);
    await expect(admin.listGroups({ states: ['Stable'] })).rejects.toMatchObject({
      code: ErrorCode.UNSUPPORTED_VERSION,
    });
  });
});

describe('GroupAdmin.describeGroups', () => {
  it('sends each group to its coordinator and finds a moved coordinator again', async () => {
    let moved = false;
    const nodes = await cluster(
      2,
      (request, self) => {
        if (request.apiKey !== ApiKey.DescribeGroups) return undefined;
        const { groups } = request.body as { groups: string[] };
        return {
          groups: groups.map((groupId) => {
            // Node 2 claims once that it is not the coordinator of 'b'.
            if (self.nodeId === 2 && !moved) {
              moved = true;
              return { errorCode: ErrorCode.NOT_COORDINATOR, groupId, members: [] };
            }
            return {
              errorCode: 0,
              groupId,
              groupState: 'Stable',
              protocolType: 'consumer',
              protocolData: 'range',
              members: [
                {
                  memberId: `${groupId}-m1`,
                  groupInstanceId: 'static-1',
                  clientId: 'client',
                  clientHost: '/10.0.0.1',
                  memberMetadata: Buffer.from([0, 1]),
                  memberAssignment: Buffer.from([0, 2]),
                },
              ],
            };
          }),
        };
      },
      { coordinatorOf: (group) => (group === 'b' ? 2 : 1) },
    );
    const described = await adminFor(nodes[0]).describeGroups(['b', 'a']);
    expect(described.map((d) => [d.groupId, d.coordinator.nodeId])).toEqual([
      ['b', 2],
      ['a', 1],
    ]);
    expect(described[1]).toMatchObject({
      errorCode: 0,
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
      members: [
        {
          memberId: 'a-m1',
          groupInstanceId: 'static-1',
          clientId: 'client',
          clientHost: '/10.0.0.1',
          memberMetadata: Buffer.from([0, 1]),
          memberAssignment: Buffer.from([0, 2]),
        },
      ],
    });
    expect(
      of(nodes[0], ApiKey.DescribeGroups).map((r) => (r.body as { groups: string[] }).groups),
    ).toEqual([['a']]);
    expect(
      of(nodes[1], ApiKey.DescribeGroups).map((r) => (r.body as { groups: string[] }).groups),
    ).toEqual([['b'], ['b']]);
    // 'b' was looked up twice: once at first, once after NOT_COORDINATOR.
    const lookups = of(nodes[0], ApiKey.FindCoordinator).flatMap(
      (r) => (r.body as { coordinatorKeys: string[] }).coordinatorKeys,
    );
    expect(lookups.filter((k) => k === 'b')).toHaveLength(2);
  });

  it('returns a per-group error instead of throwing', async () => {
    const [node] = await cluster(1, (request) =>
      request.apiKey === ApiKey.DescribeGroups
        ? {
            groups: [
              { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId: 'secret', members: [] },
            ],
          }
        : undefined,
    );
    const [d] = await adminFor(node).describeGroups(['secret']);
    expect(d.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  });
});

describe('GroupAdmin offsets', () => {
  const committed = {
    name: 't',
    partitions: [
      {
        partitionIndex: 0,
        committedOffset: 5n,
        committedLeaderEpoch: 3,
        metadata: 'm',
        errorCode: 0,
      },
      {
        partitionIndex: 1,
        committedOffset: -1n,
        committedLeaderEpoch: -1,
        metadata: null,
        errorCode: 0,
      },
    ],
  };

  it('fetches all committed offsets with the batched OffsetFetch (v8+)', async () => {
    let loading = 1;
    const [node] = await cluster(1, (request) => {
      if (request.apiKey !== ApiKey.OffsetFetch) return undefined;
      if (loading-- > 0) {
        return {
          groups: [{ groupId: 'g', topics: [], errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }],
        };
      }
      return { groups: [{ groupId: 'g', topics: [committed], errorCode: 0 }] };
    });
    const offsets = await adminFor(node).fetchOffsets('g');
    expect(offsets).toEqual([
      { topic: 't', partition: 0, offset: 5n, leaderEpoch: 3, metadata: 'm', errorCode: 0 },
      { topic: 't', partition: 1, offset: -1n, leaderEpoch: -1, metadata: null, errorCode: 0 },
    ]);
    const requests = of(node, ApiKey.OffsetFetch);
    expect(requests).toHaveLength(2);
    expect(requests[1].apiVersion).toBe(9);
    expect(requests[1].body).toMatchObject({ groups: [{ groupId: 'g', topics: null }] });
  });

  it('uses the single-group OffsetFetch before v8 and throws a group error', async () => {
    let fail = false;
    const [node] = await cluster(
      1,
      (request) => {
        if (request.apiKey !== ApiKey.OffsetFetch) return undefined;
        return fail
          ? { topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }
          : { topics: [committed], errorCode: 0 };
      },
      { versions: { ...GROUP_API_VERSIONS, [ApiKey.OffsetFetch]: [0, 7] } },
    );
    const admin = adminFor(node);
    const offsets = await admin.fetchOffsets('g', [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    expect(offsets.map((o) => o.offset)).toEqual([5n, -1n]);
    const [request] = of(node, ApiKey.OffsetFetch);
    expect(request.apiVersion).toBe(7);
    expect(request.body).toMatchObject({
      groupId: 'g',
      topics: [{ name: 't', partitionIndexes: [0, 1] }],
    });
    fail = true;
    await expect(admin.fetchOffsets('g')).rejects.toMatchObject({
      code: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    });
  });

  it('commits as an admin (generation -1, no member) and throws a refused partition', async () => {
    let refuse = false;
    const [node] = await cluster(1, (request) => {
      if (request.apiKey !== ApiKey.OffsetCommit) return undefined;
      const body = request.body as {
        topics: { name: string; partitions: { partitionIndex: number }[] }[];
      };
      return {
        topics: body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: refuse && p.partitionIndex === 1 ? ErrorCode.UNKNOWN_MEMBER_ID : 0,
          })),
        })),
      };
    });
    const admin = adminFor(node);
    await admin.commitOffsets('g', [
      { topic: 't', partition: 0, offset: 10n },
      { topic: 'u', partition: 2, offset: 0n, metadata: 'why' },
      { topic: 't', partition: 1, offset: 11n },
    ]);
    const [request] = of(node, ApiKey.OffsetCommit);
    expect(request.apiVersion).toBe(9);
    expect(request.body).toMatchObject({
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 10n, committedMetadata: '' },
            { partitionIndex: 1, committedOffset: 11n, committedMetadata: '' },
          ],
        },
        {
          name: 'u',
          partitions: [{ partitionIndex: 2, committedOffset: 0n, committedMetadata: 'why' }],
        },
      ],
    });
    refuse = true;
    const err = await admin
      .commitOffsets('g', [{ topic: 't', partition: 1, offset: 1n }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).code).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((err as KafkaError).message).toContain('t-1');
  });

  it('deletes groups and offsets, reporting each error code', async () => {
    const [node] = await cluster(1, (request) => {
      if (request.apiKey === ApiKey.DeleteGroups) {
        const { groupsNames } = request.body as { groupsNames: string[] };
        return {
          results: groupsNames.map((groupId) => ({
            groupId,
            errorCode: groupId === 'busy' ? ErrorCode.NON_EMPTY_GROUP : 0,
          })),
        };
      }
      if (request.apiKey === ApiKey.OffsetDelete) {
        return {
          errorCode: 0,
          topics: [
            {
              name: 't',
              partitions: [
                { partitionIndex: 0, errorCode: 0 },
                { partitionIndex: 1, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC },
              ],
            },
          ],
        };
      }
      return undefined;
    });
    const admin = adminFor(node);
    expect(await admin.deleteGroups(['idle', 'busy'])).toEqual([
      { groupId: 'idle', errorCode: 0 },
      { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP },
    ]);
    expect(
      await admin.deleteOffsets('g', [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 1 },
      ]),
    ).toEqual({
      errorCode: 0,
      partitions: [
        { topic: 't', partition: 0, errorCode: 0 },
        { topic: 't', partition: 1, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC },
      ],
    });
    expect(of(node, ApiKey.OffsetDelete)[0].body).toMatchObject({
      groupId: 'g',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0 }, { partitionIndex: 1 }] }],
    });
  });
});

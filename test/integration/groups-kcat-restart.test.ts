import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssignerProtocol, type Admin, type Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  GROUP_TEST_PROPS,
  kill9,
  prepareBrokerNode,
  requireBuiltBroker,
  run,
  startBrokerProcess,
  type BrokerNode,
  type RunningBrokerProcess,
} from '../harness/broker-process.js';
import {
  createTopic,
  kafkajsClient,
  partitionRecords,
  PATIENT_RETRY,
  produce,
} from '../harness/kafkajs-client.js';
import {
  startKafkajsMemberProcess,
  type KafkajsMemberProcess,
} from '../harness/kafkajs-member-process.js';
import {
  sortedAssignment,
  startMember,
  waitForStableGroup,
  waitUntil,
  type InProcessMember,
  type MemberOptions,
} from '../harness/kafkajs-group-members.js';

/**
 * Consumer groups of `bin/broker` with kcat's balanced consumer (`kcat -G`), and groups,
 * members and committed offsets surviving a broker restart, clean (SIGTERM) or not
 * (SIGKILL): what kafkajs's admin sees, and consumers resuming where the commits say.
 */

const KCAT = '/usr/bin/kcat';

interface KcatRecord {
  partition: number;
  offset: number;
  value: string;
}

/** `kcat -G group topic` until every assigned partition is at its end; records it printed. */
async function kcatGroupConsume(
  bootstrap: string,
  groupId: string,
  topic: string,
): Promise<KcatRecord[]> {
  const result = await run(
    KCAT,
    [
      '-b',
      bootstrap,
      '-G',
      groupId,
      '-X',
      'auto.offset.reset=earliest',
      '-e',
      '-q',
      '-f',
      '%p\t%o\t%s\n',
      topic,
    ],
    { timeoutMs: 30_000 },
  );
  expect(result.timedOut, `kcat -G timed out: ${result.stderr}`).toBe(false);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [partition, offset, value] = line.split('\t');
      return { partition: Number(partition), offset: Number(offset), value };
    });
}

function byPartitionAndOffset(a: KcatRecord, b: KcatRecord): number {
  return a.partition - b.partition || a.offset - b.offset;
}

describe('consumer groups with kcat and across broker restarts', () => {
  let dir: string;
  let broker: RunningBrokerProcess | undefined;
  const admins: Admin[] = [];
  const members: InProcessMember[] = [];
  const children: KafkajsMemberProcess[] = [];

  beforeAll(async () => {
    requireBuiltBroker();
    dir = await mkdtemp(join(tmpdir(), 'groups-kcat-restart-'));
  });

  afterEach(async () => {
    await Promise.allSettled(members.splice(0).map((m) => m.stop()));
    await Promise.allSettled(children.splice(0).map((c) => c.kill('SIGKILL')));
    await Promise.allSettled(admins.splice(0).map((a) => a.disconnect()));
    await broker?.stop();
    broker = undefined;
  }, 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  async function freshNode(name: string): Promise<BrokerNode> {
    const nodeDir = join(dir, name);
    await mkdir(nodeDir);
    return prepareBrokerNode(nodeDir, GROUP_TEST_PROPS);
  }

  function kafkaFor(node: BrokerNode): Kafka {
    return kafkajsClient('groups-kcat-restart-test', [node.bootstrap], PATIENT_RETRY);
  }

  async function connectAdmin(node: BrokerNode): Promise<Admin> {
    const admin = kafkaFor(node).admin();
    await admin.connect();
    admins.push(admin);
    return admin;
  }

  /** Asserts that kafkajs's admin describes `groupId` as an empty consumer group. */
  async function expectEmptyGroup(admin: Admin, groupId: string): Promise<void> {
    expect((await admin.describeGroups([groupId])).groups[0]).toMatchObject({
      groupId,
      state: 'Empty',
      protocolType: 'consumer',
      members: [],
    });
  }

  it('kcat -G consumes every partition, commits, and a second run gets only new records', async () => {
    const node = await freshNode('kcat');
    broker = await startBrokerProcess(node);
    const admin = await connectAdmin(node);
    const topic = 'kcat-balanced';
    const groupId = 'kcat-group';
    await createTopic(admin, topic, 4);

    const first = partitionRecords('first', 4, 0, 10);
    await produce(kafkaFor(node), topic, first);
    const consumed1 = await kcatGroupConsume(node.bootstrap, groupId, topic);
    expect(consumed1.sort(byPartitionAndOffset)).toEqual(
      first.map((r, i) => ({ partition: r.partition, offset: i % 10, value: r.value })),
    );
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
      {
        topic,
        partitions: [0, 1, 2, 3].map((p) => ({ partition: p, offset: '10', metadata: null })),
      },
    ]);
    const listed = await admin.listGroups();
    expect(listed.groups).toContainEqual({ groupId, protocolType: 'consumer' });
    await expectEmptyGroup(admin, groupId);

    const second = partitionRecords('second', 4, 10, 5);
    await produce(kafkaFor(node), topic, second);
    const consumed2 = await kcatGroupConsume(node.bootstrap, groupId, topic);
    expect(consumed2.sort(byPartitionAndOffset)).toEqual(
      second.map((r, i) => ({ partition: r.partition, offset: 10 + (i % 5), value: r.value })),
    );
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
      {
        topic,
        partitions: [0, 1, 2, 3].map((p) => ({ partition: p, offset: '15', metadata: null })),
      },
    ]);

    // A third run has nothing left to read.
    expect(await kcatGroupConsume(node.bootstrap, groupId, topic)).toEqual([]);
  }, 90_000);

  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`groups, members and committed offsets are back after a ${how} restart`, async () => {
      const node = await freshNode(`restart-${how}`);
      broker = await startBrokerProcess(node);
      let admin = await connectAdmin(node);
      const topic = 'restart-topic';
      await createTopic(admin, topic, 3);
      const before = partitionRecords('before', 3, 0, 10);
      await produce(kafkaFor(node), topic, before);

      // A kafkajs member commits partition p up to cutoff[p], with metadata, as it consumes.
      const memberGroup = 'restart-kafkajs-group';
      const cutoff = [3, 6, 9];
      const commitUpToCutoff: MemberOptions['onMessage'] = async (
        consumer,
        { partition, message },
      ) => {
        const next = Number(message.offset) + 1;
        if (next <= cutoff[partition]) {
          await consumer.commitOffsets([
            { topic, partition, offset: String(next), metadata: `m-${partition}-${next}` },
          ]);
        }
      };
      const committer = await startMember({
        brokers: [node.bootstrap],
        groupId: memberGroup,
        topic,
        clientId: 'restart-committer',
        onMessage: commitUpToCutoff,
      });
      members.push(committer);
      await waitUntil(
        () => committer.messages.length >= before.length,
        20_000,
        () => JSON.stringify(committer.messages),
      );
      await committer.stop();
      expect(committer.crashes).toEqual([]);

      // kcat's group reads everything and commits on close.
      const kcatGroup = 'restart-kcat-group';
      expect(await kcatGroupConsume(node.bootstrap, kcatGroup, topic)).toHaveLength(30);

      // A member still in its group when the broker goes down (then killed with it).
      const liveGroup = 'restart-live-group';
      const liveSessionTimeout = 6000;
      const live = startKafkajsMemberProcess({
        brokers: [node.bootstrap],
        groupId: liveGroup,
        topic,
        clientId: 'live-member',
        sessionTimeout: liveSessionTimeout,
        heartbeatInterval: 1000,
      });
      children.push(live);
      await waitForStableGroup(admin, liveGroup, { children: [live] }, 20_000);
      const liveJoin = live.lastJoin()!;
      expect(liveJoin.assignment[topic]).toEqual([0, 1, 2]);

      const expectedOffsets = {
        [memberGroup]: [
          {
            topic,
            partitions: [0, 1, 2].map((p) => ({
              partition: p,
              offset: String(cutoff[p]),
              metadata: `m-${p}-${cutoff[p]}`,
            })),
          },
        ],
        [kcatGroup]: [
          {
            topic,
            partitions: [0, 1, 2].map((p) => ({ partition: p, offset: '10', metadata: null })),
          },
        ],
      };
      for (const [groupId, offsets] of Object.entries(expectedOffsets)) {
        expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual(offsets);
      }

      await Promise.all(admins.splice(0).map((a) => a.disconnect()));
      if (how === 'SIGTERM') {
        expect(await broker.stop()).toBe(0);
      } else {
        await kill9(broker);
        expect(broker.child.signalCode).toBe('SIGKILL');
      }
      await live.kill('SIGKILL');
      const restartedAt = Date.now();
      broker = await startBrokerProcess(node);
      admin = await connectAdmin(node);

      // The live member was loaded with the group and its assignment; it must heartbeat
      // within its session like any member, so it expires ~6 s after the restart.
      const loaded = (await admin.describeGroups([liveGroup])).groups[0];
      expect(loaded).toMatchObject({
        groupId: liveGroup,
        state: 'Stable',
        protocolType: 'consumer',
        protocol: 'RoundRobinAssigner',
      });
      expect(loaded.members.map((m) => [m.memberId, m.clientId])).toEqual([
        [liveJoin.memberId, 'live-member'],
      ]);
      expect(
        sortedAssignment(
          AssignerProtocol.MemberAssignment.decode(loaded.members[0].memberAssignment)!.assignment,
        ),
      ).toEqual({ [topic]: [0, 1, 2] });
      const expired = (async () => {
        for (;;) {
          const group = (await admin.describeGroups([liveGroup])).groups[0];
          if (group.state === 'Empty') return Date.now() - restartedAt;
          if (Date.now() - restartedAt > liveSessionTimeout + 10_000) {
            throw new Error(`live member not expired: ${JSON.stringify(group)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      expired.catch(() => {}); // awaited below; not an unhandled rejection meanwhile

      for (const [groupId, offsets] of Object.entries(expectedOffsets)) {
        expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual(offsets);
      }
      const { groups } = await admin.listGroups();
      for (const groupId of [memberGroup, kcatGroup, liveGroup]) {
        expect(groups).toContainEqual({ groupId, protocolType: 'consumer' });
      }
      for (const groupId of [memberGroup, kcatGroup]) await expectEmptyGroup(admin, groupId);

      // Consumers resume at the commits: kafkajs from the cutoffs, kcat from the end.
      const after = partitionRecords('after', 3, 10, 5);
      await produce(kafkaFor(node), topic, after);
      const resumed = await startMember({
        brokers: [node.bootstrap],
        groupId: memberGroup,
        topic,
        clientId: 'restart-resumer',
      });
      members.push(resumed);
      const expectedResumed = [
        ...before.filter((r) => Number(r.value.split('-o')[1]) >= cutoff[r.partition]),
        ...after,
      ]
        .map((r) => r.value)
        .sort();
      await waitUntil(
        () => resumed.messages.length >= expectedResumed.length,
        20_000,
        () => JSON.stringify(resumed.messages),
      );
      expect(resumed.messages.map((m) => m.value).sort()).toEqual(expectedResumed);
      for (const m of resumed.messages) {
        expect(m.offset).toBeGreaterThanOrEqual(BigInt(cutoff[m.partition]));
      }
      await resumed.stop();

      const kcatResumed = await kcatGroupConsume(node.bootstrap, kcatGroup, topic);
      expect(kcatResumed.sort(byPartitionAndOffset)).toEqual(
        after.map((r, i) => ({ partition: r.partition, offset: 10 + (i % 5), value: r.value })),
      );

      const expiredAfterMs = await expired;
      // Its session started over when the restarted broker loaded the group.
      expect(expiredAfterMs).toBeGreaterThanOrEqual(liveSessionTimeout);
    }, 90_000);
  }
});

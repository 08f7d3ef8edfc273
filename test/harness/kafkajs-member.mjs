/**
 * Child process of the consumer-group integration tests: one kafkajs group member that
 * subscribes to one topic, so a test can SIGKILL a member (no LeaveGroup, no clean close)
 * and watch the group recover once the member's session lapses.
 *
 * Argument: one JSON object
 *   { brokers: string[], groupId, topic, clientId, sessionTimeout, heartbeatInterval,
 *     rebalanceTimeout?, maxWaitTimeInMs?, fromBeginning? }
 * Protocol on stdout, one JSON object a line, written synchronously:
 *   {"type":"join","memberId","leaderId","isLeader","assignment":{topic:[partitions]}}
 *   {"type":"heartbeat","memberId","generation"}
 *   {"type":"message","partition","offset","key","value"}   offset as a decimal string
 *   {"type":"crash","error"}    kafkajs gave up (the consumer crashed without restarting)
 *   {"type":"stopped"}          after SIGTERM: left the group and disconnected
 *   {"type":"error","error"}    anything else; the process then exits with code 1
 * The member never commits: the tests that use it are about membership, not offsets.
 */
import { writeSync } from 'node:fs';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

const line = (obj) => writeSync(1, `${JSON.stringify(obj)}\n`);

function fail(err) {
  line({ type: 'error', error: String(err?.stack ?? err) });
  process.exit(1);
}

process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

const args = JSON.parse(process.argv[2]);

const kafka = new Kafka({
  clientId: args.clientId,
  brokers: args.brokers,
  logLevel: logLevel.NOTHING,
  retry: { retries: 8, initialRetryTime: 200 },
});
const consumer = kafka.consumer({
  groupId: args.groupId,
  sessionTimeout: args.sessionTimeout,
  heartbeatInterval: args.heartbeatInterval,
  rebalanceTimeout: args.rebalanceTimeout ?? 30_000,
  maxWaitTimeInMs: args.maxWaitTimeInMs ?? 500,
  retry: { retries: 8, initialRetryTime: 200 },
});

consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
  line({
    type: 'join',
    memberId: payload.memberId,
    leaderId: payload.leaderId,
    isLeader: payload.isLeader,
    assignment: payload.memberAssignment,
  }),
);
consumer.on(consumer.events.HEARTBEAT, ({ payload }) =>
  line({ type: 'heartbeat', memberId: payload.memberId, generation: payload.groupGenerationId }),
);
consumer.on(consumer.events.CRASH, ({ payload }) => {
  if (!payload.restart) line({ type: 'crash', error: String(payload.error?.message) });
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  consumer
    .disconnect()
    .then(() => {
      line({ type: 'stopped' });
      process.exit(0);
    })
    .catch(fail);
});

await consumer.connect();
await consumer.subscribe({ topics: [args.topic], fromBeginning: args.fromBeginning ?? true });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    line({
      type: 'message',
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? null,
      value: message.value?.toString() ?? null,
    });
  },
});

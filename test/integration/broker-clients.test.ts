import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  prepareBrokerNode,
  requireBuiltBroker,
  run,
  startBrokerProcess,
  type BrokerNode,
  type RunningBrokerProcess,
} from '../harness/broker-process.js';

/**
 * `bin/broker` as a real process, driven by kafkajs (admin, idempotent producer) and by
 * confluent-kafka-python (idempotent producer with acks=all, a consumer with manual
 * assignment: no group APIs exist yet).
 */

const KCAT = '/usr/bin/kcat';
/** The Debian python that has confluent_kafka installed. */
const SYSTEM_PYTHON = '/usr/bin/python3';

const CONFLUENT_SCRIPT = `
import json, sys
from confluent_kafka import Producer, Consumer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
producer = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all',
                     'compression.type': 'zstd', 'linger.ms': 5})
errors = []
def delivered(err, msg):
    if err is not None:
        errors.append(str(err))
for i in range(count):
    producer.produce(topic, key=f'key-{i}', value=f'value-{i}', headers=[('i', str(i).encode())],
                     on_delivery=delivered)
remaining = producer.flush(15)
if remaining or errors:
    print(json.dumps({'error': errors, 'undelivered': remaining}))
    sys.exit(1)

consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused-manual-assignment',
                     'enable.auto.commit': False, 'enable.partition.eof': True})
consumer.assign([TopicPartition(topic, 0, 0)])
records = []
while True:
    msg = consumer.poll(10)
    if msg is None:
        break
    if msg.error():
        if msg.error().code() == -191:  # _PARTITION_EOF
            break
        print(json.dumps({'error': str(msg.error())}))
        sys.exit(1)
    records.append({'key': msg.key().decode(), 'value': msg.value().decode(), 'offset': msg.offset(),
                    'headers': [[k, v.decode()] for k, v in (msg.headers() or [])]})
consumer.close()
print(json.dumps({'records': records}))
`;

describe('bin/broker with kafkajs and confluent-kafka', () => {
  let dir: string;
  let node: BrokerNode;
  let broker: RunningBrokerProcess | undefined;

  beforeAll(async () => {
    requireBuiltBroker();
    dir = await mkdtemp(join(tmpdir(), 'broker-clients-'));
    node = await prepareBrokerNode(dir, { 'auto.create.topics.enable': 'false' });
    broker = await startBrokerProcess(node);
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('kafkajs: admin creates, lists and deletes topics; an idempotent producer sends', async () => {
    const kafka = new Kafka({
      clientId: 'broker-clients-test',
      brokers: [node.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await admin.connect();
    await producer.connect();
    try {
      expect(
        await admin.createTopics({
          topics: [
            { topic: 'kafkajs-a', numPartitions: 3 },
            { topic: 'kafkajs-b', numPartitions: 1 },
          ],
          waitForLeaders: true,
        }),
      ).toBe(true);
      expect((await admin.listTopics()).sort()).toEqual(['kafkajs-a', 'kafkajs-b']);

      const metadata = await admin.fetchTopicMetadata({ topics: ['kafkajs-a'] });
      expect(metadata.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);

      const sent = await producer.send({
        topic: 'kafkajs-b',
        acks: -1,
        messages: Array.from({ length: 20 }, (_, i) => ({
          key: `key-${i}`,
          value: `value-${i}`,
          headers: { n: String(i) },
        })),
      });
      expect(sent[0].errorCode).toBe(0);
      expect(sent[0].baseOffset).toBe('0');

      const offsets = await admin.fetchTopicOffsets('kafkajs-b');
      expect(offsets).toEqual([
        expect.objectContaining({ partition: 0, low: '0', high: '20', offset: '20' }),
      ]);

      // Read back with kcat: kafkajs consumers need the group APIs.
      const read = await run(
        KCAT,
        [
          '-b',
          node.bootstrap,
          '-C',
          '-t',
          'kafkajs-b',
          '-o',
          'beginning',
          '-e',
          '-f',
          '%k=%s %h %o\n',
        ],
        { timeoutMs: 20_000 },
      );
      expect(read.code, read.stderr).toBe(0);
      expect(read.stdout.trim().split('\n')).toEqual(
        Array.from({ length: 20 }, (_, i) => `key-${i}=value-${i} n=${i} ${i}`),
      );

      await admin.deleteTopics({ topics: ['kafkajs-a'] });
      expect(await admin.listTopics()).toEqual(['kafkajs-b']);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 60_000);

  it('kafkajs: without auto-creation an unknown topic is UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const kafka = new Kafka({
      brokers: [node.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await expect(admin.fetchTopicMetadata({ topics: ['no-such-topic'] })).rejects.toMatchObject({
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
      });
    } finally {
      await admin.disconnect();
    }
  }, 30_000);

  it('confluent-kafka: idempotent acks=all producer, consumer with manual assign', async () => {
    const topic = 'confluent-topic';
    const kafka = new Kafka({ brokers: [node.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();

    const script = join(dir, 'confluent-roundtrip.py');
    await writeFile(script, CONFLUENT_SCRIPT);
    const result = await run(SYSTEM_PYTHON, [script, node.bootstrap, topic, '30'], {
      timeoutMs: 45_000,
    });
    expect(result.timedOut, result.stderr).toBe(false);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const { records } = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      records: { key: string; value: string; offset: number; headers: [string, string][] }[];
    };
    expect(records).toEqual(
      Array.from({ length: 30 }, (_, i) => ({
        key: `key-${i}`,
        value: `value-${i}`,
        offset: i,
        headers: [['i', String(i)]],
      })),
    );
  }, 60_000);
});

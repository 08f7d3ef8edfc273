import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
 * `bin/broker` as a real process, driven by the Python clients of the Debian system python:
 * kafka-python (pure Python protocol code) and confluent-kafka (librdkafka). Producers send
 * keyed records with headers and timestamps; consumers with manual assignment (no group
 * APIs yet) read them back, compared field by field.
 */

/** The Debian python that has `kafka` (kafka-python) and `confluent_kafka` installed. */
const SYSTEM_PYTHON = '/usr/bin/python3';
const COUNT = 40;
const BASE_TIMESTAMP = 1_700_000_000_000;

const KAFKA_PYTHON_SCRIPT = `
import json, sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

bootstrap, topic, compression, count, base_ts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
admin.close()

producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', retries=5,
                         compression_type=None if compression == 'none' else compression,
                         linger_ms=5, request_timeout_ms=10000)
futures = []
for i in range(count):
    futures.append(producer.send(topic, key=f'key-{i}'.encode(), value=f'value-{compression}-{i}'.encode(),
                                 headers=[('i', str(i).encode()), ('codec', compression.encode())],
                                 timestamp_ms=base_ts + i, partition=0))
producer.flush(15)
acked = [f.get(timeout=15) for f in futures]
producer.close(5)

consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                         consumer_timeout_ms=5000, request_timeout_ms=11000)
tp = TopicPartition(topic, 0)
consumer.assign([tp])
consumer.seek_to_beginning(tp)
end = consumer.end_offsets([tp])[tp]
records = []
while len(records) < end:
    batch = consumer.poll(timeout_ms=2000)
    if not batch:
        break
    for msg in batch.get(tp, []):
        records.append({'key': msg.key.decode(), 'value': msg.value.decode(), 'offset': msg.offset,
                        'timestamp': msg.timestamp, 'timestampType': msg.timestamp_type,
                        'headers': [[k, v.decode()] for k, v in msg.headers]})
consumer.close()
print(json.dumps({'acked': [[m.offset, m.timestamp] for m in acked], 'end': end, 'records': records}))
`;

const CONFLUENT_SCRIPT = `
import json, sys
from confluent_kafka import Producer, Consumer, TopicPartition

bootstrap, topic, compression, count, base_ts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
producer = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all',
                     'compression.type': compression, 'linger.ms': 5})
errors, acked = [], []
def delivered(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        acked.append(msg.offset())
for i in range(count):
    producer.produce(topic, partition=0, key=f'key-{i}', value=f'value-{compression}-{i}',
                     headers=[('i', str(i).encode()), ('codec', compression.encode())],
                     timestamp=base_ts + i, on_delivery=delivered)
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
    ts_type, ts = msg.timestamp()
    records.append({'key': msg.key().decode(), 'value': msg.value().decode(), 'offset': msg.offset(),
                    'timestamp': ts, 'timestampType': ts_type - 1,
                    'headers': [[k, v.decode()] for k, v in (msg.headers() or [])]})
consumer.close()
print(json.dumps({'acked': sorted(acked), 'records': records}))
`;

interface PyRecord {
  key: string;
  value: string;
  offset: number;
  timestamp: number;
  timestampType: number;
  headers: [string, string][];
}

function expectedRecords(codec: string): PyRecord[] {
  return Array.from({ length: COUNT }, (_, i) => ({
    key: `key-${i}`,
    value: `value-${codec}-${i}`,
    offset: i,
    timestamp: BASE_TIMESTAMP + i,
    timestampType: 0, // CreateTime
    headers: [
      ['i', String(i)],
      ['codec', codec],
    ],
  }));
}

function lastJsonLine<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}

describe('bin/broker with Python clients', () => {
  let dir: string;
  let node: BrokerNode;
  let broker: RunningBrokerProcess | undefined;

  beforeAll(async () => {
    requireBuiltBroker();
    dir = await mkdtemp(join(tmpdir(), 'broker-python-'));
    node = await prepareBrokerNode(dir);
    broker = await startBrokerProcess(node);
    await writeFile(join(dir, 'kafka-python-roundtrip.py'), KAFKA_PYTHON_SCRIPT);
    await writeFile(join(dir, 'confluent-roundtrip.py'), CONFLUENT_SCRIPT);
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  // kafka-python compresses gzip itself; snappy/lz4/zstd need modules the system lacks.
  for (const codec of ['none', 'gzip']) {
    it(`kafka-python: producer (${codec}) and assigned consumer, field by field`, async () => {
      const topic = `kafka-python-${codec}`;
      const result = await run(
        SYSTEM_PYTHON,
        [
          join(dir, 'kafka-python-roundtrip.py'),
          node.bootstrap,
          topic,
          codec,
          String(COUNT),
          String(BASE_TIMESTAMP),
        ],
        { timeoutMs: 60_000 },
      );
      expect(result.timedOut, result.stderr).toBe(false);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      const out = lastJsonLine<{ acked: [number, number][]; end: number; records: PyRecord[] }>(
        result.stdout,
      );
      expect(out.acked.map(([offset]) => offset)).toEqual(
        Array.from({ length: COUNT }, (_, i) => i),
      );
      expect(out.end).toBe(COUNT);
      expect(out.records).toEqual(expectedRecords(codec));
    }, 90_000);
  }

  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
    it(`confluent-kafka: idempotent acks=all producer (${codec}), assigned consumer`, async () => {
      const topic = `confluent-${codec}`;
      const result = await run(
        SYSTEM_PYTHON,
        [
          join(dir, 'confluent-roundtrip.py'),
          node.bootstrap,
          topic,
          codec,
          String(COUNT),
          String(BASE_TIMESTAMP),
        ],
        { timeoutMs: 60_000 },
      );
      expect(result.timedOut, result.stderr).toBe(false);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      const out = lastJsonLine<{ acked: number[]; records: PyRecord[] }>(result.stdout);
      expect(out.acked).toEqual(Array.from({ length: COUNT }, (_, i) => i));
      expect(out.records).toEqual(expectedRecords(codec));
    }, 90_000);
  }

  it('kafka-python reads the gzip topic confluent-kafka wrote (idempotent batches)', async () => {
    const script = `
import json, sys
from kafka import KafkaConsumer, TopicPartition
consumer = KafkaConsumer(bootstrap_servers=sys.argv[1], group_id=None, enable_auto_commit=False,
                         request_timeout_ms=11000)
tp = TopicPartition(sys.argv[2], 0)
consumer.assign([tp])
consumer.seek_to_beginning(tp)
records = []
while len(records) < int(sys.argv[3]):
    batch = consumer.poll(timeout_ms=5000)
    if not batch:
        break
    records.extend(msg.value.decode() for msg in batch.get(tp, []))
consumer.close()
print(json.dumps(records))
`;
    await writeFile(join(dir, 'kafka-python-read.py'), script);
    const result = await run(
      SYSTEM_PYTHON,
      [join(dir, 'kafka-python-read.py'), node.bootstrap, 'confluent-gzip', String(COUNT)],
      { timeoutMs: 60_000 },
    );
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(lastJsonLine<string[]>(result.stdout)).toEqual(
      Array.from({ length: COUNT }, (_, i) => `value-gzip-${i}`),
    );
  }, 90_000);
});

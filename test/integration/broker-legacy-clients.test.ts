import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  run,
  startTempBroker,
  type BrokerNode,
  type TempBroker,
} from '../harness/broker-process.js';

/**
 * Clients that speak the old protocol versions (Produce v0-2, Fetch v0-3) with the legacy
 * message formats v0 and v1: librdkafka told to assume an old broker, and kafka-python
 * pinned to an old api_version. The broker converts on the way in and out; records written
 * by old clients read back with new ones and the reverse.
 */

const KCAT = '/usr/bin/kcat';
const SYSTEM_PYTHON = '/usr/bin/python3';
/** key, value, offset, timestamp (-1 when none); one record per line. */
const FORMAT = '%k\t%s\t%o\t%T\n';
const CODECS = ['none', 'gzip', 'snappy', 'lz4'] as const;

/** librdkafka's fallback broker versions: Produce/Fetch v0 + magic 0, v1 + magic 0, v2 + magic 1. */
const LEGACY_PROTOCOLS = [
  { fallback: '0.8.2.2', magic: 0 },
  { fallback: '0.9.0.1', magic: 0 },
  { fallback: '0.10.0.1', magic: 1 },
] as const;

function legacyArgs(fallback: string): string[] {
  return ['-X', 'api.version.request=false', '-X', `broker.version.fallback=${fallback}`];
}

interface Consumed {
  key: string;
  value: string;
  offset: number;
  timestamp: number;
}

async function kcatProduce(bootstrap: string, topic: string, lines: string[], args: string[]) {
  const result = await run(KCAT, ['-b', bootstrap, '-P', '-t', topic, '-K', ':', ...args], {
    input: lines.map((l) => `${l}\n`).join(''),
    timeoutMs: 20_000,
  });
  expect(result.code, result.stderr).toBe(0);
  // kcat exits 0 even when a delivery fails; it reports the failure on stderr.
  expect(result.stderr).not.toMatch(/fail|error/i);
}

async function kcatConsume(bootstrap: string, topic: string, args: string[] = []) {
  const result = await run(
    KCAT,
    ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', FORMAT, ...args],
    { timeoutMs: 20_000 },
  );
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line): Consumed => {
      const [key, value, offset, timestamp] = line.split('\t');
      return { key, value, offset: Number(offset), timestamp: Number(timestamp) };
    });
}

const KAFKA_PYTHON_SCRIPT = `
import json, sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition

bootstrap, topic, version = sys.argv[1], sys.argv[2], tuple(int(p) for p in sys.argv[3].split('.'))
producer = KafkaProducer(bootstrap_servers=bootstrap, api_version=version, compression_type='gzip',
                         linger_ms=20)
futures = [producer.send(topic, key=b'k%d' % i, value=b'v%d' % i, partition=0,
                         timestamp_ms=1700000000000 + i if version >= (0, 10) else None)
           for i in range(6)]
producer.flush(15)
acked = [f.get(timeout=15).offset for f in futures]
producer.close(5)

consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=version, group_id=None,
                         enable_auto_commit=False, consumer_timeout_ms=3000)
tp = TopicPartition(topic, 0)
consumer.assign([tp])
consumer.seek(tp, 2)  # inside the compressed batch: the client skips what it did not ask for
records = [[m.offset, m.key.decode(), m.value.decode(), m.timestamp] for m in consumer]
consumer.close()
print(json.dumps({'acked': acked, 'records': records}))
`;

describe('bin/broker with old-protocol clients (message formats v0 and v1)', () => {
  let broker: TempBroker | undefined;
  let node: BrokerNode;

  beforeAll(async () => {
    broker = await startTempBroker('broker-legacy-');
    node = broker.node;
    await writeFile(join(node.dir, 'kafka-python-legacy.py'), KAFKA_PYTHON_SCRIPT);
  }, 60_000);

  afterAll(async () => {
    await broker?.close();
  }, 30_000);

  for (const { fallback, magic } of LEGACY_PROTOCOLS) {
    it(`kcat as a ${fallback} client produces every codec and reads it back; new clients read it too`, async () => {
      const topic = `legacy-${fallback.replaceAll('.', '-')}`;
      const expected: Omit<Consumed, 'timestamp'>[] = [];
      for (const codec of CODECS) {
        const lines = Array.from({ length: 5 }, (_, i) => `key-${codec}-${i}:value-${codec}-${i}`);
        await kcatProduce(node.bootstrap, topic, lines, ['-z', codec, ...legacyArgs(fallback)]);
        for (const line of lines) {
          const [key, value] = line.split(':');
          expected.push({ key, value, offset: expected.length });
        }
      }
      const old = await kcatConsume(node.bootstrap, topic, legacyArgs(fallback));
      const current = await kcatConsume(node.bootstrap, topic);
      for (const consumed of [old, current]) {
        expect(consumed.map(({ key, value, offset }) => ({ key, value, offset }))).toEqual(
          expected,
        );
      }
      // Format v0 has no timestamps (stored as -1); v1 carries the producer's.
      if (magic === 0) expect(current.every((r) => r.timestamp === -1)).toBe(true);
      else expect(current.every((r) => r.timestamp > 1_600_000_000_000)).toBe(true);
      expect(old.map((r) => r.timestamp)).toEqual(
        current.map((r) => (magic === 0 ? 0 : r.timestamp)),
      );
    }, 90_000);
  }

  it('old kcat clients read records that a current client wrote (down-conversion)', async () => {
    const topic = 'legacy-down-conversion';
    const lines = Array.from({ length: 20 }, (_, i) => `k${i}:v${i}`);
    await kcatProduce(node.bootstrap, topic, lines.slice(0, 10), ['-z', 'lz4']);
    await kcatProduce(node.bootstrap, topic, lines.slice(10), ['-H', 'dropped=header']);
    const current = await kcatConsume(node.bootstrap, topic);
    for (const { fallback, magic } of LEGACY_PROTOCOLS) {
      const old = await kcatConsume(node.bootstrap, topic, legacyArgs(fallback));
      expect(old.map(({ key, value, offset }) => `${offset}:${key}:${value}`)).toEqual(
        lines.map((line, i) => `${i}:${line}`),
      );
      expect(old.map((r) => r.timestamp)).toEqual(
        current.map((r) => (magic === 0 ? 0 : r.timestamp)),
      );
    }
  }, 90_000);

  for (const version of ['0.9', '0.10.1']) {
    it(`kafka-python pinned to api_version ${version} produces gzip and fetches from inside a batch`, async () => {
      const topic = `legacy-python-${version.replaceAll('.', '-')}`;
      const result = await run(
        SYSTEM_PYTHON,
        [join(node.dir, 'kafka-python-legacy.py'), node.bootstrap, topic, version],
        { timeoutMs: 60_000 },
      );
      expect(result.code, result.stderr).toBe(0);
      const output = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
        acked: number[];
        records: [number, string, string, number | null][];
      };
      expect(output.acked).toEqual([0, 1, 2, 3, 4, 5]);
      const withTimestamps = version !== '0.9';
      expect(output.records).toEqual(
        [2, 3, 4, 5].map((i) => [
          i,
          `k${i}`,
          `v${i}`,
          withTimestamps ? 1_700_000_000_000 + i : null,
        ]),
      );
    }, 90_000);
  }
});

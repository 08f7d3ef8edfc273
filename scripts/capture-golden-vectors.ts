/**
 * Captures the exact request bytes that real Kafka clients send, as golden vectors for
 * test/unit/protocol/golden-vectors.test.ts.
 *
 * Starts the capture broker (test/harness/capture-broker.ts) and drives kafkajs, kcat
 * (librdkafka), confluent-kafka (Python, librdkafka) and kafka-python against it, then writes
 * one raw request frame (without the 4-byte size prefix) per client, API, version and
 * variant to test/fixtures/golden/<client>/NN-<api>-v<version>[-<variant>].bin and lists
 * them in test/fixtures/golden/index.json.
 *
 * Needs: kafkajs (devDependency), `kcat` on PATH, and a Python with the confluent_kafka and
 * kafka modules (on Debian: apt-get install kcat python3-confluent-kafka python3-kafka).
 *
 * Run from the repository root (tsc emits dist/ even when unrelated files fail to type-check):
 *   npx tsc -p tsconfig.json; node dist/scripts/capture-golden-vectors.js [options]
 * Options:
 *   --only=kafkajs,kcat        re-capture some clients; index entries of the others are kept
 *   --python=PATH              a Python that has confluent_kafka and kafka (default python3;
 *                              with the Debian packages that is /usr/bin/python3)
 *   --verbose                  print every captured request
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { ApiKey, type RequestsByApiKey } from '../src/protocol/messages/generated/index.js';
import { compressionName, type CompressionTypeId } from '../src/protocol/compression/index.js';
import { readBatches } from '../src/protocol/records/index.js';
import { CaptureBroker, type CapturedRequest } from '../test/harness/capture-broker.js';

const { Kafka, CompressionTypes, logLevel } = kafkajs;

const CLIENTS = ['kafkajs', 'kcat', 'confluent-kafka', 'kafka-python'] as const;
type ClientName = (typeof CLIENTS)[number];

/**
 * What every client produces, so the test can assert exact keys, values and headers. Five
 * records, because librdkafka sends a batch uncompressed when compressing does not shrink it.
 */
const MESSAGES = Array.from({ length: 5 }, (_, i) => ({
  key: `k${i + 1}`,
  value: `golden-value-${i + 1}`,
}));
const HEADER = { key: 'h1', value: 'v1' } as const;

export interface GoldenIndexEntry {
  client: ClientName;
  /** Relative to test/fixtures/golden. */
  file: string;
  apiKey: number;
  apiVersion: number;
  variant: string | null;
}

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [name, value] = arg.replace(/^--/, '').split('=', 2);
    return [name, value ?? 'true'] as const;
  }),
);
const verbose = args.has('verbose');
const python = args.get('python') ?? 'python3';
const only = args.get('only')?.split(',') as ClientName[] | undefined;

function repositoryRoot(): string {
  // Works from scripts/ (source) and dist/scripts/ (compiled) alike.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the script');
    dir = parent;
  }
  return dir;
}

const goldenDir = path.join(repositoryRoot(), 'test', 'fixtures', 'golden');

// ---- running clients ----------------------------------------------------------------

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a client process to completion. After `timeoutMs` it gets SIGINT (librdkafka tools
 * then close cleanly: final commit, LeaveGroup), and SIGKILL if still alive 3 s later.
 */
function run(
  command: string,
  commandArgs: string[],
  options: { input?: string; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    const interrupt = setTimeout(() => {
      timedOut = true;
      child.kill('SIGINT');
    }, options.timeoutMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs + 3000);
    child.on('exit', (code) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      resolve({ code, stdout, stderr, timedOut });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Prints how a client run went; throws when it failed, so its old fixtures are kept. */
function report(label: string, result: RunResult, expectTimeout = false): void {
  const ok = result.code === 0 || (expectTimeout && result.timedOut);
  console.log(
    `  ${label}: ${ok ? 'ok' : `exit ${result.code}${result.timedOut ? ' (timed out)' : ''}`}`,
  );
  if (!ok || verbose) {
    const tail = (result.stderr + result.stdout).trim().split('\n').slice(-15).join('\n    ');
    if (tail) console.log(`    ${tail}`);
  }
  if (!ok) throw new Error(`${label} failed`);
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms),
    ),
  ]);
}

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

async function driveKafkajs(broker: CaptureBroker): Promise<void> {
  const topic = 'golden-kafkajs';
  const kafka = new Kafka({
    clientId: 'golden-kafkajs',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 2, initialRetryTime: 100 },
  });
  const messages = MESSAGES.map((m) => ({ ...m, headers: { [HEADER.key]: HEADER.value } }));

  const admin = kafka.admin();
  await admin.connect();
  await admin.fetchTopicMetadata({ topics: [topic] });
  await admin.disconnect();
  console.log('  admin metadata: ok');

  // kafkajs ships gzip only; snappy, lz4 and zstd need third-party codec plugins.
  for (const [name, compression] of [
    ['none', CompressionTypes.None],
    ['gzip', CompressionTypes.GZIP],
  ] as const) {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, compression, messages });
    await producer.disconnect();
    console.log(`  produce ${name}: ok`);
  }

  const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await idempotent.connect();
  await idempotent.send({ topic, acks: -1, messages });
  await idempotent.disconnect();
  console.log('  idempotent produce: ok');

  const expected = 3 * MESSAGES.length;
  const consumer = kafka.consumer({
    groupId: 'golden-kafkajs-group',
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let received = 0;
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  await consumer.run({
    autoCommit: false,
    eachMessage: async () => {
      if (++received === expected) allReceived();
    },
  });
  try {
    await timeout(done, 15_000, 'kafkajs consumer');
    await consumer.commitOffsets([{ topic, partition: 0, offset: String(expected) }]);
    console.log(`  group consumer: ok (${received} records)`);
  } finally {
    await consumer.disconnect();
  }
}

async function driveKcat(broker: CaptureBroker): Promise<void> {
  const topic = 'golden-kcat';
  const base = ['-b', broker.bootstrap];
  report('metadata -L', await run('kcat', [...base, '-L'], { timeoutMs: 10_000 }));
  const input = MESSAGES.map((m) => `${m.key}:${m.value}\n`).join('');
  for (const codec of CODECS) {
    // A short linger keeps all lines in one batch.
    const produceArgs = ['-P', '-t', topic, '-K:', '-H', `${HEADER.key}=${HEADER.value}`];
    const result = await run('kcat', [...base, ...produceArgs, '-z', codec, '-X', 'linger.ms=50'], {
      input,
      timeoutMs: 10_000,
    });
    report(`produce ${codec}`, result);
  }
  const consume = await run('kcat', [...base, '-C', '-t', topic, '-o', 'beginning', '-e'], {
    timeoutMs: 10_000,
  });
  report(`consume (${consume.stdout.trim().split('\n').length} lines)`, consume);
  const group = await run(
    'kcat',
    [
      ...base,
      '-G',
      'golden-kcat-group',
      topic,
      '-e',
      '-X',
      'auto.offset.reset=earliest',
      '-X',
      'auto.commit.interval.ms=200',
      '-X',
      'fetch.wait.max.ms=100',
    ],
    { timeoutMs: 8000 },
  );
  report('balanced consumer -G', group, true);
}

/** confluent-kafka: idempotent producers with every codec, then a committing group consumer. */
const CONFLUENT_SCRIPT = `
import sys, time
from confluent_kafka import Producer, Consumer
bootstrap, topic, group, messages, header = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
pairs = [m.split(':', 1) for m in messages.split(',')]
hkey, hvalue = header.split('=', 1)
for codec in ['none', 'gzip', 'snappy', 'lz4', 'zstd']:
    p = Producer({'bootstrap.servers': bootstrap, 'client.id': 'golden-confluent-kafka',
                  'enable.idempotence': True, 'acks': 'all', 'compression.type': codec,
                  'linger.ms': 50})
    for k, v in pairs:
        p.produce(topic, key=k.encode(), value=v.encode(), headers=[(hkey, hvalue.encode())])
    left = p.flush(10)
    print('produce', codec, 'unflushed', left, flush=True)
expected = 5 * len(pairs)
c = Consumer({'bootstrap.servers': bootstrap, 'client.id': 'golden-confluent-kafka',
              'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
              'fetch.wait.max.ms': 100})
c.subscribe([topic])
got, deadline = 0, time.time() + 15
while got < expected and time.time() < deadline:
    m = c.poll(0.2)
    if m is not None and not m.error():
        got += 1
print('consumed', got, flush=True)
c.commit(asynchronous=False)
c.close()
`;

async function driveConfluent(broker: CaptureBroker): Promise<void> {
  const result = await run(
    python,
    [
      '-c',
      CONFLUENT_SCRIPT,
      broker.bootstrap,
      'golden-confluent-kafka',
      'golden-confluent-kafka-group',
      pythonMessages(),
      pythonHeader(),
    ],
    { timeoutMs: 60_000 },
  );
  report(`producers and consumer (${result.stdout.trim().replace(/\n/g, '; ')})`, result);
}

/** kafka-python: the Debian package has gzip built in; the other codecs need extra modules. */
const KAFKA_PYTHON_SCRIPT = `
import sys
from kafka import KafkaProducer, KafkaConsumer
from kafka.codec import has_snappy, has_lz4, has_zstd
bootstrap, topic, group, messages, header = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
pairs = [m.split(':', 1) for m in messages.split(',')]
hkey, hvalue = header.split('=', 1)
codecs = [None, 'gzip'] + [c for c, ok in (('snappy', has_snappy()), ('lz4', has_lz4()), ('zstd', has_zstd())) if ok]
for codec in codecs:
    p = KafkaProducer(bootstrap_servers=bootstrap, client_id='golden-kafka-python',
                      compression_type=codec, linger_ms=50)
    for k, v in pairs:
        p.send(topic, key=k.encode(), value=v.encode(), headers=[(hkey, hvalue.encode())])
    p.flush(10)
    p.close(5)
    print('produce', codec, flush=True)
c = KafkaConsumer(topic, bootstrap_servers=bootstrap, client_id='golden-kafka-python',
                  group_id=group, auto_offset_reset='earliest', enable_auto_commit=False,
                  consumer_timeout_ms=3000, fetch_max_wait_ms=100)
got = 0
for m in c:
    got += 1
    if got == len(codecs) * len(pairs):
        break
print('consumed', got, flush=True)
c.commit()
c.close()
`;

async function driveKafkaPython(broker: CaptureBroker): Promise<void> {
  const result = await run(
    python,
    [
      '-c',
      KAFKA_PYTHON_SCRIPT,
      broker.bootstrap,
      'golden-kafka-python',
      'golden-kafka-python-group',
      pythonMessages(),
      pythonHeader(),
    ],
    { timeoutMs: 60_000 },
  );
  report(`producers and consumer (${result.stdout.trim().replace(/\n/g, '; ')})`, result);
}

function pythonMessages(): string {
  return MESSAGES.map((m) => `${m.key}:${m.value}`).join(',');
}

function pythonHeader(): string {
  return `${HEADER.key}=${HEADER.value}`;
}

const DRIVERS: Record<ClientName, (broker: CaptureBroker) => Promise<void>> = {
  kafkajs: driveKafkajs,
  kcat: driveKcat,
  'confluent-kafka': driveConfluent,
  'kafka-python': driveKafkaPython,
};

// ---- choosing and writing fixtures ----------------------------------------------------

const API_NAMES = new Map(Object.entries(ApiKey).map(([name, key]) => [key as number, name]));

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Distinguishes requests of one API and version that are worth keeping separately. */
function variantOf(request: CapturedRequest): string | null {
  const decoded = request.decoded;
  if (!decoded) return 'undecodable';
  switch (decoded.apiKey) {
    case ApiKey.Produce: {
      const body = decoded.body as RequestsByApiKey[0];
      const records = body.topicData[0]?.partitionData[0]?.records;
      const batch = records ? readBatches(records)[0] : undefined;
      if (!batch) return 'empty';
      const codec = compressionName(batch.compression as CompressionTypeId);
      return batch.hasProducerId ? `${codec}-idempotent` : codec;
    }
    case ApiKey.Metadata: {
      const { topics } = decoded.body as RequestsByApiKey[3];
      if (topics === null || (decoded.apiVersion === 0 && topics.length === 0)) return 'all-topics';
      return topics.length === 0 ? 'no-topics' : null;
    }
    case ApiKey.JoinGroup:
      return (decoded.body as RequestsByApiKey[11]).memberId === '' ? 'new-member' : 'known-member';
    case ApiKey.ListOffsets: {
      const timestamp = (decoded.body as RequestsByApiKey[2]).topics[0]?.partitions[0]?.timestamp;
      return timestamp === -2n ? 'earliest' : timestamp === -1n ? 'latest' : 'by-timestamp';
    }
    default:
      return null;
  }
}

function writeFixtures(client: ClientName, captured: CapturedRequest[]): GoldenIndexEntry[] {
  const dir = path.join(goldenDir, client);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  const entries: GoldenIndexEntry[] = [];
  for (const request of captured) {
    const variant = variantOf(request);
    const key = `${request.apiKey}/${request.apiVersion}/${variant}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (request.error)
      console.log(`  ! ${client} api ${request.apiKey} v${request.apiVersion}: ${request.error}`);
    const apiName = kebab(API_NAMES.get(request.apiKey) ?? `api-${request.apiKey}`);
    const number = String(entries.length + 1).padStart(2, '0');
    const name = `${number}-${apiName}-v${request.apiVersion}${variant ? `-${variant}` : ''}.bin`;
    writeFileSync(path.join(dir, name), request.frame);
    entries.push({
      client,
      file: `${client}/${name}`,
      apiKey: request.apiKey,
      apiVersion: request.apiVersion,
      variant,
    });
  }
  return entries;
}

async function main(): Promise<boolean> {
  const clients = only ?? [...CLIENTS];
  const indexPath = path.join(goldenDir, 'index.json');
  const previous: GoldenIndexEntry[] = existsSync(indexPath)
    ? (JSON.parse(readFileSync(indexPath, 'utf8')) as GoldenIndexEntry[])
    : [];
  const index = previous.filter((e) => !clients.includes(e.client));
  let failures = 0;
  const broker = await CaptureBroker.start();
  console.log(`capture broker on ${broker.bootstrap}`);
  try {
    for (const client of clients) {
      console.log(`${client}:`);
      broker.drain();
      try {
        await DRIVERS[client](broker);
      } catch (err) {
        // A partial capture would silently drop fixtures; keep the committed ones instead.
        console.log(`  failed, keeping its previous fixtures: ${String(err)}`);
        broker.drain();
        index.push(...previous.filter((e) => e.client === client));
        failures++;
        continue;
      }
      const captured = broker.drain();
      if (verbose) {
        for (const r of captured)
          console.log(
            `    ${API_NAMES.get(r.apiKey)} v${r.apiVersion} ${r.frame.length}B ${r.error ?? ''}`,
          );
      }
      const entries = writeFixtures(client, captured);
      console.log(`  kept ${entries.length} of ${captured.length} requests`);
      index.push(...entries);
    }
  } finally {
    await broker.close();
  }
  index.sort(
    (a, b) => CLIENTS.indexOf(a.client) - CLIENTS.indexOf(b.client) || a.file.localeCompare(b.file),
  );
  writeFileSync(indexPath, `${JSON.stringify(index, null, 2)}\n`);
  console.log(
    `wrote ${index.length} fixtures to ${path.relative(process.cwd(), goldenDir) || '.'}`,
  );
  return failures === 0;
}

const succeeded = await main();
// Client libraries may leave timers behind; the capture is complete.
process.exit(succeeded ? 0 : 1);

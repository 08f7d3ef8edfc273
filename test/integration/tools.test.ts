import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  binPath,
  prepareBrokerNode,
  requireBuiltBroker,
  run,
  startBrokerProcess,
  type BrokerNode,
  type RunResult,
  type RunningBrokerProcess,
} from '../harness/broker-process.js';

/**
 * The Kafka command-line tools (bin/kafka-*) against a real `bin/broker` process: topics,
 * console producer/consumer round trips (cross-checked with kcat), configs, the perf tests,
 * and dump-log over the partition files after a clean shutdown.
 */

const KCAT = '/usr/bin/kcat';

async function tool(name: string, args: readonly string[], input?: string): Promise<RunResult> {
  const result = await run(binPath(name), args, { input, timeoutMs: 30_000 });
  expect(result.timedOut, `${name} timed out: ${result.stderr}`).toBe(false);
  return result;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

describe('Kafka tools against bin/broker', () => {
  let dir: string;
  let node: BrokerNode;
  let broker: RunningBrokerProcess | undefined;
  let bootstrap: string;

  beforeAll(async () => {
    requireBuiltBroker();
    dir = await mkdtemp(join(tmpdir(), 'kafka-tools-'));
    node = await prepareBrokerNode(dir);
    broker = await startBrokerProcess(node);
    bootstrap = node.bootstrap;
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('kafka-topics creates, lists, describes and deletes topics', async () => {
    const create = await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      'tools-a',
      '--partitions',
      '3',
      '--replication-factor',
      '1',
      '--config',
      'retention.ms=123456',
    ]);
    expect(create.code, create.stderr).toBe(0);
    expect(create.stdout).toBe('Created topic tools-a.\n');

    const again = await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      'tools-a',
      '--partitions',
      '1',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Error while executing topic command : .*already exists/);

    const list = await tool('kafka-topics', ['--bootstrap-server', bootstrap, '--list']);
    expect(list.code, list.stderr).toBe(0);
    expect(lines(list.stdout)).toContain('tools-a');

    const described = await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--describe',
      '--topic',
      'tools-a',
    ]);
    expect(described.code, described.stderr).toBe(0);
    const [header, ...partitions] = lines(described.stdout);
    expect(header).toMatch(
      /^Topic: tools-a\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: .*$/,
    );
    if (!/Configs: $/.test(header)) expect(header).toContain('retention.ms=123456');
    expect(partitions).toEqual(
      [0, 1, 2].map(
        (p) =>
          `\tTopic: tools-a\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A`,
      ),
    );

    const del = await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--delete',
      '--topic',
      'tools-a',
    ]);
    expect(del.code, del.stderr).toBe(0);
    const after = await tool('kafka-topics', ['--bootstrap-server', bootstrap, '--list']);
    expect(lines(after.stdout)).not.toContain('tools-a');
    const missing = await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--describe',
      '--topic',
      'tools-a',
    ]);
    expect(missing.code).toBe(1);
  });

  it('kafka-topics --alter adds partitions', async () => {
    await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      'tools-alter',
      '--partitions',
      '1',
    ]);
    const alter = await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--alter',
      '--topic',
      'tools-alter',
      '--partitions',
      '3',
    ]);
    expect(alter.code, alter.stderr).toBe(0);
    const described = await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--describe',
      '--topic',
      'tools-alter',
    ]);
    expect(lines(described.stdout)[0]).toContain('\tPartitionCount: 3\t');
  });

  it('console producer creates a missing topic where the broker auto-creates topics', async () => {
    const produce = await tool(
      'kafka-console-producer',
      ['--bootstrap-server', bootstrap, '--topic', 'tools-auto-created'],
      'first\n',
    );
    expect(produce.code, produce.stderr).toBe(0);
    const consume = await tool('kafka-console-consumer', [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'tools-auto-created',
      '--from-beginning',
      '--max-messages',
      '1',
    ]);
    expect(consume.code, consume.stderr).toBe(0);
    expect(lines(consume.stdout)).toEqual(['first']);
  });

  const produced = ['h1:v1,h2:v2\tk1:hello', '\tk2:world', 'only\tk3:with:colons', 'h4:x\tk4:'];

  it('console producer -> console consumer round trip with keys and headers', async () => {
    await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      'tools-rt',
      '--partitions',
      '1',
    ]);
    const produce = await tool(
      'kafka-console-producer',
      [
        '--bootstrap-server',
        bootstrap,
        '--topic',
        'tools-rt',
        '--property',
        'parse.key=true',
        '--property',
        'key.separator=:',
        '--property',
        'parse.headers=true',
        '--producer-property',
        'acks=1',
      ],
      produced.map((l) => `${l}\n`).join(''),
    );
    expect(produce.code, produce.stderr).toBe(0);

    const consume = await tool('kafka-console-consumer', [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'tools-rt',
      '--from-beginning',
      '--max-messages',
      '4',
      '--property',
      'print.key=true',
      '--property',
      'print.headers=true',
      '--property',
      'print.offset=true',
      '--property',
      'print.partition=true',
      '--property',
      'print.timestamp=true',
      '--property',
      'key.separator=|',
    ]);
    expect(consume.code, consume.stderr).toBe(0);
    expect(consume.stderr).toContain('Processed a total of 4 messages');
    const out = lines(consume.stdout);
    expect(out.map((l) => l.replace(/^CreateTime:\d+\|/, ''))).toEqual([
      'Partition:0|Offset:0|h1:v1,h2:v2|k1|hello',
      'Partition:0|Offset:1|NO_HEADERS|k2|world',
      'Partition:0|Offset:2|only:null|k3|with:colons',
      'Partition:0|Offset:3|h4:x|k4|',
    ]);
    for (const l of out) expect(l).toMatch(/^CreateTime:\d{13}\|/);

    // Values only, default formatter; --partition/--offset; --timeout-ms ends an idle consumer.
    const fromOffset = await tool('kafka-console-consumer', [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'tools-rt',
      '--partition',
      '0',
      '--offset',
      '2',
      '--timeout-ms',
      '1500',
    ]);
    expect(fromOffset.code, fromOffset.stderr).toBe(0);
    expect(fromOffset.stdout).toBe('with:colons\n\n');
    expect(fromOffset.stderr).toContain('Processed a total of 2 messages');
  });

  it('kcat reads what the console producer wrote, and the console consumer reads kcat', async () => {
    const kcatOut = await run(
      KCAT,
      ['-b', bootstrap, '-C', '-t', 'tools-rt', '-o', 'beginning', '-e', '-f', '%k\t%s\t%h\t%o\n'],
      { timeoutMs: 20_000 },
    );
    expect(kcatOut.code, kcatOut.stderr).toBe(0);
    expect(lines(kcatOut.stdout)).toEqual([
      'k1\thello\th1=v1,h2=v2\t0',
      'k2\tworld\t\t1',
      'k3\twith:colons\tonly=NULL\t2',
      'k4\t\th4=x\t3',
    ]);

    await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      'tools-kcat',
      '--partitions',
      '1',
    ]);
    const kcatIn = await run(
      KCAT,
      ['-b', bootstrap, '-P', '-t', 'tools-kcat', '-K', ':', '-H', 'src=kcat', '-z', 'gzip'],
      { input: 'a:1\nb:2\n', timeoutMs: 20_000 },
    );
    expect(kcatIn.code, kcatIn.stderr).toBe(0);
    const consume = await tool('kafka-console-consumer', [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'tools-kcat',
      '--from-beginning',
      '--max-messages',
      '2',
      '--property',
      'print.key=true',
      '--property',
      'print.headers=true',
    ]);
    expect(consume.code, consume.stderr).toBe(0);
    expect(consume.stdout).toBe('src:kcat\ta\t1\nsrc:kcat\tb\t2\n');
  });

  it('console producer compresses with --compression-codec', async () => {
    await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      'tools-zstd',
      '--partitions',
      '1',
    ]);
    const values = Array.from({ length: 50 }, (_, i) => `value-${i}`);
    const produce = await tool(
      'kafka-console-producer',
      ['--bootstrap-server', bootstrap, '--topic', 'tools-zstd', '--compression-codec', 'zstd'],
      values.map((v) => `${v}\n`).join(''),
    );
    expect(produce.code, produce.stderr).toBe(0);
    const consume = await tool('kafka-console-consumer', [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'tools-zstd',
      '--from-beginning',
      '--max-messages',
      '50',
    ]);
    expect(lines(consume.stdout)).toEqual(values);
  });

  it('kafka-configs describes and alters topic configs', async () => {
    const toolsRtConfigs = (args: string[]) =>
      tool('kafka-configs', [
        '--bootstrap-server',
        bootstrap,
        '--entity-type',
        'topics',
        '--entity-name',
        'tools-rt',
        ...args,
      ]);
    const describe0 = await toolsRtConfigs(['--describe']);
    expect(describe0.code, describe0.stderr).toBe(0);
    expect(describe0.stdout).toBe('Dynamic configs for topic tools-rt are:\n');

    const alter = await toolsRtConfigs([
      '--alter',
      '--add-config',
      'retention.ms=86400000,max.message.bytes=200000',
    ]);
    expect(alter.code, alter.stderr).toBe(0);
    expect(alter.stdout).toBe('Completed updating config for topic tools-rt.\n');

    const describe1 = await toolsRtConfigs(['--describe']);
    expect(lines(describe1.stdout)).toEqual([
      'Dynamic configs for topic tools-rt are:',
      expect.stringMatching(
        /^ {2}max\.message\.bytes=200000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:max\.message\.bytes=200000.*\}$/,
      ),
      expect.stringMatching(
        /^ {2}retention\.ms=86400000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=86400000.*\}$/,
      ),
    ]);

    const remove = await toolsRtConfigs(['--alter', '--delete-config', 'max.message.bytes']);
    expect(remove.code, remove.stderr).toBe(0);
    const describe2 = await toolsRtConfigs(['--describe']);
    expect(lines(describe2.stdout)).toHaveLength(2);
    expect(describe2.stdout).toContain('retention.ms=86400000');
  });

  it('kafka-producer-perf-test prints ProducerPerformance lines', async () => {
    await tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      'tools-perf',
      '--partitions',
      '2',
    ]);
    const perf = await tool('kafka-producer-perf-test', [
      '--topic',
      'tools-perf',
      '--num-records',
      '3000',
      '--record-size',
      '100',
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
      'acks=1',
    ]);
    expect(perf.code, perf.stderr).toBe(0);
    const last = lines(perf.stdout).at(-1)!;
    expect(last).toMatch(
      /^3000 records sent, \d+\.\d{6} records\/sec \(\d+\.\d{2} MB\/sec\), \d+\.\d{2} ms avg latency, \d+\.\d{2} ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/,
    );
  });

  it('kafka-consumer-perf-test prints the header and the CSV result line', async () => {
    const perf = await tool('kafka-consumer-perf-test', [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      'tools-perf',
      '--messages',
      '3000',
      '--timeout',
      '5000',
    ]);
    expect(perf.code, perf.stderr).toBe(0);
    const [header, result] = lines(perf.stdout);
    expect(header).toBe(
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
    );
    const date = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}:\\d{3}';
    expect(result).toMatch(
      new RegExp(
        `^${date}, ${date}, 0\\.2861, \\d+\\.\\d{4}, 3000, \\d+\\.\\d{4}, 0, \\d+, \\d+\\.\\d{4}, \\d+\\.\\d{4}$`,
      ),
    );
  });

  it('kafka-dump-log shows the produced batches, records and indexes after shutdown', async () => {
    await broker!.stop();
    broker = undefined;
    const partitionDir = join(node.dir, 'logs', 'tools-rt-0');
    const logFile = join(partitionDir, '00000000000000000000.log');
    const dump = await tool('kafka-dump-log', ['--files', logFile, '--print-data-log']);
    expect(dump.code, dump.stderr).toBe(0);
    const out = lines(dump.stdout);
    expect(out[0]).toBe(`Dumping ${logFile}`);
    expect(out[1]).toBe('Log starting offset: 0');
    const batchLines = out.filter((l) => l.startsWith('baseOffset:'));
    expect(batchLines.length).toBeGreaterThan(0);
    expect(batchLines[0]).toMatch(
      /^baseOffset: 0 lastOffset: \d+ count: \d+ baseSequence: -?\d+ lastSequence: -?\d+ producerId: -?\d+ producerEpoch: -?\d+ partitionLeaderEpoch: \d+ isTransactional: false isControl: false deleteHorizonMs: OptionalLong\.empty position: 0 CreateTime: \d+ size: \d+ magic: 2 compresscodec: none crc: \d+ isvalid: true$/,
    );
    const records = out
      .filter((l) => l.startsWith('|'))
      .map((l) =>
        l.replace(/CreateTime: \d+/, 'CreateTime: T').replace(/sequence: -?\d+/, 'sequence: S'),
      );
    expect(records).toEqual([
      '| offset: 0 CreateTime: T keySize: 2 valueSize: 5 sequence: S headerKeys: [h1, h2] key: k1 payload: hello',
      '| offset: 1 CreateTime: T keySize: 2 valueSize: 5 sequence: S headerKeys: [] key: k2 payload: world',
      '| offset: 2 CreateTime: T keySize: 2 valueSize: 11 sequence: S headerKeys: [only] key: k3 payload: with:colons',
      '| offset: 3 CreateTime: T keySize: 2 valueSize: 0 sequence: S headerKeys: [h4] key: k4 payload: ',
    ]);

    // Indexes of a partition with enough data for entries (index.interval.bytes=4096).
    const perfDir = join(node.dir, 'logs', 'tools-perf-0');
    const files = await readdir(perfDir);
    expect(files).toContain('00000000000000000000.index');
    const perfLog = join(perfDir, '00000000000000000000.log');
    const index = join(perfDir, '00000000000000000000.index');
    const timeIndex = join(perfDir, '00000000000000000000.timeindex');
    const dumped = await tool('kafka-dump-log', ['--files', `${perfLog},${index},${timeIndex}`]);
    expect(dumped.code, dumped.stderr).toBe(0);
    const all = lines(dumped.stdout);
    const batches = new Map<number, number>(); // position -> lastOffset
    for (const l of all) {
      const m = /^baseOffset: \d+ lastOffset: (\d+) .* position: (\d+) /.exec(l);
      if (m) batches.set(Number(m[2]), Number(m[1]));
    }
    const indexStart = all.indexOf(`Dumping ${index}`);
    const timeStart = all.indexOf(`Dumping ${timeIndex}`);
    expect(indexStart).toBeGreaterThan(0);
    expect(timeStart).toBeGreaterThan(indexStart);
    const indexLines = all.slice(indexStart + 1, timeStart);
    expect(indexLines.length).toBeGreaterThan(0);
    for (const l of indexLines) {
      const m = /^offset: (\d+) position: (\d+)$/.exec(l);
      expect(m, l).not.toBeNull();
      expect(batches.get(Number(m![2]))).toBe(Number(m![1]));
    }
    const timeLines = all.slice(timeStart + 1);
    expect(timeLines.length).toBeGreaterThan(0);
    const lastOffsets = new Set(batches.values());
    for (const l of timeLines) {
      const m = /^timestamp: (\d+) offset: (\d+)$/.exec(l);
      expect(m, l).not.toBeNull();
      expect(lastOffsets.has(Number(m![2]))).toBe(true);
    }
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROKER_BIN,
  prepareBrokerNode,
  requireBuiltBroker,
  run,
  startBrokerProcess,
  type BrokerNode,
  type RunningBrokerProcess,
} from '../harness/broker-process.js';

/**
 * `bin/broker` as a real process, driven by kcat (librdkafka): metadata, produce with every
 * compression codec and read back field by field, and a restart that keeps everything.
 */

const KCAT = '/usr/bin/kcat';
/** key, value, headers, partition, offset; tab-separated, one record per line. */
const CONSUME_FORMAT = '%k\t%s\t%h\t%p\t%o\n';

interface ConsumedRecord {
  key: string;
  value: string;
  headers: string;
  partition: number;
  offset: number;
}

function parseConsumed(stdout: string): ConsumedRecord[] {
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [key, value, headers, partition, offset] = line.split('\t');
      return { key, value, headers, partition: Number(partition), offset: Number(offset) };
    });
}

async function produce(
  bootstrap: string,
  topic: string,
  lines: readonly string[],
  extraArgs: readonly string[] = [],
): Promise<void> {
  const result = await run(
    KCAT,
    [
      '-b',
      bootstrap,
      '-P',
      '-t',
      topic,
      '-K',
      ':',
      '-H',
      'source=kcat',
      '-H',
      'kind=test',
      ...extraArgs,
    ],
    { input: lines.map((l) => `${l}\n`).join(''), timeoutMs: 20_000 },
  );
  expect(result.timedOut, result.stderr).toBe(false);
  expect(result.code, result.stderr).toBe(0);
}

async function consume(bootstrap: string, topic: string): Promise<ConsumedRecord[]> {
  const result = await run(
    KCAT,
    ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', CONSUME_FORMAT],
    { timeoutMs: 20_000 },
  );
  expect(result.timedOut, result.stderr).toBe(false);
  expect(result.code, result.stderr).toBe(0);
  return parseConsumed(result.stdout);
}

function expectedRecords(lines: readonly string[]): ConsumedRecord[] {
  return lines.map((line, offset) => {
    const [key, value] = line.split(':');
    return { key, value, headers: 'source=kcat,kind=test', partition: 0, offset };
  });
}

describe('bin/broker with kcat', () => {
  let dir: string;
  let node: BrokerNode;
  let broker: RunningBrokerProcess | undefined;

  beforeAll(async () => {
    requireBuiltBroker();
    dir = await mkdtemp(join(tmpdir(), 'broker-kcat-'));
    node = await prepareBrokerNode(dir);
    broker = await startBrokerProcess(node);
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('prints a ready line naming the listener and cluster id', () => {
    expect(broker!.readyLine).toMatch(
      new RegExp(
        `^broker started: listening on 127\\.0\\.0\\.1:${node.port} \\(cluster id [A-Za-z0-9_-]{22}`,
      ),
    );
  });

  it('lists itself in metadata (kcat -L)', async () => {
    const result = await run(KCAT, ['-b', node.bootstrap, '-L'], { timeoutMs: 15_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('1 brokers:');
    expect(result.stdout).toContain(`broker 1 at 127.0.0.1:${node.port} (controller)`);
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    it(`produces and consumes keyed records with headers, compression ${codec}`, async () => {
      const topic = `kcat-${codec}`;
      const lines = Array.from({ length: 25 }, (_, i) => `key-${i}:value-${codec}-${i}`);
      await produce(node.bootstrap, topic, lines, ['-z', codec]);
      expect(await consume(node.bootstrap, topic)).toEqual(expectedRecords(lines));
    }, 60_000);
  }

  it('keeps every record across a clean restart (SIGTERM exits 0)', async () => {
    const topic = 'kcat-restart';
    const before = Array.from({ length: 10 }, (_, i) => `k${i}:before-${i}`);
    await produce(node.bootstrap, topic, before, ['-z', 'lz4']);
    expect(await broker!.stop()).toBe(0);
    expect(broker!.output()).toContain('log manager shut down');

    broker = await startBrokerProcess(node);
    const after = Array.from({ length: 5 }, (_, i) => `k${i}:after-${i}`);
    await produce(node.bootstrap, topic, after);
    const consumed = await consume(node.bootstrap, topic);
    expect(consumed).toEqual(expectedRecords([...before, ...after]));
    // Topics created before the restart are still there.
    expect((await consume(node.bootstrap, 'kcat-gzip')).length).toBe(25);
  }, 90_000);
});

describe('bin/broker storage and config checks', () => {
  let dir: string;

  beforeAll(async () => {
    requireBuiltBroker();
    dir = await mkdtemp(join(tmpdir(), 'broker-config-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses unformatted storage when started with --config', async () => {
    const node = await prepareBrokerNode(dir);
    await rm(join(dir, 'logs'), { recursive: true, force: true });
    const result = await run(BROKER_BIN, ['--config', node.configPath], { timeoutMs: 15_000 });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('kafka-storage format');
  }, 30_000);

  it('reports a bad config in one line and exits non-zero', async () => {
    const result = await run(BROKER_BIN, ['--override', 'num.partitions=zero'], {
      cwd: dir,
      timeoutMs: 15_000,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('num.partitions');
  }, 30_000);
});

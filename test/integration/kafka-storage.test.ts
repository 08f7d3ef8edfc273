/**
 * bin/kafka-storage end to end: the shell wrapper runs the compiled CLI in dist/, so this
 * needs `npm run build` first (`npm test` builds).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getProperties } from 'properties-file';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TOOL = join(REPO, 'bin/kafka-storage');
const COMPILED = join(REPO, 'dist/src/cli/kafka-storage.js');
const SERVER_PROPERTIES = join(REPO, 'config/server.properties');

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

let cwd: string;

function run(...args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(TOOL, args, { cwd, timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function newClusterId(): Promise<string> {
  const { code, stdout } = await run('random-uuid');
  expect(code).toBe(0);
  return stdout.trim();
}

async function writeConfig(name: string, props: Record<string, string>): Promise<string> {
  const path = join(cwd, name);
  await writeFile(
    path,
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return path;
}

const readMeta = async (dir: string) =>
  getProperties(await readFile(join(dir, 'meta.properties'), 'utf8'));

beforeAll(() => {
  if (!existsSync(COMPILED)) {
    throw new Error(
      `${COMPILED} is missing: run \`npm run build\` before this test (\`npm test\` builds first)`,
    );
  }
});

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'kafka-storage-'));
});

afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('kafka-storage', () => {
  test('random-uuid prints a new cluster id each time', async () => {
    const [a, b] = [await newClusterId(), await newClusterId()];
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(16);
    expect(a).not.toBe(b);
  });

  test('format writes meta.properties, refuses to format twice, and info reports it', async () => {
    const clusterId = await newClusterId();
    const before = await run('info', '--config', SERVER_PROPERTIES);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain(`${join(cwd, 'data')} does not exist`);

    const first = await run('format', '--config', SERVER_PROPERTIES, '--cluster-id', clusterId);
    expect(first).toEqual({
      code: 0,
      stdout: `Formatting metadata directory ${join(cwd, 'data')} with cluster.id ${clusterId}.\n`,
      stderr: '',
    });
    const meta = await readMeta(join(cwd, 'data'));
    expect(meta).toMatchObject({ version: '1', 'cluster.id': clusterId, 'node.id': '1' });
    expect(meta['directory.id']).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const again = await run('format', '-c', SERVER_PROPERTIES, '-t', clusterId);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(
      `Log directory ${join(cwd, 'data')} is already formatted. Use --ignore-formatted to ignore this directory and format the others.\n`,
    );

    const ignored = await run(
      'format',
      '-c',
      SERVER_PROPERTIES,
      '-t',
      clusterId,
      '--ignore-formatted',
    );
    expect(ignored).toEqual({
      code: 0,
      stdout: 'All of the log directories are already formatted.\n',
      stderr: '',
    });

    const info = await run('info', '-c', SERVER_PROPERTIES);
    expect(info.code).toBe(0);
    expect(info.stdout).toBe(
      [
        'Found log directory:',
        `  ${join(cwd, 'data')}`,
        '',
        `Found metadata: {cluster.id=${clusterId}, directory.id=${meta['directory.id']}, node.id=1, version=1}`,
        '',
        '',
      ].join('\n'),
    );
  });

  test('format covers every log dir and the metadata dir; --ignore-formatted adds new ones', async () => {
    const clusterId = await newClusterId();
    const config = await writeConfig('node.properties', {
      'process.roles': 'broker',
      'node.id': '4',
      'controller.quorum.bootstrap.servers': '127.0.0.1:9093',
      'controller.listener.names': 'CONTROLLER',
      listeners: 'PLAINTEXT://127.0.0.1:9092',
      'log.dirs': 'disk-b,disk-a',
      'metadata.log.dir': 'meta',
    });
    await mkdir(join(cwd, 'disk-a'));
    const result = await run('format', '-c', config, '-t', clusterId);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      `Formatting data directory ${join(cwd, 'disk-a')} with cluster.id ${clusterId}.`,
      `Formatting data directory ${join(cwd, 'disk-b')} with cluster.id ${clusterId}.`,
      `Formatting metadata directory ${join(cwd, 'meta')} with cluster.id ${clusterId}.`,
    ]);
    const metas = await Promise.all(
      ['disk-a', 'disk-b', 'meta'].map((d) => readMeta(join(cwd, d))),
    );
    expect(new Set(metas.map((m) => m['cluster.id']))).toEqual(new Set([clusterId]));
    expect(new Set(metas.map((m) => m['node.id']))).toEqual(new Set(['4']));
    expect(new Set(metas.map((m) => m['directory.id'])).size).toBe(3);

    const info = await run('info', '-c', config);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('Found log directories:');

    // A new, empty log dir is formatted next to the existing ones with --ignore-formatted.
    const grown = await writeConfig('node.properties', {
      ...getProperties(await readFile(config, 'utf8')),
      'log.dirs': 'disk-b,disk-a,disk-c',
    });
    const extended = await run('format', '-c', grown, '-t', clusterId, '-g');
    expect(extended.stdout).toBe(
      `Formatting data directory ${join(cwd, 'disk-c')} with cluster.id ${clusterId}.\n`,
    );
  });

  test('info reports unformatted dirs and dirs of another node', async () => {
    const clusterId = await newClusterId();
    await run('format', '-c', SERVER_PROPERTIES, '-t', clusterId);
    const other = await writeConfig('other.properties', {
      ...getProperties(await readFile(SERVER_PROPERTIES, 'utf8')),
      'node.id': '2',
      'controller.quorum.voters': '2@127.0.0.1:9093',
      'log.dirs': './data,./empty',
    });
    await mkdir(join(cwd, 'empty'));
    const info = await run('info', '-c', other);
    expect(info.code).toBe(1);
    expect(info.stdout).toContain('Found problems:\n');
    expect(info.stdout).toContain(`  ${join(cwd, 'empty')} is not formatted.\n`);
    expect(info.stdout).toContain(
      `  ${join(cwd, 'data')} belongs to node 1, but the configuration has node.id 2.\n`,
    );
  });

  test('configuration errors are one line on stderr with exit code 1', async () => {
    const clusterId = await newClusterId();
    const unknownKey = await writeConfig('unknown.properties', {
      ...getProperties(await readFile(SERVER_PROPERTIES, 'utf8')),
      'foo.bar': '1',
    });
    expect(await run('format', '-c', unknownKey, '-t', clusterId)).toEqual({
      code: 1,
      stdout: '',
      stderr: "Unknown configuration 'foo.bar'\n",
    });
    const badValue = await writeConfig('bad.properties', {
      ...getProperties(await readFile(SERVER_PROPERTIES, 'utf8')),
      'num.partitions': 'abc',
    });
    expect(await run('info', '-c', badValue)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Invalid value abc for configuration num.partitions: Not a number of type INT\n',
    });
    const missing = await run('format', '-c', join(cwd, 'missing.properties'), '-t', clusterId);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Unable to read the configuration file: ENOENT[^\n]*\n$/);

    const badId = await run('format', '-c', SERVER_PROPERTIES, '-t', 'not-a-uuid');
    expect(badId.code).toBe(1);
    expect(badId.stderr).toMatch(
      /^Cluster ID string not-a-uuid does not appear to be a valid UUID[^\n]*\n$/,
    );

    const noClusterId = await run('format', '-c', SERVER_PROPERTIES);
    expect(noClusterId.code).toBe(1);
    expect(noClusterId.stderr).toBe(
      "error: required option '-t, --cluster-id <id>' not specified\n",
    );
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });

  test('ignored keys are warnings and do not stop formatting', async () => {
    const config = await writeConfig('ssl.properties', {
      ...getProperties(await readFile(SERVER_PROPERTIES, 'utf8')),
      'ssl.keystore.location': '/etc/kafka/keystore.jks',
    });
    const result = await run('format', '-c', config, '-t', await newClusterId());
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "WARN Ignoring configuration 'ssl.keystore.location': TLS and SASL are not implemented; listeners must use PLAINTEXT\n",
    );
  });

  test('--standalone follows Kafka: controllers of a dynamic quorum only', async () => {
    const clusterId = await newClusterId();
    const staticQuorum = await run(
      'format',
      '-c',
      SERVER_PROPERTIES,
      '-t',
      clusterId,
      '--standalone',
    );
    expect(staticQuorum.code).toBe(1);
    expect(staticQuorum.stderr).toMatch(
      /^You cannot use --standalone when controller\.quorum\.voters is set/,
    );

    const dynamic = {
      ...getProperties(await readFile(SERVER_PROPERTIES, 'utf8')),
      'controller.quorum.voters': '',
      'controller.quorum.bootstrap.servers': '127.0.0.1:9093',
    };
    const dynamicConfig = await writeConfig('dynamic.properties', dynamic);
    const unspecified = await run('format', '-c', dynamicConfig, '-t', clusterId);
    expect(unspecified.code).toBe(1);
    expect(unspecified.stderr).toBe(
      'Because controller.quorum.voters is not set on this controller, you must specify one of the following: --standalone or --no-initial-controllers.\n',
    );
    const both = await run('format', '-c', dynamicConfig, '-t', clusterId, '-s', '-N');
    expect(both.stderr).toBe(
      '--standalone and --no-initial-controllers cannot be used together.\n',
    );
    const standalone = await run('format', '-c', dynamicConfig, '-t', clusterId, '--standalone');
    expect(standalone.code).toBe(0);
    expect(standalone.stdout).toMatch(/^Formatting metadata directory /);

    const brokerConfig = await writeConfig('broker.properties', {
      ...dynamic,
      'process.roles': 'broker',
      listeners: 'PLAINTEXT://127.0.0.1:9092',
      'log.dirs': './broker-data',
    });
    const onBroker = await run('format', '-c', brokerConfig, '-t', clusterId, '--standalone');
    expect(onBroker.stderr).toBe('You cannot use --standalone on a broker node.\n');
  });
});

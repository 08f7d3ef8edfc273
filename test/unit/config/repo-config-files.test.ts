import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  defaultSingleNodeProperties,
  parseBrokerConfig,
  type BrokerConfig,
} from '../../../src/config/broker-config.js';
import { readPropertiesFile } from '../../../src/config/properties-file.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const WORKING_DIR = resolve('/srv/kafka');

async function load(relativePath: string) {
  const props = await readPropertiesFile(join(REPO, relativePath));
  return { props, ...parseBrokerConfig(props, { workingDir: WORKING_DIR }) };
}

describe('config/server.properties', () => {
  test('parses without warnings into a single combined node on 127.0.0.1', async () => {
    const { config, warnings } = await load('config/server.properties');
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      nodeId: 1,
      processRoles: ['broker', 'controller'],
      controllerQuorumVoters: [{ nodeId: 1, host: '127.0.0.1', port: 9093 }],
      listeners: [
        { listenerName: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
        { listenerName: 'CONTROLLER', host: '127.0.0.1', port: 9093 },
      ],
      logDirs: [join(WORKING_DIR, 'data')],
      offsetsTopicReplicationFactor: 1,
      transactionStateLogReplicationFactor: 1,
      transactionStateLogMinIsr: 1,
    });
  });

  test('says what the broker uses without --config', async () => {
    const fromFile = (await load('config/server.properties')).config;
    const builtIn = parseBrokerConfig(defaultSingleNodeProperties(WORKING_DIR)).config;
    const withoutOriginals = ({ originals: _o, topicConfigDefaults: _t, ...rest }: BrokerConfig) =>
      rest;
    expect(withoutOriginals(fromFile)).toEqual(withoutOriginals(builtIn));
  });
});

describe('config/cluster', () => {
  const NODES = [1, 2, 3];

  test('three combined nodes with distinct ports and data dirs and the same voters', async () => {
    const configs = await Promise.all(
      NODES.map(async (n) => (await load(`config/cluster/node${n}.properties`)).config),
    );
    for (const [i, config] of configs.entries()) {
      const n = NODES[i];
      expect(config.nodeId).toBe(n);
      expect(config.processRoles).toEqual(['broker', 'controller']);
      expect(config.listeners.map((e) => [e.listenerName, e.host, e.port])).toEqual([
        ['PLAINTEXT', '127.0.0.1', 9090 + 2 * n],
        ['CONTROLLER', '127.0.0.1', 9091 + 2 * n],
      ]);
      // Each node's controller listener is its own voter entry.
      expect(config.controllerQuorumVoters.find((v) => v.nodeId === n)).toEqual({
        nodeId: n,
        host: '127.0.0.1',
        port: 9091 + 2 * n,
      });
      expect(config.defaultReplicationFactor).toBe(3);
      expect(config.offsetsTopicReplicationFactor).toBe(3);
      expect(config.logDefaults.minInsyncReplicas).toBe(2);
    }
    expect(new Set(configs.map((c) => JSON.stringify(c.controllerQuorumVoters))).size).toBe(1);
    const dirs = configs.flatMap((c) => c.logDirs);
    expect(new Set(dirs).size).toBe(3);
    // No node's data lives inside another node's, nor inside the single-node ./data.
    const singleNode = join(WORKING_DIR, 'data');
    for (const dir of dirs) {
      expect(dir.startsWith(`${singleNode}/`)).toBe(false);
      expect(dirs.filter((other) => other !== dir && dir.startsWith(`${other}/`))).toEqual([]);
    }
  });
});

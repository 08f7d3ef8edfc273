import { afterEach, expect, test } from 'vitest';
import { ConnectionClosedError } from '../../../src/client/connection.js';
import { KafkaClient } from '../../../src/client/kafka-client.js';
import { ApiKey } from '../../../src/protocol/messages/generated/index.js';
import { startFakeBroker, type FakeBroker } from './fake-broker.js';

const nodes: FakeBroker[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
});

test('a closed client refuses new requests without opening a connection', async () => {
  const node = await startFakeBroker({
    versions: { [ApiKey.Metadata]: [0, 12] },
    handle: () => ({ brokers: [], clusterId: null, controllerId: -1, topics: [] }),
  });
  nodes.push(node);
  const client = new KafkaClient({ bootstrapServers: node.bootstrap, requestTimeoutMs: 2000 });
  await client.metadata([]);
  const before = node.requests.length;
  await client.close();
  await expect(client.metadata([])).rejects.toBeInstanceOf(ConnectionClosedError);
  expect(node.requests.length).toBe(before);
});

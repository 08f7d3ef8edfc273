import { describe, expect, test } from 'vitest';
import { ConfigError, parseBrokerConfig } from '../../../src/config/broker-config.js';

const COMBINED = {
  'process.roles': 'broker,controller',
  'node.id': '1',
  'controller.quorum.voters': '1@localhost:9093',
  listeners: 'PLAINTEXT://:9092,CONTROLLER://:9093',
  'advertised.listeners': 'PLAINTEXT://localhost:9092',
  'controller.listener.names': 'CONTROLLER',
};

const BROKER_ONLY = {
  'process.roles': 'broker',
  'node.id': '2',
  'controller.quorum.bootstrap.servers': 'localhost:9093',
  listeners: 'PLAINTEXT://localhost:9092',
  'controller.listener.names': 'CONTROLLER',
};

const CONTROLLER_ONLY = {
  'process.roles': 'controller',
  'node.id': '1',
  'controller.quorum.bootstrap.servers': 'localhost:9093',
  listeners: 'CONTROLLER://:9093',
  'advertised.listeners': 'CONTROLLER://localhost:9093',
  'controller.listener.names': 'CONTROLLER',
};

function without(props: Record<string, string>, key: string): Record<string, string> {
  const copy = { ...props };
  delete copy[key];
  return copy;
}

const parse = (props: Record<string, string>) =>
  parseBrokerConfig(props, { workingDir: '/srv/kafka' }).config;

function messageOf(props: Record<string, string>): string {
  try {
    parse(props);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(props)}`);
}

describe('process roles', () => {
  test("Kafka's example layouts parse: combined, broker only, controller only", () => {
    const combined = parse(COMBINED);
    expect(combined.controllerListeners).toEqual([
      { listenerName: 'CONTROLLER', securityProtocol: 'PLAINTEXT', host: null, port: 9093 },
    ]);
    expect(combined.advertisedBrokerListeners).toEqual([
      { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'localhost', port: 9092 },
    ]);
    // Not advertised explicitly: the bound controller listener is advertised.
    expect(combined.advertisedControllerListeners).toEqual([
      { listenerName: 'CONTROLLER', securityProtocol: 'PLAINTEXT', host: null, port: 9093 },
    ]);
    // The default map has no CONTROLLER entry: Kafka maps controller listeners to PLAINTEXT.
    expect(combined.listenerSecurityProtocolMap.get('CONTROLLER')).toBe('PLAINTEXT');

    const broker = parse(BROKER_ONLY);
    expect(broker.controllerListeners).toEqual([]);
    expect(broker.controllerQuorumBootstrapServers).toEqual([{ host: 'localhost', port: 9093 }]);
    expect(broker.advertisedBrokerListeners).toEqual(broker.listeners);

    const controller = parse(CONTROLLER_ONLY);
    expect(controller.advertisedBrokerListeners).toEqual([]);
    expect(controller.advertisedControllerListeners).toEqual([
      { listenerName: 'CONTROLLER', securityProtocol: 'PLAINTEXT', host: 'localhost', port: 9093 },
    ]);
  });

  test('advertised listeners default to listeners, without the controller listeners', () => {
    const config = parse(without(COMBINED, 'advertised.listeners'));
    expect(config.advertisedBrokerListeners.map((e) => e.listenerName)).toEqual(['PLAINTEXT']);
  });

  test('a node must be able to reach the controllers', () => {
    expect(messageOf(without(BROKER_ONLY, 'controller.quorum.bootstrap.servers'))).toBe(
      'Either controller.quorum.voters (id@host:port,...) or controller.quorum.bootstrap.servers (host:port,...) must be set so that this node can reach the controllers',
    );
  });

  test('controllers are voters and bind their controller listener', () => {
    expect(messageOf({ ...COMBINED, 'controller.quorum.voters': '2@localhost:9093' })).toBe(
      'Invalid value 2@localhost:9093 for configuration controller.quorum.voters: Node 1 has the controller role and must be one of the voters (2)',
    );
    expect(messageOf({ ...COMBINED, listeners: 'PLAINTEXT://:9092' })).toBe(
      "Invalid value CONTROLLER for configuration controller.listener.names: A node with the controller role must bind every controller listener in 'listeners'; CONTROLLER is missing (listeners: PLAINTEXT)",
    );
    expect(
      messageOf({ ...CONTROLLER_ONLY, listeners: 'CONTROLLER://:9093,PLAINTEXT://:9092' }),
    ).toBe(
      'Invalid value CONTROLLER://:9093,PLAINTEXT://:9092 for configuration listeners: With process.roles=controller every listener must be named in controller.listener.names; PLAINTEXT is not',
    );
  });

  test('broker-only nodes are not voters and do not bind controller listeners', () => {
    expect(messageOf({ ...BROKER_ONLY, 'controller.quorum.voters': '2@localhost:9093' })).toBe(
      'Invalid value 2@localhost:9093 for configuration controller.quorum.voters: Node 2 has only the broker role (process.roles=broker) and must not be a voter',
    );
    expect(
      messageOf({ ...BROKER_ONLY, listeners: 'PLAINTEXT://:9092,CONTROLLER://:9093' }),
    ).toMatch(/A node with only the broker role must not bind the controller listener CONTROLLER$/);
    expect(messageOf({ ...BROKER_ONLY, 'controller.quorum.auto.join.enable': 'true' })).toMatch(
      /Only nodes with the 'controller' role can join the quorum$/,
    );
    expect(
      messageOf({ ...BROKER_ONLY, 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT' }),
    ).toMatch(/Controller listener CONTROLLER is not in listener\.security\.protocol\.map$/);
  });

  test('controller.listener.names is required', () => {
    expect(messageOf(without(COMBINED, 'controller.listener.names'))).toBe(
      'Missing required configuration "controller.listener.names" which has no default value.',
    );
  });

  test('the inter-broker listener must be an advertised broker listener', () => {
    expect(messageOf({ ...COMBINED, 'inter.broker.listener.name': 'CONTROLLER' })).toBe(
      'Invalid value CONTROLLER for configuration inter.broker.listener.name: The inter-broker listener CONTROLLER must be an advertised broker listener; choose one of PLAINTEXT',
    );
    expect(
      messageOf({
        ...COMBINED,
        'inter.broker.listener.name': 'PLAINTEXT',
        'security.inter.broker.protocol': 'PLAINTEXT',
      }),
    ).toBe(
      'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.',
    );
    expect(messageOf({ ...COMBINED, 'inter.broker.listener.name': 'REPLICATION' })).toMatch(
      /^Invalid value REPLICATION for configuration inter\.broker\.listener\.name: Listener REPLICATION is not in listener\.security\.protocol\.map/,
    );
  });

  test('advertised listeners must be bound and routable', () => {
    expect(
      messageOf({
        ...COMBINED,
        'advertised.listeners': 'PLAINTEXT://localhost:9092,SSL://localhost:9094',
      }),
    ).toBe(
      "Invalid value PLAINTEXT://localhost:9092,SSL://localhost:9094 for configuration advertised.listeners: Listener SSL is advertised but not in 'listeners' (PLAINTEXT, CONTROLLER)",
    );
    expect(messageOf({ ...COMBINED, 'advertised.listeners': 'PLAINTEXT://0.0.0.0:9092' })).toMatch(
      /PLAINTEXT:\/\/0\.0\.0\.0:9092 advertises the non-routable address 0\.0\.0\.0/,
    );
    // A wildcard bind address is fine for a listener; it is not advertised as such.
    const config = parse({ ...COMBINED, listeners: 'PLAINTEXT://:9092,CONTROLLER://0.0.0.0:9093' });
    expect(config.advertisedControllerListeners[0].host).toBeNull();
  });

  test('only PLAINTEXT is implemented', () => {
    const listeners = 'PLAINTEXT://:9092,CONTROLLER://:9093,SSL://:9094';
    expect(
      messageOf({
        ...COMBINED,
        listeners,
        'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL',
      }),
    ).toBe(
      `Invalid value ${listeners} for configuration listeners: Listener SSL uses SSL; this broker only implements PLAINTEXT`,
    );
    // As in Kafka, CONTROLLER only defaults to PLAINTEXT while no listener is named after SSL or SASL.
    expect(messageOf({ ...COMBINED, listeners })).toMatch(
      /No security protocol defined for listener CONTROLLER; add it to listener\.security\.protocol\.map/,
    );
  });

  test('listener names compare case-insensitively', () => {
    const config = parse({
      ...COMBINED,
      listeners: 'plaintext://:9092,controller://:9093',
      'controller.listener.names': 'controller',
      'inter.broker.listener.name': 'plaintext',
    });
    expect(config.controllerListenerNames).toEqual(['CONTROLLER']);
    expect(config.interBrokerListenerName).toBe('PLAINTEXT');
  });
});

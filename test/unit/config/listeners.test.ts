import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import {
  DEFAULT_LISTENER_SECURITY_PROTOCOL_MAP,
  formatEndpoint,
  parseBootstrapServers,
  parseEndpoints,
  parseHostPort,
  parseQuorumVoters,
  parseSecurityProtocolMap,
} from '../../../src/config/listeners.js';

const PROTOCOLS = parseSecurityProtocolMap(
  'listener.security.protocol.map',
  `${DEFAULT_LISTENER_SECURITY_PROTOCOL_MAP},CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT`,
);

const listeners = (value: string) =>
  parseEndpoints('listeners', value, PROTOCOLS, { distinctPorts: true });

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('listeners', () => {
  test('NAME://host:port with bracketed IPv6 and an empty host for all interfaces', () => {
    expect(
      listeners('PLAINTEXT://:9092, controller://[::1]:9093,INTERNAL://broker-1.example:19092'),
    ).toEqual([
      { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: null, port: 9092 },
      { listenerName: 'CONTROLLER', securityProtocol: 'PLAINTEXT', host: '::1', port: 9093 },
      {
        listenerName: 'INTERNAL',
        securityProtocol: 'PLAINTEXT',
        host: 'broker-1.example',
        port: 19092,
      },
    ]);
    expect(listeners('SSL://0.0.0.0:9094')[0]).toMatchObject({
      securityProtocol: 'SSL',
      host: '0.0.0.0',
    });
  });

  test('prints back in the same syntax', () => {
    expect(listeners('PLAINTEXT://:9092,CONTROLLER://[::1]:9093').map(formatEndpoint)).toEqual([
      'PLAINTEXT://:9092',
      'CONTROLLER://[::1]:9093',
    ]);
  });

  test('malformed entries, unknown names and bad ports are refused', () => {
    expect(messageOf(() => listeners('localhost:9092'))).toBe(
      "Invalid value localhost:9092 for configuration listeners: Entry 'localhost:9092' is not NAME://host:port, e.g. PLAINTEXT://127.0.0.1:9092 or PLAINTEXT://[::1]:9092",
    );
    expect(messageOf(() => listeners('EXTERNAL://:9092'))).toMatch(
      /^Invalid value EXTERNAL:\/\/:9092 for configuration listeners: No security protocol defined for listener EXTERNAL; add it to listener\.security\.protocol\.map/,
    );
    expect(messageOf(() => listeners('PLAINTEXT://:70000'))).toBe(
      "Invalid value PLAINTEXT://:70000 for configuration listeners: Port 70000 of 'PLAINTEXT://:70000' is not in 0..65535",
    );
    expect(messageOf(() => listeners('PLAINTEXT://:-1'))).toMatch(
      /Port -1 .* is not in 0\.\.65535/,
    );
    expect(messageOf(() => listeners('://:9092'))).toMatch(/has no listener name/);
  });

  test('names must differ, and ports too unless one IPv4 and one IPv6 listener share one', () => {
    expect(messageOf(() => listeners('PLAINTEXT://:9092,plaintext://:9093'))).toMatch(
      /Listener name PLAINTEXT appears more than once/,
    );
    expect(messageOf(() => listeners('PLAINTEXT://:9092,INTERNAL://:9092'))).toMatch(
      /Listeners PLAINTEXT and INTERNAL share port 9092/,
    );
    expect(listeners('PLAINTEXT://127.0.0.1:9092,INTERNAL://[::1]:9092')).toHaveLength(2);
    expect(() => listeners('PLAINTEXT://127.0.0.1:9092,INTERNAL://10.0.0.1:9092')).toThrow(
      /share port 9092/,
    );
    // Port 0 asks the OS for a free port each time.
    expect(listeners('PLAINTEXT://:0,INTERNAL://:0')).toHaveLength(2);
    // advertised.listeners may repeat ports (one listener can advertise another's address).
    expect(
      parseEndpoints('advertised.listeners', 'PLAINTEXT://lb:9092,INTERNAL://lb:9092', PROTOCOLS, {
        distinctPorts: false,
      }),
    ).toHaveLength(2);
  });
});

describe('listener.security.protocol.map', () => {
  test('names are upper-cased, protocols are case-insensitive', () => {
    expect([...parseSecurityProtocolMap('m', 'internal:plaintext, EXTERNAL : SASL_SSL')]).toEqual([
      ['INTERNAL', 'PLAINTEXT'],
      ['EXTERNAL', 'SASL_SSL'],
    ]);
  });

  test('unknown protocols, malformed and repeated entries are refused', () => {
    expect(messageOf(() => parseSecurityProtocolMap('m', 'A:TLS'))).toBe(
      "Invalid value A:TLS for configuration m: Invalid security protocol 'TLS'; protocols are PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
    );
    expect(messageOf(() => parseSecurityProtocolMap('m', 'A'))).toMatch(
      /Entry 'A' is not in the form NAME:PROTOCOL/,
    );
    expect(messageOf(() => parseSecurityProtocolMap('m', 'A:SSL,a:SSL'))).toMatch(
      /Listener name A appears more than once/,
    );
  });
});

describe('controller.quorum.voters', () => {
  test('id@host:port entries, IPv6 in brackets', () => {
    expect(parseQuorumVoters('v', '1@127.0.0.1:9093, 2@[::1]:9095,3@kafka-3:9097')).toEqual([
      { nodeId: 1, host: '127.0.0.1', port: 9093 },
      { nodeId: 2, host: '::1', port: 9095 },
      { nodeId: 3, host: 'kafka-3', port: 9097 },
    ]);
    expect(parseQuorumVoters('v', '')).toEqual([]);
  });

  test('malformed entries, repeated ids and the wildcard address are refused', () => {
    const syntax = /is not in the form \{id\}@\{host\}:\{port\}, e\.g\. 1@127\.0\.0\.1:9093$/;
    expect(
      messageOf(() => parseQuorumVoters('controller.quorum.voters', 'localhost:9093')),
    ).toMatch(
      /^Invalid value localhost:9093 for configuration controller\.quorum\.voters: Entry 'localhost:9093' /,
    );
    expect(messageOf(() => parseQuorumVoters('v', '1@localhost'))).toMatch(syntax);
    expect(messageOf(() => parseQuorumVoters('v', '1@2@h:1'))).toMatch(syntax);
    expect(messageOf(() => parseQuorumVoters('v', 'one@h:1'))).toMatch(
      /Voter id 'one' of 'one@h:1' is not a non-negative INT/,
    );
    expect(messageOf(() => parseQuorumVoters('v', '-1@h:1'))).toMatch(/is not a non-negative INT/);
    expect(messageOf(() => parseQuorumVoters('v', '1@a:1,1@b:2'))).toMatch(
      /Voter id 1 appears more than once/,
    );
    expect(messageOf(() => parseQuorumVoters('v', '1@0.0.0.0:9093'))).toMatch(
      /non-routable address 0\.0\.0\.0/,
    );
  });
});

describe('host:port', () => {
  test('bootstrap servers and single addresses', () => {
    expect(parseBootstrapServers('b', 'localhost:9093,[::1]:9095')).toEqual([
      { host: 'localhost', port: 9093 },
      { host: '::1', port: 9095 },
    ]);
    expect(messageOf(() => parseBootstrapServers('b', 'localhost'))).toBe(
      "Invalid value localhost for configuration b: Entry 'localhost' is not in the form {host}:{port}, e.g. 127.0.0.1:9093",
    );
    expect(parseHostPort('h:99999')).toBeNull();
    expect(parseHostPort('h_1:1')).toEqual({ host: 'h_1', port: 1 });
  });
});

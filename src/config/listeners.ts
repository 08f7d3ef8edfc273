/**
 * Kafka's address syntaxes: listeners (`NAME://host:port`), the listener → security
 * protocol map (`NAME:PROTOCOL,...`), quorum voters (`id@host:port,...`) and bootstrap
 * servers (`host:port,...`). IPv6 hosts are written in brackets (`[::1]:9092`); an empty
 * listener host means all interfaces.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from './config-error.js';
import { splitList } from './config-values.js';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

/** Kafka's default map: every security protocol is also a listener name for itself. */
export const DEFAULT_LISTENER_SECURITY_PROTOCOL_MAP = SECURITY_PROTOCOLS.map(
  (p) => `${p}:${p}`,
).join(',');

export interface Endpoint {
  /** Upper-cased, as Kafka normalises listener names. */
  listenerName: string;
  securityProtocol: SecurityProtocol;
  /** Null when the host was left empty: bind to all interfaces (advertise the machine's name). */
  host: string | null;
  /** 0 lets the OS pick a port. */
  port: number;
}

export interface HostPort {
  host: string;
  port: number;
}

export interface QuorumVoter extends HostPort {
  nodeId: number;
}

/** Listener names compare upper-cased (Kafka's ListenerName.normalised). */
export function normaliseListenerName(name: string): string {
  return name.toUpperCase();
}

/** `host:port` for display, with IPv6 hosts bracketed; a null host prints empty. */
export function formatHostPort(host: string | null, port: number): string {
  const shown = host === null ? '' : isIPv6(host) ? `[${host}]` : host;
  return `${shown}:${port}`;
}

export function formatEndpoint(endpoint: Endpoint): string {
  return `${endpoint.listenerName}://${formatHostPort(endpoint.host, endpoint.port)}`;
}

/** `listener.security.protocol.map`: listener name → security protocol. */
export function parseSecurityProtocolMap(
  key: string,
  value: string,
): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const entry of splitList(value)) {
    const parts = entry.split(':').map((part) => part.trim());
    if (parts.length !== 2 || parts[0] === '') {
      throw ConfigError.invalidValue(
        key,
        value,
        `Entry '${entry}' is not in the form NAME:PROTOCOL`,
      );
    }
    const name = normaliseListenerName(parts[0]);
    const protocol = parts[1].toUpperCase() as SecurityProtocol;
    if (!SECURITY_PROTOCOLS.includes(protocol)) {
      throw ConfigError.invalidValue(
        key,
        value,
        `Invalid security protocol '${parts[1]}'; protocols are ${SECURITY_PROTOCOLS.join(', ')}`,
      );
    }
    if (map.has(name)) {
      throw ConfigError.invalidValue(key, value, `Listener name ${name} appears more than once`);
    }
    map.set(name, protocol);
  }
  return map;
}

// Kafka's listener syntax: NAME://host:port, host optionally bracketed, port possibly negative
// (rejected below with a clearer reason than "unparseable").
const LISTENER_PATTERN = /^(.*):\/\/\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$/;
const LISTENER_SYNTAX =
  'NAME://host:port, e.g. PLAINTEXT://127.0.0.1:9092 or PLAINTEXT://[::1]:9092';

/**
 * Parses `listeners`/`advertised.listeners` entries. Names must be distinct and known to the
 * security protocol map; with `distinctPorts`, ports must differ too, except that one IPv4
 * and one IPv6 listener may share a port (Kafka's rule for `listeners`).
 */
export function parseEndpoints(
  key: string,
  value: string,
  protocols: ReadonlyMap<string, SecurityProtocol>,
  options: { distinctPorts: boolean },
): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const entry of splitList(value)) {
    const match = LISTENER_PATTERN.exec(entry);
    if (!match) {
      throw ConfigError.invalidValue(key, value, `Entry '${entry}' is not ${LISTENER_SYNTAX}`);
    }
    const [, rawName, rawHost, rawPort] = match;
    if (rawName === '') {
      throw ConfigError.invalidValue(key, value, `Entry '${entry}' has no listener name`);
    }
    const listenerName = normaliseListenerName(rawName);
    const port = Number(rawPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw ConfigError.invalidValue(
        key,
        value,
        `Port ${rawPort} of '${entry}' is not in 0..65535`,
      );
    }
    const securityProtocol = protocols.get(listenerName);
    if (securityProtocol === undefined) {
      throw ConfigError.invalidValue(
        key,
        value,
        `No security protocol defined for listener ${listenerName}; add it to listener.security.protocol.map (known: ${[...protocols.keys()].join(', ')})`,
      );
    }
    if (endpoints.some((e) => e.listenerName === listenerName)) {
      throw ConfigError.invalidValue(
        key,
        value,
        `Listener name ${listenerName} appears more than once`,
      );
    }
    endpoints.push({ listenerName, securityProtocol, host: rawHost === '' ? null : rawHost, port });
  }
  if (options.distinctPorts) checkDistinctPorts(key, value, endpoints);
  return endpoints;
}

function checkDistinctPorts(key: string, value: string, endpoints: readonly Endpoint[]): void {
  const byPort = new Map<number, Endpoint[]>();
  for (const endpoint of endpoints) {
    if (endpoint.port === 0) continue; // each port-0 listener gets its own ephemeral port
    byPort.set(endpoint.port, [...(byPort.get(endpoint.port) ?? []), endpoint]);
  }
  for (const [port, shared] of byPort) {
    if (shared.length === 1) continue;
    const [a, b] = shared;
    const oneOfEachFamily =
      shared.length === 2 &&
      a.host !== null &&
      b.host !== null &&
      ((isIPv4(a.host) && isIPv6(b.host)) || (isIPv6(a.host) && isIPv4(b.host)));
    if (!oneOfEachFamily) {
      throw ConfigError.invalidValue(
        key,
        value,
        `Listeners ${shared.map((e) => e.listenerName).join(' and ')} share port ${port}; ports must differ unless one listener is an IPv4 address and the other an IPv6 address`,
      );
    }
  }
}

const HOST_PORT_PATTERN = /^\[?([0-9a-zA-Z\-._%:]+)\]?:([0-9]+)$/;

/** `host:port` (IPv6 hosts bracketed); null when the text is not in that form. */
export function parseHostPort(text: string): HostPort | null {
  const match = HOST_PORT_PATTERN.exec(text);
  if (!match) return null;
  const port = Number(match[2]);
  if (port > 65535) return null;
  return { host: match[1], port };
}

// Raft refuses to dial the wildcard address.
const NON_ROUTABLE_HOST = '0.0.0.0';

/** `controller.quorum.voters`: `{id}@{host}:{port}` entries with distinct ids. */
export function parseQuorumVoters(key: string, value: string): QuorumVoter[] {
  const voters: QuorumVoter[] = [];
  for (const entry of splitList(value)) {
    const syntax = `Entry '${entry}' is not in the form {id}@{host}:{port}, e.g. 1@127.0.0.1:9093`;
    const parts = entry.split('@');
    if (parts.length !== 2) throw ConfigError.invalidValue(key, value, syntax);
    const [idText, address] = parts;
    const nodeId = Number(idText);
    if (!/^\d+$/.test(idText) || nodeId > 2 ** 31 - 1) {
      throw ConfigError.invalidValue(
        key,
        value,
        `Voter id '${idText}' of '${entry}' is not a non-negative INT`,
      );
    }
    const hostPort = parseHostPort(address);
    if (!hostPort) throw ConfigError.invalidValue(key, value, syntax);
    if (hostPort.host === NON_ROUTABLE_HOST) {
      throw ConfigError.invalidValue(
        key,
        value,
        `Voter ${nodeId} uses the non-routable address ${NON_ROUTABLE_HOST}; give an address other nodes can reach`,
      );
    }
    if (voters.some((v) => v.nodeId === nodeId)) {
      throw ConfigError.invalidValue(key, value, `Voter id ${nodeId} appears more than once`);
    }
    voters.push({ nodeId, ...hostPort });
  }
  return voters;
}

/** `controller.quorum.bootstrap.servers`: `{host}:{port}` entries. */
export function parseBootstrapServers(key: string, value: string): HostPort[] {
  return splitList(value).map((entry) => {
    const hostPort = parseHostPort(entry);
    if (!hostPort) {
      throw ConfigError.invalidValue(
        key,
        value,
        `Entry '${entry}' is not in the form {host}:{port}, e.g. 127.0.0.1:9093`,
      );
    }
    return hostPort;
  });
}

/**
 * Broker configuration: Kafka's `server.properties` keys in, a typed and validated
 * BrokerConfig out. Values are checked one by one against the table in
 * broker-config-table.ts (with zod), topic-level defaults (`log.retention.hours`,
 * `message.max.bytes`, ...) by src/log/topic-config.ts, then the settings are checked
 * together the way Kafka's KafkaConfig does (process roles, listeners, quorum).
 *
 * Every refusal is a ConfigError whose message is one line naming the key, the value and
 * what is allowed. Keys Kafka knows that this broker does not implement are accepted with a
 * warning (unsupported-configs.ts); any other unknown key is refused.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  InvalidConfigError,
  TOPIC_CONFIG_SYNONYMS,
  camelCase,
  parseTopicConfigs,
  type TopicConfigs,
} from '../log/topic-config.js';
import {
  BROKER_CONFIG_DEFS,
  getBrokerConfigDef,
  type BrokerSettings,
  type ProcessRole,
} from './broker-config-table.js';
import { ConfigError } from './config-error.js';
import {
  formatEndpoint,
  normaliseListenerName,
  parseBootstrapServers,
  parseEndpoints,
  parseQuorumVoters,
  parseSecurityProtocolMap,
  type Endpoint,
  type HostPort,
  type QuorumVoter,
  type SecurityProtocol,
} from './listeners.js';
import { IGNORED_CONFIGS, REJECTED_CONFIGS, findRule } from './unsupported-configs.js';

export { ConfigError } from './config-error.js';
export {
  BROKER_CONFIG_DEFS,
  type BrokerConfigDef,
  type ProcessRole,
} from './broker-config-table.js';
export type { Endpoint, HostPort, QuorumVoter, SecurityProtocol } from './listeners.js';
export { defaultSingleNodeProperties } from './single-node-defaults.js';

/** Raw settings replaced by their structured form in BrokerConfig. */
const STRUCTURED_KEYS = [
  'brokerId',
  'listeners',
  'advertisedListeners',
  'listenerSecurityProtocolMap',
  'interBrokerListenerName',
  'securityInterBrokerProtocol',
  'controllerListenerNames',
  'controllerQuorumVoters',
  'controllerQuorumBootstrapServers',
  'logDirs',
  'logDir',
  'metadataLogDir',
] as const satisfies readonly (keyof BrokerSettings)[];
type StructuredKeys = (typeof STRUCTURED_KEYS)[number];

export interface BrokerConfig extends Omit<BrokerSettings, StructuredKeys> {
  /** node.id, or broker.id when only that is set. */
  nodeId: number;
  /** Listeners to bind, in configuration order. */
  listeners: Endpoint[];
  /** The bound listeners named in controller.listener.names. */
  controllerListeners: Endpoint[];
  /** What the broker role registers for clients and other brokers (no controller listeners). */
  advertisedBrokerListeners: Endpoint[];
  /** Per controller listener name: its advertised endpoint, else the bound one. */
  advertisedControllerListeners: Endpoint[];
  /** Effective listener name → protocol map (CONTROLLER names default to PLAINTEXT as in Kafka). */
  listenerSecurityProtocolMap: ReadonlyMap<string, SecurityProtocol>;
  /** Upper-cased, like every listener name. */
  controllerListenerNames: string[];
  interBrokerListenerName: string;
  controllerQuorumVoters: QuorumVoter[];
  controllerQuorumBootstrapServers: HostPort[];
  /** Absolute paths: log.dirs, else log.dir, resolved against the working directory. */
  logDirs: string[];
  /** metadata.log.dir, else the first log dir (absolute). */
  metadataLogDir: string;
  /** Topic config defaults after broker overrides (`log.retention.hours` → retentionMs, ...). */
  logDefaults: TopicConfigs;
  /** The topic-default synonyms as set in the file: the broker defaults for parseTopicConfigs. */
  topicConfigDefaults: Readonly<Record<string, string>>;
  /** Every key and value as given. */
  originals: Readonly<Record<string, string>>;
}

export interface ParsedBrokerConfig {
  config: BrokerConfig;
  /** One line per accepted-but-ignored key and per questionable setting. */
  warnings: string[];
  /** Keys Kafka knows that this broker ignores. */
  ignored: string[];
}

export interface ParseOptions {
  /** Base of relative log dirs; the process working directory by default. */
  workingDir?: string;
}

const TOPIC_SYNONYM_NAMES: ReadonlySet<string> = new Set(
  Object.values(TOPIC_CONFIG_SYNONYMS).flat(),
);

/**
 * Parses broker properties (as read from a `.properties` file) into a BrokerConfig.
 * Throws ConfigError on the first unknown key, bad value or inconsistent combination.
 */
export function parseBrokerConfig(
  props: Readonly<Record<string, string>>,
  options: ParseOptions = {},
): ParsedBrokerConfig {
  const originals: Record<string, string> = Object.assign(Object.create(null), props);
  const warnings: string[] = [];
  const ignored: string[] = [];
  const topicConfigDefaults: Record<string, string> = {};

  for (const [key, value] of Object.entries(originals)) {
    if (getBrokerConfigDef(key)) continue;
    if (TOPIC_SYNONYM_NAMES.has(key)) {
      topicConfigDefaults[key] = value;
      continue;
    }
    const rejected = findRule(REJECTED_CONFIGS, key);
    if (rejected) {
      const message = `Configuration '${key}' is not supported: ${rejected.reason}`;
      throw new ConfigError(message, { key, value });
    }
    const ignoredRule = findRule(IGNORED_CONFIGS, key);
    if (ignoredRule) {
      ignored.push(key);
      warnings.push(`Ignoring configuration '${key}': ${ignoredRule.reason}`);
      continue;
    }
    throw unknownConfig(key, value);
  }

  const settings = parseSettings(originals);
  const logDefaults = parseLogDefaults(topicConfigDefaults);
  const config = buildConfig(settings, originals, {
    workingDir: options.workingDir ?? process.cwd(),
    logDefaults,
    topicConfigDefaults,
  });
  validateRoles(config, originals);
  validateTuning(config, warnings);
  return { config, warnings, ignored };
}

// ---------------------------------------------------------------------------------------------
// Individual values

/** One zod object over the whole table: raw strings in, typed values (by Kafka name) out. */
const SETTINGS_SCHEMA = z.object(
  Object.fromEntries(
    BROKER_CONFIG_DEFS.map((def) => [
      def.name,
      def.presence === 'optional' ? def.kind.schema.optional() : def.kind.schema,
    ]),
  ),
);

function parseSettings(originals: Readonly<Record<string, string>>): BrokerSettings {
  const input: Record<string, string> = {};
  for (const def of BROKER_CONFIG_DEFS) {
    if (Object.hasOwn(originals, def.name)) input[def.name] = originals[def.name];
    else if (def.defaultValue !== null) input[def.name] = def.defaultValue;
  }
  // Kafka treats broker.id as another name for node.id.
  if (input['node.id'] === undefined && input['broker.id'] !== undefined) {
    input['node.id'] = input['broker.id'];
  }
  for (const def of BROKER_CONFIG_DEFS) {
    if (def.presence === 'required' && input[def.name] === undefined) {
      throw new ConfigError(
        `Missing required configuration "${def.name}" which has no default value.`,
        { key: def.name },
      );
    }
  }
  const result = SETTINGS_SCHEMA.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue.path[0]);
    throw ConfigError.invalidValue(key, input[key], issue.message);
  }
  const byKafkaName = result.data as Record<string, unknown>;
  if (
    Object.hasOwn(originals, 'broker.id') &&
    Object.hasOwn(originals, 'node.id') &&
    byKafkaName['broker.id'] !== byKafkaName['node.id']
  ) {
    throw new ConfigError(
      `node.id (${originals['node.id']}) and broker.id (${originals['broker.id']}) must be the same; set only node.id`,
      { key: 'broker.id', value: originals['broker.id'] },
    );
  }
  return Object.fromEntries(
    Object.entries(byKafkaName).map(([name, value]) => [camelCase(name), value]),
  ) as BrokerSettings;
}

function parseLogDefaults(topicConfigDefaults: Readonly<Record<string, string>>): TopicConfigs {
  try {
    return parseTopicConfigs({}, topicConfigDefaults);
  } catch (err) {
    if (err instanceof InvalidConfigError) {
      throw new ConfigError(err.message, { key: err.key, value: err.value ?? undefined });
    }
    throw err;
  }
}

function unknownConfig(key: string, value: string): ConfigError {
  const brokerSynonym = Object.hasOwn(TOPIC_CONFIG_SYNONYMS, key)
    ? TOPIC_CONFIG_SYNONYMS[key][0]
    : undefined;
  const suggestion = brokerSynonym ?? closestKnownName(key);
  const hint = brokerSynonym
    ? ` (a topic-level config; its broker-wide default is '${brokerSynonym}')`
    : suggestion
      ? ` (did you mean '${suggestion}'?)`
      : '';
  return new ConfigError(`Unknown configuration '${key}'${hint}`, { key, value });
}

/** A known name within a small edit distance of `name`, to catch typos. */
function closestKnownName(name: string): string | undefined {
  const candidates = [...BROKER_CONFIG_DEFS.map((def) => def.name), ...TOPIC_SYNONYM_NAMES];
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 8)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

// ---------------------------------------------------------------------------------------------
// Structured values: listeners, quorum, directories

const PLAINTEXT: SecurityProtocol = 'PLAINTEXT';
const NON_ROUTABLE_HOST = '0.0.0.0';

function buildConfig(
  settings: BrokerSettings,
  originals: Readonly<Record<string, string>>,
  extra: {
    workingDir: string;
    logDefaults: TopicConfigs;
    topicConfigDefaults: Record<string, string>;
  },
): BrokerConfig {
  const raw = (key: string): string =>
    originals[key] ?? getBrokerConfigDef(key)?.defaultValue ?? '';
  const controllerListenerNames = settings.controllerListenerNames.map(normaliseListenerName);

  const protocols = effectiveSecurityProtocolMap(settings, originals, controllerListenerNames);
  const listeners = parseEndpoints('listeners', raw('listeners'), protocols, {
    distinctPorts: true,
  });
  const advertised =
    settings.advertisedListeners === undefined
      ? undefined
      : parseEndpoints('advertised.listeners', raw('advertised.listeners'), protocols, {
          distinctPorts: false,
        });
  const isControllerName = (e: Endpoint) => controllerListenerNames.includes(e.listenerName);
  const controllerListeners = listeners.filter(isControllerName);
  const advertisedBrokerListeners = (advertised ?? listeners).filter((e) => !isControllerName(e));
  const advertisedControllerListeners = controllerListenerNames.flatMap((name) => {
    const fromAdvertised = advertised?.find((e) => e.listenerName === name);
    if (fromAdvertised) return [fromAdvertised];
    const bound = controllerListeners.find((e) => e.listenerName === name);
    if (!bound) return [];
    // A wildcard bind address is not an address to give out: advertise the host name instead.
    return [bound.host === NON_ROUTABLE_HOST ? { ...bound, host: null } : bound];
  });

  const plain: Record<string, unknown> = { ...settings };
  for (const key of STRUCTURED_KEYS) delete plain[key];

  const logDirs = resolveLogDirs(settings, originals, extra.workingDir);
  return {
    ...(plain as Omit<BrokerSettings, StructuredKeys>),
    listeners,
    controllerListeners,
    advertisedBrokerListeners,
    advertisedControllerListeners,
    listenerSecurityProtocolMap: protocols,
    controllerListenerNames,
    interBrokerListenerName: interBrokerListenerName(settings, originals, protocols),
    controllerQuorumVoters: parseQuorumVoters(
      'controller.quorum.voters',
      raw('controller.quorum.voters'),
    ),
    controllerQuorumBootstrapServers: parseBootstrapServers(
      'controller.quorum.bootstrap.servers',
      raw('controller.quorum.bootstrap.servers'),
    ),
    logDirs,
    metadataLogDir:
      settings.metadataLogDir === undefined
        ? logDirs[0]
        : resolve(extra.workingDir, settings.metadataLogDir),
    logDefaults: extra.logDefaults,
    topicConfigDefaults: extra.topicConfigDefaults,
    originals,
  };
}

const SSL_OR_SASL: readonly string[] = ['SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/**
 * Kafka's effective map: when the map is not set explicitly and nothing uses SSL or SASL,
 * every controller listener name is mapped to PLAINTEXT, so `CONTROLLER` needs no entry.
 */
function effectiveSecurityProtocolMap(
  settings: BrokerSettings,
  originals: Readonly<Record<string, string>>,
  controllerListenerNames: readonly string[],
): Map<string, SecurityProtocol> {
  const key = 'listener.security.protocol.map';
  const map = parseSecurityProtocolMap(key, settings.listenerSecurityProtocolMap);
  if (Object.hasOwn(originals, key)) return map;
  const listenerNames = settings.listeners.map((entry) =>
    normaliseListenerName(entry.split('://')[0] ?? ''),
  );
  const securedByName = [...controllerListenerNames, ...listenerNames].some((name) =>
    SSL_OR_SASL.includes(name),
  );
  if (securedByName) return map;
  for (const name of controllerListenerNames) {
    if (name !== PLAINTEXT) map.set(name, PLAINTEXT);
  }
  return map;
}

function interBrokerListenerName(
  settings: BrokerSettings,
  originals: Readonly<Record<string, string>>,
  protocols: ReadonlyMap<string, SecurityProtocol>,
): string {
  if (settings.interBrokerListenerName === undefined) {
    // The listener named after security.inter.broker.protocol.
    return settings.securityInterBrokerProtocol;
  }
  if (Object.hasOwn(originals, 'security.inter.broker.protocol')) {
    throw new ConfigError(
      'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.',
      { key: 'security.inter.broker.protocol', value: originals['security.inter.broker.protocol'] },
    );
  }
  const name = normaliseListenerName(settings.interBrokerListenerName);
  if (!protocols.has(name)) {
    throw ConfigError.invalidValue(
      'inter.broker.listener.name',
      settings.interBrokerListenerName,
      `Listener ${name} is not in listener.security.protocol.map (known: ${[...protocols.keys()].join(', ')})`,
    );
  }
  return name;
}

function resolveLogDirs(
  settings: BrokerSettings,
  originals: Readonly<Record<string, string>>,
  workingDir: string,
): string[] {
  const key = settings.logDirs !== undefined ? 'log.dirs' : 'log.dir';
  const dirs = (settings.logDirs ?? settings.logDir).map((dir) => resolve(workingDir, dir));
  const duplicate = dirs.find((dir, i) => dirs.indexOf(dir) !== i);
  if (duplicate !== undefined) {
    throw ConfigError.invalidValue(
      key,
      originals[key] ?? '',
      `Directory ${duplicate} appears more than once`,
    );
  }
  return dirs;
}

// ---------------------------------------------------------------------------------------------
// Whole-configuration checks (Kafka's KafkaConfig.validateValues, KRaft part)

function validateRoles(config: BrokerConfig, originals: Readonly<Record<string, string>>): void {
  const isBroker = config.processRoles.includes('broker');
  const isController = config.processRoles.includes('controller');
  const roles = config.processRoles.join(',');
  const voterIds = config.controllerQuorumVoters.map((v) => v.nodeId);
  const votersText = originals['controller.quorum.voters'] ?? '';
  const listenerNames = config.listeners.map((e) => e.listenerName);

  if (voterIds.length === 0 && config.controllerQuorumBootstrapServers.length === 0) {
    throw new ConfigError(
      'Either controller.quorum.voters (id@host:port,...) or controller.quorum.bootstrap.servers (host:port,...) must be set so that this node can reach the controllers',
      { key: 'controller.quorum.voters', value: votersText },
    );
  }

  if (!isController) {
    if (voterIds.includes(config.nodeId)) {
      throw ConfigError.invalidValue(
        'controller.quorum.voters',
        votersText,
        `Node ${config.nodeId} has only the broker role (process.roles=${roles}) and must not be a voter`,
      );
    }
    if (config.controllerListeners.length > 0) {
      throw ConfigError.invalidValue(
        'listeners',
        originals['listeners'] ?? '',
        `A node with only the broker role must not bind the controller listener ${config.controllerListeners[0].listenerName}`,
      );
    }
    const unmapped = config.controllerListenerNames.find(
      (name) => !config.listenerSecurityProtocolMap.has(name),
    );
    if (unmapped !== undefined) {
      throw ConfigError.invalidValue(
        'controller.listener.names',
        originals['controller.listener.names'] ?? '',
        `Controller listener ${unmapped} is not in listener.security.protocol.map`,
      );
    }
    if (config.controllerQuorumAutoJoinEnable) {
      throw ConfigError.invalidValue(
        'controller.quorum.auto.join.enable',
        originals['controller.quorum.auto.join.enable'] ?? 'true',
        "Only nodes with the 'controller' role can join the quorum",
      );
    }
  }

  if (isController) {
    if (!isBroker) {
      const brokerListener = config.listeners.find(
        (e) => !config.controllerListenerNames.includes(e.listenerName),
      );
      if (brokerListener) {
        throw ConfigError.invalidValue(
          'listeners',
          originals['listeners'] ?? '',
          `With process.roles=controller every listener must be named in controller.listener.names; ${brokerListener.listenerName} is not`,
        );
      }
      if (
        config.originals['inter.broker.listener.name'] !== undefined &&
        config.controllerListenerNames.includes(config.interBrokerListenerName)
      ) {
        throw ConfigError.invalidValue(
          'inter.broker.listener.name',
          config.originals['inter.broker.listener.name'],
          'Must not be a controller listener when process.roles=controller',
        );
      }
    }
    if (voterIds.length > 0 && !voterIds.includes(config.nodeId)) {
      throw ConfigError.invalidValue(
        'controller.quorum.voters',
        votersText,
        `Node ${config.nodeId} has the controller role and must be one of the voters (${voterIds.join(', ')})`,
      );
    }
    const missing = config.controllerListenerNames.find((name) => !listenerNames.includes(name));
    if (missing !== undefined) {
      throw ConfigError.invalidValue(
        'controller.listener.names',
        originals['controller.listener.names'] ?? '',
        `A node with the controller role must bind every controller listener in 'listeners'; ${missing} is missing (listeners: ${listenerNames.join(', ')})`,
      );
    }
  }

  if (isBroker) {
    const advertisedNames = config.advertisedBrokerListeners.map((e) => e.listenerName);
    if (advertisedNames.length === 0) {
      throw ConfigError.invalidValue(
        'listeners',
        originals['listeners'] ?? '',
        'A node with the broker role needs at least one listener that is not a controller listener',
      );
    }
    if (!advertisedNames.includes(config.interBrokerListenerName)) {
      const key =
        originals['inter.broker.listener.name'] !== undefined
          ? 'inter.broker.listener.name'
          : 'security.inter.broker.protocol';
      throw ConfigError.invalidValue(
        key,
        originals[key] ?? config.interBrokerListenerName,
        `The inter-broker listener ${config.interBrokerListenerName} must be an advertised broker listener; choose one of ${advertisedNames.join(', ')}`,
      );
    }
    const unbound = advertisedNames.find((name) => !listenerNames.includes(name));
    if (unbound !== undefined) {
      throw ConfigError.invalidValue(
        'advertised.listeners',
        originals['advertised.listeners'] ?? '',
        `Listener ${unbound} is advertised but not in 'listeners' (${listenerNames.join(', ')})`,
      );
    }
  }

  for (const endpoint of [
    ...config.advertisedBrokerListeners,
    ...config.advertisedControllerListeners,
  ]) {
    if (endpoint.host === NON_ROUTABLE_HOST) {
      const key =
        originals['advertised.listeners'] !== undefined ? 'advertised.listeners' : 'listeners';
      throw ConfigError.invalidValue(
        key,
        originals[key] ?? '',
        `${formatEndpoint(endpoint)} advertises the non-routable address 0.0.0.0; give an address clients can reach`,
      );
    }
  }

  checkPlaintextOnly(config, originals);
}

/** Only PLAINTEXT is implemented: a listener this node binds or dials must use it. */
function checkPlaintextOnly(
  config: BrokerConfig,
  originals: Readonly<Record<string, string>>,
): void {
  for (const endpoint of config.listeners) {
    if (endpoint.securityProtocol !== PLAINTEXT) {
      throw ConfigError.invalidValue(
        'listeners',
        originals['listeners'] ?? '',
        `Listener ${endpoint.listenerName} uses ${endpoint.securityProtocol}; this broker only implements PLAINTEXT`,
      );
    }
  }
  const dialed = [
    ...config.controllerListenerNames.slice(0, 1),
    config.processRoles.includes('broker') ? config.interBrokerListenerName : undefined,
  ];
  for (const name of dialed) {
    const protocol = name === undefined ? undefined : config.listenerSecurityProtocolMap.get(name);
    if (protocol !== undefined && protocol !== PLAINTEXT) {
      throw ConfigError.invalidValue(
        'listener.security.protocol.map',
        originals['listener.security.protocol.map'] ?? '',
        `Listener ${name} uses ${protocol}; this broker only implements PLAINTEXT`,
      );
    }
  }
}

const MIB = 1024 * 1024;

/** Kafka's checks between tuning values; some are only warnings in Kafka too. */
function validateTuning(config: BrokerConfig, warnings: string[]): void {
  const original = (key: string, value: number) => config.originals[key] ?? String(value);
  if (
    config.logCleanerThreads > 0 &&
    config.logCleanerDedupeBufferSize / config.logCleanerThreads <= MIB
  ) {
    throw ConfigError.invalidValue(
      'log.cleaner.dedupe.buffer.size',
      original('log.cleaner.dedupe.buffer.size', config.logCleanerDedupeBufferSize),
      `Must be more than 1 MiB per cleaner thread (log.cleaner.threads=${config.logCleanerThreads})`,
    );
  }
  if (config.replicaFetchWaitMaxMs > config.replicaSocketTimeoutMs) {
    throw ConfigError.invalidValue(
      'replica.fetch.wait.max.ms',
      original('replica.fetch.wait.max.ms', config.replicaFetchWaitMaxMs),
      `Must be at most replica.socket.timeout.ms (${config.replicaSocketTimeoutMs}) to avoid needless socket timeouts`,
    );
  }
  if (config.replicaFetchWaitMaxMs > config.replicaLagTimeMaxMs) {
    throw ConfigError.invalidValue(
      'replica.fetch.wait.max.ms',
      original('replica.fetch.wait.max.ms', config.replicaFetchWaitMaxMs),
      `Must be at most replica.lag.time.max.ms (${config.replicaLagTimeMaxMs}) to keep followers in the ISR`,
    );
  }
  if (config.brokerHeartbeatIntervalMs * 2 > config.brokerSessionTimeoutMs) {
    warnings.push(
      `broker.heartbeat.interval.ms (${config.brokerHeartbeatIntervalMs}) should be at most half of broker.session.timeout.ms (${config.brokerSessionTimeoutMs}), or the broker may lose its registration`,
    );
  }
  if (!config.processRoles.includes('controller') && config.controllerListenerNames.length > 1) {
    warnings.push(
      `controller.listener.names has several entries; a broker-only node uses only the first (${config.controllerListenerNames[0]})`,
    );
  }
}

/** Whether the configuration gives this node `role`. */
export function hasRole(config: Pick<BrokerConfig, 'processRoles'>, role: ProcessRole): boolean {
  return config.processRoles.includes(role);
}

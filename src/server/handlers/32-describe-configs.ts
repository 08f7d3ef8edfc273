import { BROKER_CONFIG_DEFS } from '../../config/broker-config-table.js';
import { topicNameError } from '../../controller/topic-names.js';
import {
  CONFIG_SOURCE_IDS,
  CONFIG_TYPE_IDS,
  TOPIC_CONFIG_DEFS,
  describeTopicConfigs,
  getTopicConfigDef,
} from '../../log/topic-config.js';
import { ConfigResourceType } from '../../metadata/metadata-image.js';
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import type {
  DescribeConfigsRequest,
  DescribeConfigsResource,
} from '../../protocol/messages/generated/describe-configs-request.js';
import type {
  DescribeConfigsResourceResult,
  DescribeConfigsResult,
  DescribeConfigsSynonym,
} from '../../protocol/messages/generated/describe-configs-response.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, HandlerContext, ResponseBody } from '../router.js';

/**
 * DescribeConfigs (key 32), versions 0-4, as Kafka's ConfigHelper.describeConfigs answers:
 *
 * - TOPIC: an illegal name is INVALID_TOPIC_EXCEPTION, a topic not in the image
 *   UNKNOWN_TOPIC_OR_PARTITION (no message); otherwise every topic config with its effective
 *   value. Synonyms (v1+ when includeSynonyms) are the topic override, then the broker
 *   synonyms layer by layer (dynamic per-broker, dynamic cluster default, static, default),
 *   dropping those that come before the first synonym's own name (Kafka's configSynonyms
 *   dropWhile: with only log.retention.hours set, retention.ms lists none). The source is
 *   the first synonym's, DEFAULT_CONFIG when there is none; v0 carries isDefault instead.
 * - BROKER "<this node id>": every broker config (the table in config/broker-config-table.ts
 *   and the topic-default synonyms), read-only unless dynamically alterable here;
 *   BROKER "": the dynamic cluster defaults only; another broker id INVALID_REQUEST,
 *   a name that is not an integer INVALID_REQUEST.
 * - BROKER_LOGGER: empty name or another broker id INVALID_REQUEST; for this node an empty
 *   list (this broker has no runtime-adjustable loggers).
 * - any other resource type: INVALID_REQUEST ("Unsupported resource type").
 * - configurationKeys null or empty: every config; otherwise only those named.
 * - includeDocumentation (v3+): our own one-line description, else null.
 */

type Result = Omit<DescribeConfigsResult, 'resourceType' | 'resourceName'>;
type Entry = DescribeConfigsResourceResult;
type Synonym = DescribeConfigsSynonym;

/** Kafka's DescribeConfigsResponse.ConfigType for a broker config's value type. */
const BROKER_TYPE_IDS: Readonly<Record<string, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

/** Broker config → its synonyms, highest precedence first (Kafka's brokerConfigSynonyms). */
const BROKER_SYNONYMS: ReadonlyMap<string, readonly string[]> = new Map(
  TOPIC_CONFIG_DEFS.flatMap((def) => {
    const names = def.synonyms.map((s) => s.name);
    return names.map((name) => [name, names] as const);
  }),
);

/** The topic-default broker configs: their type, default and documentation. */
const TOPIC_SYNONYM_INFO: ReadonlyMap<
  string,
  { type: number; defaultValue: string | null; description: string }
> = new Map(
  TOPIC_CONFIG_DEFS.flatMap((def) =>
    def.synonyms.map(
      (s) =>
        [
          s.name,
          {
            type: s.unit === 'same' ? CONFIG_TYPE_IDS[def.type] : CONFIG_TYPE_IDS.int,
            defaultValue: s.brokerDefault,
            description: `Broker default of the topic config ${def.name}: ${def.description}`,
          },
        ] as const,
    ),
  ),
);

interface Layers {
  /** Dynamic, this node (BROKER "<id>"). */
  readonly node: ReadonlyMap<string, string>;
  /** Dynamic, cluster default (BROKER ""). */
  readonly cluster: ReadonlyMap<string, string>;
  /** server.properties. */
  readonly fileValues: ReadonlyMap<string, string>;
  /** Kafka's defaults (ConfigDef), only those that are not null. */
  readonly defaults: ReadonlyMap<string, string>;
}

const BROKER_DEFAULTS: ReadonlyMap<string, string> = new Map([
  ...BROKER_CONFIG_DEFS.filter((d) => d.defaultValue !== null).map(
    (d) => [d.name, d.defaultValue!] as const,
  ),
  ...[...TOPIC_SYNONYM_INFO]
    .filter(([, info]) => info.defaultValue !== null)
    .map(([name, info]) => [name, info.defaultValue!] as const),
]);

/** Kafka's configSynonyms: layer by layer, each in synonym order, from `name` on. */
function configSynonyms(name: string, synonyms: readonly string[], layers: Layers): Synonym[] {
  const out: Synonym[] = [];
  const ordered: [ReadonlyMap<string, string>, number][] = [
    [layers.node, CONFIG_SOURCE_IDS.DYNAMIC_BROKER_CONFIG],
    [layers.cluster, CONFIG_SOURCE_IDS.DYNAMIC_DEFAULT_BROKER_CONFIG],
    [layers.fileValues, CONFIG_SOURCE_IDS.STATIC_BROKER_CONFIG],
    [layers.defaults, CONFIG_SOURCE_IDS.DEFAULT_CONFIG],
  ];
  for (const [values, source] of ordered) {
    for (const synonym of synonyms) {
      const value = values.get(synonym);
      if (value !== undefined) out.push({ name: synonym, value, source });
    }
  }
  const first = out.findIndex((s) => s.name === name);
  return first < 0 ? [] : out.slice(first);
}

function wanted(resource: DescribeConfigsResource): (name: string) => boolean {
  const keys = resource.configurationKeys;
  if (keys === null || keys.length === 0) return () => true;
  const set = new Set(keys);
  return (name) => set.has(name);
}

function failure(code: number, message: string | null): Result {
  return { errorCode: code, errorMessage: message, configs: [] };
}

function invalidRequest(message: string): Result {
  return failure(ErrorCode.INVALID_REQUEST, message);
}

interface Options {
  readonly includeSynonyms: boolean;
  readonly includeDocumentation: boolean;
}

function entry(
  name: string,
  value: string | null,
  allSynonyms: Synonym[],
  readOnly: boolean,
  configType: number,
  documentation: string,
  options: Options,
): Entry {
  const source = allSynonyms[0]?.source ?? CONFIG_SOURCE_IDS.DEFAULT_CONFIG;
  return {
    name,
    value,
    readOnly,
    isDefault: source === CONFIG_SOURCE_IDS.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: false,
    synonyms: options.includeSynonyms ? allSynonyms : [],
    configType,
    documentation: options.includeDocumentation ? documentation : null,
  };
}

function layersOf(services: BrokerServices): Layers {
  const image = services.image();
  return {
    node: image.configsOf(ConfigResourceType.Broker, String(services.nodeId)),
    cluster: image.configsOf(ConfigResourceType.Broker, ''),
    fileValues: new Map(Object.entries(services.config.originals)),
    defaults: BROKER_DEFAULTS,
  };
}

function describeTopic(
  services: BrokerServices,
  resource: DescribeConfigsResource,
  layers: Layers,
  options: Options,
): Result {
  const name = resource.resourceName;
  const nameError = topicNameError(name);
  if (nameError !== null) return failure(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
  const image = services.image();
  if (image.topic(name) === undefined) {
    return failure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
  }
  const overrides = Object.fromEntries(image.configsOf(ConfigResourceType.Topic, name));
  const brokerDefaults = {
    ...services.config.topicConfigDefaults,
    ...Object.fromEntries(layers.cluster),
    ...Object.fromEntries(layers.node),
  };
  const include = wanted(resource);
  const configs = describeTopicConfigs(overrides, brokerDefaults).filter((c) => include(c.name));
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    configs: configs.map((c) => {
      const def = getTopicConfigDef(c.name)!;
      const brokerNames = def.synonyms.map((s) => s.name);
      const synonyms =
        brokerNames.length > 0 ? configSynonyms(brokerNames[0], brokerNames, layers) : [];
      if (Object.hasOwn(overrides, c.name)) {
        synonyms.unshift({ name: c.name, value: c.value, source: CONFIG_SOURCE_IDS.TOPIC_CONFIG });
      }
      return entry(
        c.name,
        c.value,
        synonyms,
        false,
        CONFIG_TYPE_IDS[c.type],
        def.description,
        options,
      );
    }),
  };
}

/** Every broker config name this broker knows, sorted. */
const BROKER_CONFIG_NAMES: readonly string[] = [
  ...new Set([...BROKER_CONFIG_DEFS.map((d) => d.name), ...TOPIC_SYNONYM_INFO.keys()]),
].sort();

const BROKER_DEFS = new Map(BROKER_CONFIG_DEFS.map((d) => [d.name, d]));

function brokerEntry(name: string, perBroker: boolean, layers: Layers, options: Options): Entry {
  const synonymNames = BROKER_SYNONYMS.get(name) ?? [name];
  let synonyms = configSynonyms(name, synonymNames, layers);
  if (!perBroker) {
    synonyms = synonyms.filter((s) => s.source === CONFIG_SOURCE_IDS.DYNAMIC_DEFAULT_BROKER_CONFIG);
  }
  const def = BROKER_DEFS.get(name);
  const topicSynonym = TOPIC_SYNONYM_INFO.get(name);
  const value = perBroker
    ? (layers.node.get(name) ??
      layers.cluster.get(name) ??
      layers.fileValues.get(name) ??
      layers.defaults.get(name) ??
      null)
    : (layers.cluster.get(name) ?? null);
  const configType = topicSynonym?.type ?? (def ? (BROKER_TYPE_IDS[def.kind.type] ?? 0) : 0);
  const documentation = topicSynonym?.description ?? def?.description ?? '';
  return entry(
    name,
    value,
    synonyms,
    !TOPIC_SYNONYM_INFO.has(name),
    configType,
    documentation,
    options,
  );
}

function describeBroker(
  services: BrokerServices,
  resource: DescribeConfigsResource,
  layers: Layers,
  options: Options,
): Result {
  const include = wanted(resource);
  const name = resource.resourceName;
  if (name === '') {
    const configs = [...layers.cluster.keys()]
      .filter(include)
      .map((key) => brokerEntry(key, false, layers, options));
    return { errorCode: ErrorCode.NONE, errorMessage: null, configs };
  }
  const id = parseBrokerId(name);
  if (id === null) return invalidRequest(`Broker id must be an integer, but it is: ${name}`);
  if (id !== services.nodeId) {
    return invalidRequest(
      `Unexpected broker id, expected ${services.nodeId} or empty string, but received ${name}`,
    );
  }
  const configs = BROKER_CONFIG_NAMES.filter(include).map((key) =>
    brokerEntry(key, true, layers, options),
  );
  return { errorCode: ErrorCode.NONE, errorMessage: null, configs };
}

function describeBrokerLogger(services: BrokerServices, name: string): Result {
  if (name === '') return invalidRequest('Broker id must not be empty');
  const id = parseBrokerId(name);
  if (id === null) return invalidRequest(`Broker id must be an integer, but it is: ${name}`);
  if (id !== services.nodeId) {
    return invalidRequest(`Unexpected broker id, expected ${services.nodeId} but received ${name}`);
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, configs: [] };
}

/** Java's Integer.parseInt: an optional sign and decimal digits within the int range. */
function parseBrokerId(name: string): number | null {
  if (!/^[+-]?\d+$/.test(name)) return null;
  const id = Number(name);
  return id >= -(2 ** 31) && id < 2 ** 31 ? id : null;
}

export function createDescribeConfigsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.DescribeConfigs> {
  return {
    apiKey: ApiKey.DescribeConfigs,
    minVersion: 0,
    maxVersion: 4,
    async handle(
      ctx: HandlerContext,
      request: DescribeConfigsRequest,
    ): Promise<ResponseBody<typeof ApiKey.DescribeConfigs>> {
      const version = ctx.header.requestApiVersion;
      const options: Options = {
        includeSynonyms: version >= 1 && request.includeSynonyms,
        includeDocumentation: version >= 3 && request.includeDocumentation,
      };
      const layers = layersOf(services);
      const results = request.resources.map((resource): DescribeConfigsResult => {
        let result: Result;
        try {
          switch (resource.resourceType) {
            case ConfigResourceType.Topic:
              result = describeTopic(services, resource, layers, options);
              break;
            case ConfigResourceType.Broker:
              result = describeBroker(services, resource, layers, options);
              break;
            case ConfigResourceType.BrokerLogger:
              result = describeBrokerLogger(services, resource.resourceName);
              break;
            default:
              result = invalidRequest(`Unsupported resource type: ${resource.resourceType}`);
          }
        } catch (err) {
          result = failure(
            ErrorCode.UNKNOWN_SERVER_ERROR,
            err instanceof Error ? err.message : errorInfo(ErrorCode.UNKNOWN_SERVER_ERROR).message,
          );
        }
        return {
          ...result,
          resourceType: resource.resourceType,
          resourceName: resource.resourceName,
        };
      });
      // v0 has no source, only isDefault; v1+ has no isDefault (it must stay false to encode).
      if (version > 0) {
        for (const result of results) for (const config of result.configs) config.isDefault = false;
      }
      return { throttleTimeMs: 0, results };
    },
  };
}

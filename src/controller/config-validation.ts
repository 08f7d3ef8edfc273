/**
 * Checks a config resource's configs as they would be after a change, the way Kafka's
 * controller does (ControllerConfigurationValidator, then the existence check):
 *
 * - TOPIC: a legal, non-empty topic name; every key a topic config and every value valid
 *   on top of the broker defaults (parseTopicConfigs); the topic must exist unless it is
 *   being created.
 * - BROKER: "" (the cluster default) or a non-negative node id of a registered broker or of
 *   this controller; only the dynamic broker configs this broker supports, which are the
 *   topic-default synonyms (log.retention.ms, log.cleanup.policy, ...).
 * - other resource types are not supported here.
 */
import {
  InvalidConfigError,
  TOPIC_CONFIG_DEFS,
  getTopicConfigDef,
  parseTopicConfigs,
} from '../log/topic-config.js';
import { ConfigResourceType } from '../metadata/metadata-image.js';
import { ErrorCode } from '../protocol/errors.js';
import { apiError, type ApiError } from './api-error.js';
import type { ControllerContext } from './controller-context.js';
import { mergedBrokerDefaults, topicDefaultsLayers } from './topic-config-defaults.js';
import { topicNameError } from './topic-names.js';

export interface ConfigResourceRef {
  readonly type: number;
  readonly name: string;
}

/** What APPEND/SUBTRACT need to know about a key: is it a list, and its default. */
export interface ConfigKeyInfo {
  readonly isList: boolean;
  readonly defaultValue: string | null;
}

interface BrokerConfigKey {
  readonly isList: boolean;
  readonly brokerDefault: string | null;
}

/** The broker configs settable dynamically here: the topic configs' broker synonyms. */
const DYNAMIC_BROKER_CONFIGS: ReadonlyMap<string, BrokerConfigKey> = new Map(
  TOPIC_CONFIG_DEFS.flatMap((def) =>
    def.synonyms.map(
      (synonym) =>
        [
          synonym.name,
          { isList: def.type === 'list', brokerDefault: synonym.brokerDefault },
        ] as const,
    ),
  ),
);

export function configKeyInfo(resource: ConfigResourceRef, key: string): ConfigKeyInfo {
  if (resource.type === ConfigResourceType.Topic) {
    const def = getTopicConfigDef(key);
    return { isList: def?.type === 'list', defaultValue: def?.defaultValue ?? null };
  }
  const broker = DYNAMIC_BROKER_CONFIGS.get(key);
  return { isList: broker?.isList ?? false, defaultValue: broker?.brokerDefault ?? null };
}

function invalidConfig(err: unknown): ApiError {
  if (err instanceof InvalidConfigError) return apiError(ErrorCode.INVALID_CONFIG, err.message);
  throw err;
}

function checkTopicConfigs(
  context: ControllerContext,
  name: string,
  configs: ReadonlyMap<string, string>,
): ApiError | null {
  if (name === '')
    return apiError(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.');
  const nameError = topicNameError(name);
  if (nameError) return apiError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
  const layers = topicDefaultsLayers(
    context.image,
    context.settings.staticTopicDefaults,
    context.settings.nodeId,
  );
  try {
    parseTopicConfigs(Object.fromEntries(configs), mergedBrokerDefaults(layers));
  } catch (err) {
    return invalidConfig(err);
  }
  return null;
}

function brokerIdOf(name: string): number | ApiError {
  if (!/^-?\d+$/.test(name)) {
    return apiError(ErrorCode.INVALID_REQUEST, `Unable to parse broker name ${name}`);
  }
  const id = Number(name);
  if (id < 0) return apiError(ErrorCode.INVALID_REQUEST, 'Invalid negative broker ID.');
  return id;
}

function checkBrokerConfigs(
  context: ControllerContext,
  name: string,
  configs: ReadonlyMap<string, string>,
): ApiError | null {
  if (name !== '') {
    const id = brokerIdOf(name);
    if (typeof id !== 'number') return id;
  }
  const notDynamic = [...configs.keys()].filter((key) => !DYNAMIC_BROKER_CONFIGS.has(key));
  if (notDynamic.length > 0) {
    return apiError(
      ErrorCode.INVALID_CONFIG,
      `Cannot update these configs dynamically: ${notDynamic.join(', ')} (dynamic broker configs supported: the topic-default synonyms such as log.retention.ms)`,
    );
  }
  try {
    parseTopicConfigs(
      {},
      { ...context.settings.staticTopicDefaults, ...Object.fromEntries(configs) },
    );
  } catch (err) {
    return invalidConfig(err);
  }
  return null;
}

/** Kafka's ConfigResourceExistenceChecker. */
function checkExists(context: ControllerContext, resource: ConfigResourceRef): ApiError | null {
  if (resource.type === ConfigResourceType.Topic) {
    if (!context.image.topic(resource.name)) {
      return apiError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `The topic '${resource.name}' does not exist.`,
      );
    }
  } else if (resource.type === ConfigResourceType.Broker && resource.name !== '') {
    const id = Number(resource.name);
    if (!context.image.broker(id) && id !== context.settings.nodeId) {
      return apiError(ErrorCode.BROKER_ID_NOT_REGISTERED, `No node with id ${id} found.`);
    }
  }
  return null;
}

/** Null when the resource may hold `configs` (its whole config set after the change). */
export function validateConfigResource(
  context: ControllerContext,
  resource: ConfigResourceRef,
  configs: ReadonlyMap<string, string>,
  newlyCreated: boolean,
): ApiError | null {
  let error: ApiError | null;
  switch (resource.type) {
    case ConfigResourceType.Topic:
      error = checkTopicConfigs(context, resource.name, configs);
      break;
    case ConfigResourceType.Broker:
      error = checkBrokerConfigs(context, resource.name, configs);
      break;
    default:
      return unsupportedResourceType(resource.type);
  }
  return error ?? (newlyCreated ? null : checkExists(context, resource));
}

const RESOURCE_TYPE_NAMES: Readonly<Record<number, string>> = {
  [ConfigResourceType.BrokerLogger]: 'BROKER_LOGGER',
  [ConfigResourceType.ClientMetrics]: 'CLIENT_METRICS',
  [ConfigResourceType.Group]: 'GROUP',
};

export function unsupportedResourceType(type: number): ApiError {
  const known = RESOURCE_TYPE_NAMES[type];
  return known
    ? apiError(
        ErrorCode.INVALID_REQUEST,
        `Altering ${known} configs is not supported by this broker yet.`,
      )
    : apiError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${type}.`);
}

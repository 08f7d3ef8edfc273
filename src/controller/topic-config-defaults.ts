/**
 * Where a topic's config values come from besides its own overrides: the broker-level
 * synonyms (log.retention.ms, ...) set statically in server.properties, dynamically for the
 * whole cluster (BROKER resource ""), or dynamically for this node (BROKER resource "<id>").
 * Kafka resolves them node over cluster over static (KafkaConfigSchema).
 */
import {
  CONFIG_SOURCE_IDS,
  describeTopicConfigs,
  type TopicConfigDescription,
} from '../log/topic-config.js';
import { ConfigResourceType, type MetadataImage } from '../metadata/metadata-image.js';

export interface TopicDefaultsLayers {
  readonly staticDefaults: Readonly<Record<string, string>>;
  readonly clusterDynamic: ReadonlyMap<string, string>;
  readonly nodeDynamic: ReadonlyMap<string, string>;
}

export function topicDefaultsLayers(
  image: MetadataImage,
  staticDefaults: Readonly<Record<string, string>>,
  nodeId: number,
): TopicDefaultsLayers {
  return {
    staticDefaults,
    clusterDynamic: image.configsOf(ConfigResourceType.Broker, ''),
    nodeDynamic: image.configsOf(ConfigResourceType.Broker, String(nodeId)),
  };
}

/** The broker defaults parseTopicConfigs takes: node over cluster over static. */
export function mergedBrokerDefaults(layers: TopicDefaultsLayers): Record<string, string> {
  return {
    ...layers.staticDefaults,
    ...Object.fromEntries(layers.clusterDynamic),
    ...Object.fromEntries(layers.nodeDynamic),
  };
}

/** One entry of CreateTopics' per-topic config list (v5+). */
export interface TopicConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  /** DescribeConfigs' ConfigSource id. */
  readonly configSource: number;
  readonly isSensitive: boolean;
}

function sourceOf(description: TopicConfigDescription, layers: TopicDefaultsLayers): number {
  switch (description.source) {
    case 'TOPIC_CONFIG':
      return CONFIG_SOURCE_IDS.TOPIC_CONFIG;
    case 'DEFAULT_CONFIG':
      return CONFIG_SOURCE_IDS.DEFAULT_CONFIG;
    case 'STATIC_BROKER_CONFIG': {
      // The winning synonym is the first one listed; find the layer that set it.
      const synonym = description.synonyms[0]?.name ?? '';
      if (layers.nodeDynamic.has(synonym)) return CONFIG_SOURCE_IDS.DYNAMIC_BROKER_CONFIG;
      if (layers.clusterDynamic.has(synonym))
        return CONFIG_SOURCE_IDS.DYNAMIC_DEFAULT_BROKER_CONFIG;
      return CONFIG_SOURCE_IDS.STATIC_BROKER_CONFIG;
    }
  }
}

/** Every topic config's effective value and source, sorted by name (Kafka's order). */
export function effectiveTopicConfigs(
  overrides: Readonly<Record<string, string>>,
  layers: TopicDefaultsLayers,
): TopicConfigEntry[] {
  return describeTopicConfigs(overrides, mergedBrokerDefaults(layers))
    .map((description) => ({
      name: description.name,
      value: description.value,
      readOnly: false,
      configSource: sourceOf(description, layers),
      isSensitive: false,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The broker's request handlers, one file per API key; ApiVersions is registered last. */
import type { BrokerServices } from '../broker-services.js';
import type { HandlerRegistry } from '../router.js';
import { createProduceHandler } from './00-produce.js';
import { createFetchHandler } from './01-fetch.js';
import { createListOffsetsHandler } from './02-list-offsets.js';
import { createMetadataHandler } from './03-metadata.js';
import { createCreateTopicsHandler } from './19-create-topics.js';
import { createDeleteTopicsHandler } from './20-delete-topics.js';
import { createInitProducerIdHandler } from './22-init-producer-id.js';
import { createOffsetForLeaderEpochHandler } from './23-offset-for-leader-epoch.js';
import { createDescribeClusterHandler } from './60-describe-cluster.js';

export function registerBrokerHandlers(registry: HandlerRegistry, services: BrokerServices): void {
  registry
    .register(createProduceHandler(services))
    .register(createFetchHandler(services))
    .register(createListOffsetsHandler(services))
    .register(createMetadataHandler(services))
    .register(createCreateTopicsHandler(services))
    .register(createDeleteTopicsHandler(services))
    .register(createInitProducerIdHandler(services))
    .register(createOffsetForLeaderEpochHandler(services))
    .register(createDescribeClusterHandler(services));
}

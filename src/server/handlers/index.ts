/** The broker's request handlers, one file per API key; ApiVersions is registered last. */
import type { BrokerServices } from '../broker-services.js';
import type { HandlerRegistry } from '../router.js';
import { createProduceHandler } from './00-produce.js';
import { createFetchHandler } from './01-fetch.js';
import { createListOffsetsHandler } from './02-list-offsets.js';
import { createMetadataHandler } from './03-metadata.js';
import { createOffsetCommitHandler } from './08-offset-commit.js';
import { createOffsetFetchHandler } from './09-offset-fetch.js';
import { createFindCoordinatorHandler } from './10-find-coordinator.js';
import { createJoinGroupHandler } from './11-join-group.js';
import { createHeartbeatHandler } from './12-heartbeat.js';
import { createLeaveGroupHandler } from './13-leave-group.js';
import { createSyncGroupHandler } from './14-sync-group.js';
import { createDescribeGroupsHandler } from './15-describe-groups.js';
import { createListGroupsHandler } from './16-list-groups.js';
import { createCreateTopicsHandler } from './19-create-topics.js';
import { createDeleteTopicsHandler } from './20-delete-topics.js';
import { createInitProducerIdHandler } from './22-init-producer-id.js';
import { createOffsetForLeaderEpochHandler } from './23-offset-for-leader-epoch.js';
import { createDescribeClusterHandler } from './60-describe-cluster.js';
import { createDeleteRecordsHandler } from './21-delete-records.js';
import { createDescribeConfigsHandler } from './32-describe-configs.js';
import { createAlterConfigsHandler } from './33-alter-configs.js';
import { createDescribeLogDirsHandler } from './35-describe-log-dirs.js';
import { createCreatePartitionsHandler } from './37-create-partitions.js';
import { createDeleteGroupsHandler } from './42-delete-groups.js';
import { createIncrementalAlterConfigsHandler } from './44-incremental-alter-configs.js';
import { createOffsetDeleteHandler } from './47-offset-delete.js';
import { createDescribeProducersHandler } from './61-describe-producers.js';
import { createDescribeTopicPartitionsHandler } from './75-describe-topic-partitions.js';
import { coordinatorUnavailableHandlers } from './coordinator-unavailable.js';
import { securityDisabledHandlers } from './security-disabled.js';

export function registerBrokerHandlers(registry: HandlerRegistry, services: BrokerServices): void {
  registry
    .register(createProduceHandler(services))
    .register(createFetchHandler(services))
    .register(createListOffsetsHandler(services))
    .register(createMetadataHandler(services))
    .register(createOffsetCommitHandler(services))
    .register(createOffsetFetchHandler(services))
    .register(createFindCoordinatorHandler(services))
    .register(createJoinGroupHandler(services))
    .register(createHeartbeatHandler(services))
    .register(createLeaveGroupHandler(services))
    .register(createSyncGroupHandler(services))
    .register(createDescribeGroupsHandler(services))
    .register(createListGroupsHandler(services))
    .register(createCreateTopicsHandler(services))
    .register(createDeleteTopicsHandler(services))
    .register(createInitProducerIdHandler(services))
    .register(createOffsetForLeaderEpochHandler(services))
    .register(createDescribeClusterHandler(services))
    .register(createDeleteRecordsHandler(services))
    .register(createDescribeConfigsHandler(services))
    .register(createAlterConfigsHandler(services))
    .register(createDescribeLogDirsHandler(services))
    .register(createCreatePartitionsHandler(services))
    .register(createIncrementalAlterConfigsHandler(services))
    .register(createDeleteGroupsHandler(services))
    .register(createOffsetDeleteHandler(services))
    .register(createDescribeProducersHandler(services))
    .register(createDescribeTopicPartitionsHandler(services));
  // APIs whose subsystem does not exist yet answer with Kafka's error instead of a hang-up.
  for (const handler of [...coordinatorUnavailableHandlers(), ...securityDisabledHandlers()]) {
    registry.register(handler);
  }
}

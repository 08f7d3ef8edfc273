export { GroupCoordinator, type GroupCoordinatorOptions } from './group-coordinator.js';
export { groupCoordinatorConfig, type GroupCoordinatorConfig } from './group-coordinator-config.js';
export { GROUP_METADATA_TOPIC, partitionForGroup, type GroupLog } from './group-store.js';
export { ReplicaGroupLog } from './replica-group-log.js';
export { GroupState, type GroupStateName } from './classic-group.js';

/** The quorum controller and the typed requests and results of its operations. */
export {
  QuorumController,
  type QuorumControllerOptions,
  type ValidateOnlyOption,
} from './quorum-controller.js';
export { controllerSettings, type ControllerSettings } from './controller-context.js';
export type { ApiError } from './api-error.js';
export type { CreatableTopic, CreateTopicResult } from './create-topics.js';
export type { TopicConfigEntry } from './topic-config-defaults.js';
export type { DeleteTopicResult, DeleteTopicTarget } from './delete-topics.js';
export type { CreatePartitionsTopic, CreatePartitionsTopicResult } from './create-partitions.js';
export type {
  AlterConfigsResource,
  AlterConfigsResourceResult,
  IncrementalAlterConfigsResource,
} from './alter-configs.js';
export { AlterConfigOpType } from './config-changes.js';
export type {
  BrokerFeatureSupport,
  BrokerRegistrationReply,
  BrokerRegistrationRequest,
} from './register-broker.js';
export { PRODUCER_ID_BLOCK_SIZE, type ProducerIdsBlock } from './producer-ids.js';

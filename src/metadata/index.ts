/** The metadata layer: KRaft metadata records, the image and its deltas, the metadata log. */
export {
  BOOTSTRAP_METADATA_VERSION,
  METADATA_RECORD_NAMES,
  METADATA_RECORD_SPECS,
  METADATA_VERSION_FEATURE,
  metadataRecord,
  type MetadataRecord,
  type MetadataRecordBodies,
  type MetadataRecordName,
  type MetadataRecordOf,
} from './metadata-records.js';
export {
  MetadataRecordSerdeError,
  UnknownMetadataRecordTypeError,
  decodeMetadataRecord,
  encodeMetadataRecord,
} from './record-serde.js';
export {
  ConfigResourceType,
  LeaderRecoveryState,
  MetadataImage,
  NO_LEADER,
  NO_LEADER_CHANGE,
  configResourceKey,
  type BrokerEndpoint,
  type BrokerRegistration,
  type ConfigResourceImage,
  type ConfigResourceTypeId,
  type MetadataProvenance,
  type PartitionRegistration,
  type SupportedFeatureRange,
  type TopicImage,
  type TopicsImage,
} from './metadata-image.js';
export { MetadataDelta } from './metadata-delta.js';
export { MetadataReplayError, UnsupportedMetadataRecordError } from './replay-error.js';
export { DIRECTORY_LOST, DIRECTORY_MIGRATING, DIRECTORY_UNASSIGNED } from './directory-id.js';
export type { MetadataListener, MetadataQuorum } from './metadata-quorum.js';
export {
  CLUSTER_METADATA_PARTITION_DIR,
  CLUSTER_METADATA_TOPIC_ID,
  MetadataLog,
  MetadataLogClosedError,
  metadataLogConfig,
  type MetadataLogOptions,
} from './metadata-log.js';

/**
 * The records a brand-new cluster starts with (Kafka's bootstrap metadata, written by the
 * first active controller when the log holds no metadata yet): the metadata.version
 * feature level. Kafka 3.9 also records the ZooKeeper migration state NONE; a cluster that
 * was never in ZooKeeper does not need it here.
 */
import type { MetadataImage } from '../metadata/metadata-image.js';
import {
  BOOTSTRAP_METADATA_VERSION,
  METADATA_VERSION_FEATURE,
  metadataRecord,
  type MetadataRecord,
} from '../metadata/metadata-records.js';

/** Empty once the cluster has a metadata.version. */
export function bootstrapRecords(image: MetadataImage): MetadataRecord[] {
  if (image.features.has(METADATA_VERSION_FEATURE)) return [];
  return [
    metadataRecord('FeatureLevelRecord', {
      name: METADATA_VERSION_FEATURE,
      featureLevel: BOOTSTRAP_METADATA_VERSION,
    }),
  ];
}

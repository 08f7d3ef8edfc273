/**
 * What the controller and the broker's metadata consumers need from the KRaft quorum. Today
 * MetadataLog implements it for a quorum of one voter (every append commits at once); a
 * Raft implementation (src/raft/) will implement it for many, without its users changing.
 */
import type { MetadataDelta } from './metadata-delta.js';
import type { MetadataImage } from './metadata-image.js';
import type { MetadataRecord } from './metadata-records.js';

/** Told of every committed batch, in offset order, with the change it made. */
export type MetadataListener = (image: MetadataImage, delta: MetadataDelta) => void;

export interface MetadataQuorum {
  /** The image of everything committed so far. */
  readonly image: MetadataImage;

  /**
   * The offset the next appended batch will start at. Kafka's controller takes broker
   * epochs from it: a broker's epoch is the offset of its RegisterBrokerRecord.
   */
  readonly nextWriteOffset: bigint;

  /**
   * Appends the records as one batch (all or nothing) and resolves with the offset of the
   * last one once the batch is committed and the new image published. Records that cannot
   * be applied to the current image are refused before anything is written.
   */
  append(records: readonly MetadataRecord[]): Promise<bigint>;

  /** Subscribes to new images; returns the unsubscribe function. */
  onImage(listener: MetadataListener): () => void;
}

/**
 * Loads a metadata log into an image: every data batch's records are replayed in offset
 * order through one MetadataDelta; control batches (leader changes, ...) only move the
 * image's offset on. The image's provenance is the last batch of the log.
 */
import type { Log } from '../log/log.js';
import { scanBatches } from '../protocol/records/index.js';
import {
  KRaftControlRecordType,
  controlRecordType,
  decodeLeaderChange,
} from './kraft-control-records.js';
import { MetadataDelta } from './metadata-delta.js';
import { MetadataImage } from './metadata-image.js';
import { MetadataReplayError } from './replay-error.js';
import { decodeMetadataRecord } from './record-serde.js';

/** Bytes read per step; any batch is returned whole even when larger. */
const READ_CHUNK_BYTES = 8 * 1024 * 1024;

export interface ReplayedLog {
  image: MetadataImage;
  /** The leader named by the last LeaderChangeMessage, -1 when there was none. */
  lastLeaderId: number;
  batches: number;
  records: number;
}

export async function replayMetadataLog(log: Log): Promise<ReplayedLog> {
  const delta = new MetadataDelta(MetadataImage.EMPTY);
  let provenance = { offset: -1n, epoch: -1 };
  let lastLeaderId = -1;
  let batches = 0;
  let records = 0;
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = await log.read(offset, READ_CHUNK_BYTES);
    const { batches: found } = scanBatches(read.records);
    if (found.length === 0) {
      // Never stop short silently: a partial image would look like lost metadata.
      throw new MetadataReplayError(
        `no complete batch at offset ${offset} below the log end ${log.logEndOffset}`,
      );
    }
    for (const batch of found) {
      if (batch.lastOffset < offset) continue;
      for (const record of await batch.decodeRecords()) {
        if (batch.isControl) {
          if (controlRecordType(record) === KRaftControlRecordType.LeaderChange) {
            lastLeaderId = decodeLeaderChange(record).leaderId;
          }
          continue;
        }
        if (record.value === null) {
          throw new MetadataReplayError(`metadata record at offset ${record.offset} has no value`);
        }
        try {
          delta.replay(decodeMetadataRecord(record.value));
        } catch (err) {
          (err as Error).message = `offset ${record.offset}: ${(err as Error).message}`;
          throw err;
        }
        records++;
      }
      batches++;
      provenance = { offset: batch.lastOffset, epoch: batch.partitionLeaderEpoch };
      offset = batch.nextOffset;
    }
  }
  return { image: delta.apply(provenance), lastLeaderId, batches, records };
}

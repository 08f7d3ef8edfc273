/**
 * The group coordinator's GroupLog over this broker's own partitions of
 * `__consumer_offsets`: appends go through the replica manager like a produce with acks=all
 * (so replication and the high watermark apply), loading reads the local log.
 */
import type { LogManager } from '../../log/log-manager.js';
import { buildRecordBatch, scanBatches } from '../../protocol/records/index.js';
import type { CompressionTypeId } from '../../protocol/compression/compression-type.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ReplicaManager } from '../../replica/replica-manager.js';
import { GROUP_METADATA_TOPIC, type CoordinatorRecord, type GroupLog } from './group-store.js';

export interface ReplicaGroupLogOptions {
  replicas: ReplicaManager;
  logs: LogManager;
  compression: CompressionTypeId;
  /** offsets.commit.timeout.ms: how long a write waits for the in-sync replicas. */
  commitTimeoutMs: number;
  /** offsets.load.buffer.size: bytes read at a time while loading. */
  loadBufferSize: number;
  onError(err: unknown, what: string): void;
}

export class ReplicaGroupLog implements GroupLog {
  constructor(private readonly options: ReplicaGroupLogOptions) {}

  async append(partition: number, records: readonly CoordinatorRecord[]): Promise<number> {
    try {
      const batch = await buildRecordBatch({
        records: records.map(({ key, value }) => ({ key, value })),
        compression: this.options.compression,
        baseTimestamp: BigInt(Date.now()),
      });
      const [result] = await this.options.replicas.appendRecords({
        acks: -1,
        timeoutMs: this.options.commitTimeoutMs,
        transactionalId: null,
        allowInternalTopics: true,
        entries: [{ topic: GROUP_METADATA_TOPIC, partition, records: batch }],
      });
      return result.errorCode;
    } catch (err) {
      this.options.onError(err, `appending to ${GROUP_METADATA_TOPIC}-${partition}`);
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  async replay(partition: number, onRecord: (record: CoordinatorRecord) => void): Promise<void> {
    const log = this.options.logs.getLog(GROUP_METADATA_TOPIC, partition);
    if (log === undefined) return;
    const end = log.logEndOffset;
    let offset = log.logStartOffset;
    while (offset < end) {
      const { records } = await log.read(offset, this.options.loadBufferSize, {
        maxOffset: end,
        minOneBatch: true,
      });
      const { batches } = scanBatches(records);
      if (batches.length === 0) break;
      for (const batch of batches) {
        // Transaction markers carry no group state.
        if (!batch.isControl) {
          for (const record of await batch.decodeRecords()) {
            if (record.key !== null) onRecord({ key: record.key, value: record.value });
          }
        }
        offset = batch.nextOffset;
      }
    }
  }
}

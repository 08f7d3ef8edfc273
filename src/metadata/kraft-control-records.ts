/**
 * KRaft's control records in the `__cluster_metadata` log. A control batch (attributes'
 * control bit set, not transactional) holds records whose key is Kafka's control record
 * key (int16 version 0, int16 type) and whose value is the control message body in its
 * version, without a version prefix (MessageUtil.toByteBufferAccessor).
 *
 * Control record types (ControlRecordType): 0 abort and 1 commit are transaction markers
 * (src/protocol/records); KRaft adds 2 leader change, 3 snapshot header, 4 snapshot footer,
 * 5 kraft.version and 6 voters.
 */
import { decodeMessage, encodeMessage } from '../protocol/codec/compile.js';
import {
  LeaderChangeMessageSpec,
  type LeaderChangeMessage,
} from '../protocol/messages/generated/leader-change-message.js';
import {
  buildUncompressedRecordBatch,
  encodeControlRecordKey,
  readControlRecordType,
  type KafkaRecord,
} from '../protocol/records/index.js';

export const KRaftControlRecordType = {
  LeaderChange: 2,
  SnapshotHeader: 3,
  SnapshotFooter: 4,
  KRaftVersion: 5,
  KRaftVoters: 6,
} as const;

/** ControlRecordUtils.LEADER_CHANGE_CURRENT_VERSION. */
export const LEADER_CHANGE_VERSION = 0;

export interface LeaderChangeBatchOptions {
  leaderEpoch: number;
  leaderId: number;
  voters: readonly number[];
  /** The voters that voted for the leader (itself, for a single voter). */
  grantingVoters: readonly number[];
  /** Defaults to now. */
  timestamp?: bigint;
}

/** The control batch a new leader writes first in its epoch (Kafka's LeaderState). */
export function buildLeaderChangeBatch(options: LeaderChangeBatchOptions): Buffer {
  const timestamp = options.timestamp ?? BigInt(Date.now());
  return buildUncompressedRecordBatch({
    partitionLeaderEpoch: options.leaderEpoch,
    isControl: true,
    baseTimestamp: timestamp,
    records: [
      {
        key: encodeControlRecordKey(KRaftControlRecordType.LeaderChange),
        value: encodeMessage<LeaderChangeMessage>(LeaderChangeMessageSpec, LEADER_CHANGE_VERSION, {
          version: LEADER_CHANGE_VERSION,
          leaderId: options.leaderId,
          voters: options.voters.map((voterId) => ({ voterId })),
          grantingVoters: options.grantingVoters.map((voterId) => ({ voterId })),
        }),
        timestamp,
      },
    ],
  });
}

/** The control record type of a record in a control batch. */
export function controlRecordType(record: Pick<KafkaRecord, 'key'>): number {
  return readControlRecordType(record.key);
}

export function decodeLeaderChange(
  record: Pick<KafkaRecord, 'key' | 'value'>,
): LeaderChangeMessage {
  const type = readControlRecordType(record.key);
  if (type !== KRaftControlRecordType.LeaderChange) {
    throw new RangeError(`control record type ${type} is not a leader change`);
  }
  if (record.value === null) throw new RangeError('leader change record has no value');
  return decodeMessage<LeaderChangeMessage>(
    LeaderChangeMessageSpec,
    LEADER_CHANGE_VERSION,
    record.value,
  );
}

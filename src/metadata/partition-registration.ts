/**
 * PartitionRegistration from a PartitionRecord, and merged with a PartitionChangeRecord, with
 * Kafka's semantics (PartitionRegistration.merge):
 *
 * - a null list in the change leaves that list as it is;
 * - leader -2 (NO_LEADER_CHANGE) keeps the leader and its epoch; any other value sets the
 *   leader and bumps the leader epoch, even when it names the same broker;
 * - leaderRecoveryState -1 keeps the state;
 * - every change bumps the partition epoch;
 * - new replicas without directories keep the directory of each replica they kept.
 */
import type { PartitionChangeRecord } from '../protocol/messages/generated/partition-change-record.js';
import type { PartitionRecord } from '../protocol/messages/generated/partition-record.js';
import { directoriesFor, DIRECTORY_MIGRATING } from './directory-id.js';
import {
  LeaderRecoveryState,
  NO_LEADER_CHANGE,
  type PartitionRegistration,
} from './metadata-image.js';
import { MetadataReplayError } from './replay-error.js';

const NO_RECOVERY_STATE_CHANGE = -1;

function checkRecoveryState(state: number): number {
  if (state !== LeaderRecoveryState.Recovered && state !== LeaderRecoveryState.Recovering) {
    throw new MetadataReplayError(`unknown leader recovery state ${state}`);
  }
  return state;
}

function migratingDirectories(count: number): string[] {
  return new Array<string>(count).fill(DIRECTORY_MIGRATING);
}

export function partitionFromRecord(record: PartitionRecord): PartitionRegistration {
  const directories = record.directories;
  if (directories.length > 0 && directories.length !== record.replicas.length) {
    throw new MetadataReplayError(
      `partition ${record.topicId}:${record.partitionId} has ${record.replicas.length} replicas but ${directories.length} directories`,
    );
  }
  return {
    replicas: record.replicas,
    directories:
      directories.length > 0 ? directories : migratingDirectories(record.replicas.length),
    isr: record.isr,
    removingReplicas: record.removingReplicas,
    addingReplicas: record.addingReplicas,
    elr: record.eligibleLeaderReplicas ?? [],
    lastKnownElr: record.lastKnownElr ?? [],
    leader: record.leader,
    leaderRecoveryState: checkRecoveryState(record.leaderRecoveryState),
    leaderEpoch: record.leaderEpoch,
    partitionEpoch: record.partitionEpoch,
  };
}

export function mergePartitionChange(
  current: PartitionRegistration,
  change: PartitionChangeRecord,
): PartitionRegistration {
  const replicas = change.replicas ?? current.replicas;
  let directories: readonly string[];
  if (change.directories !== null && change.directories.length > 0) {
    if (change.replicas !== null && change.replicas.length !== change.directories.length) {
      throw new MetadataReplayError(
        `partition change for ${change.topicId}:${change.partitionId} has ${change.replicas.length} replicas but ${change.directories.length} directories`,
      );
    }
    directories = change.directories;
  } else if (change.replicas !== null) {
    directories = directoriesFor(current.replicas, current.directories, change.replicas);
  } else {
    directories = current.directories;
  }
  if (directories.length === 0) directories = migratingDirectories(replicas.length);
  const leaderChanged = change.leader !== NO_LEADER_CHANGE;
  return {
    replicas,
    directories,
    isr: change.isr ?? current.isr,
    removingReplicas: change.removingReplicas ?? current.removingReplicas,
    addingReplicas: change.addingReplicas ?? current.addingReplicas,
    elr: change.eligibleLeaderReplicas ?? current.elr,
    lastKnownElr: change.lastKnownElr ?? current.lastKnownElr,
    leader: leaderChanged ? change.leader : current.leader,
    leaderEpoch: leaderChanged ? current.leaderEpoch + 1 : current.leaderEpoch,
    leaderRecoveryState:
      change.leaderRecoveryState === NO_RECOVERY_STATE_CHANGE
        ? current.leaderRecoveryState
        : checkRecoveryState(change.leaderRecoveryState),
    partitionEpoch: current.partitionEpoch + 1,
  };
}

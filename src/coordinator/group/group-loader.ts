/**
 * Rebuilds the groups of one `__consumer_offsets` partition from its records, oldest first:
 * the last GroupMetadata of each group and the last offset commit of each of its
 * partitions win, tombstones remove. Offsets outlive a group tombstone on purpose: a group
 * deleted and then used by a simple consumer keeps the new commits.
 */
import { ClassicGroup, GroupMember, GroupState, type CommittedOffset } from './classic-group.js';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeRecordKey,
  type GroupMetadataValue,
} from './group-records.js';
import type { GroupLog } from './group-store.js';

export interface LoadedPartition {
  groups: ClassicGroup[];
  /** Records that could not be decoded (logged by the caller, never fatal). */
  skippedRecords: number;
}

export async function loadGroups(
  log: GroupLog,
  partition: number,
  nowMs: number,
): Promise<LoadedPartition> {
  const metadata = new Map<string, GroupMetadataValue | null>();
  const offsets = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  let skippedRecords = 0;

  await log.replay(partition, ({ key, value }) => {
    try {
      const decoded = decodeRecordKey(key);
      if (decoded.type === 'group') {
        metadata.set(decoded.key.group, value === null ? null : decodeGroupMetadataValue(value));
      } else if (decoded.type === 'offset') {
        const { group, topic, partition: topicPartition } = decoded.key;
        let byTopic = offsets.get(group);
        if (byTopic === undefined) offsets.set(group, (byTopic = new Map()));
        let byPartition = byTopic.get(topic);
        if (byPartition === undefined) byTopic.set(topic, (byPartition = new Map()));
        if (value === null) {
          byPartition.delete(topicPartition);
        } else {
          const v = decodeOffsetCommitValue(value);
          byPartition.set(topicPartition, {
            offset: v.offset,
            leaderEpoch: v.leaderEpoch,
            metadata: v.metadata,
            commitTimestamp: v.commitTimestamp,
            expireTimestamp: v.expireTimestamp === -1n ? null : v.expireTimestamp,
          });
        }
      }
    } catch {
      skippedRecords++;
    }
  });

  const groupIds = new Set<string>();
  for (const [groupId, value] of metadata) if (value !== null) groupIds.add(groupId);
  for (const [groupId, byTopic] of offsets) {
    if ([...byTopic.values()].some((byPartition) => byPartition.size > 0)) groupIds.add(groupId);
  }

  const groups = [...groupIds].map((groupId) => {
    const value = metadata.get(groupId) ?? null;
    const group =
      value === null
        ? new ClassicGroup(groupId, GroupState.Empty, nowMs)
        : groupFrom(groupId, value, nowMs);
    for (const [topic, byPartition] of offsets.get(groupId) ?? []) {
      for (const [p, committed] of byPartition) group.setOffset(topic, p, committed);
    }
    return group;
  });
  return { groups, skippedRecords };
}

function groupFrom(groupId: string, value: GroupMetadataValue, nowMs: number): ClassicGroup {
  const group = new ClassicGroup(
    groupId,
    value.members.length > 0 ? GroupState.Stable : GroupState.Empty,
    nowMs,
  );
  for (const m of value.members) {
    const member = new GroupMember(
      m.memberId,
      m.groupInstanceId,
      m.clientId,
      m.clientHost,
      // Version 0 records have no rebalance timeout: the session timeout stood for both.
      m.rebalanceTimeout >= 0 ? m.rebalanceTimeout : m.sessionTimeout,
      m.sessionTimeout,
      value.protocolType,
      [{ name: value.protocol ?? '', metadata: m.subscription }],
    );
    member.assignment = m.assignment;
    group.add(member, null);
  }
  group.generationId = value.generation;
  group.protocolType = value.protocolType === '' ? null : value.protocolType;
  group.protocolName = value.protocol;
  group.leaderId = value.leader;
  group.stateTimestamp =
    value.currentStateTimestamp >= 0n ? Number(value.currentStateTimestamp) : -1;
  return group;
}

/**
 * The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) as Kafka's group
 * coordinator runs it: member ids handed out (MEMBER_ID_REQUIRED from JoinGroup v4), the
 * join phase held open until every member rejoined or the rebalance timeout passed (the
 * first rebalance of an empty group waits `group.initial.rebalance.delay.ms` for more
 * members), the leader's assignment persisted to `__consumer_offsets` before the group is
 * Stable, members expired when their session lapses, static members (group.instance.id)
 * replacing their earlier incarnation without a rebalance.
 *
 * Requests that must wait (JoinGroup, SyncGroup) get a promise that the group completes
 * later; everything else answers at once.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../log/log.js';
import { decodeMessage } from '../../protocol/codec/compile.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { DescribedGroup } from '../../protocol/messages/generated/describe-groups-response.js';
import type { ListedGroup } from '../../protocol/messages/generated/list-groups-response.js';
import type { SyncGroupRequestAssignment } from '../../protocol/messages/generated/sync-group-request.js';
import {
  ConsumerProtocolSubscriptionSpec,
  type ConsumerProtocolSubscription,
} from '../../protocol/messages/generated/consumer-protocol-subscription.js';
import {
  ClassicGroup,
  CONSUMER_PROTOCOL_TYPE,
  GroupMember,
  GroupState,
  joinError,
  syncError,
  type JoinResult,
  type MemberProtocol,
  type SyncResult,
} from './classic-group.js';
import type { GroupCoordinatorConfig } from './group-coordinator-config.js';
import { groupMetadataKey, groupMetadataValue } from './group-records.js';
import { groupAppendError, type GroupStore } from './group-store.js';
import type { KeyedTimers } from './keyed-timers.js';

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  reason: string | null;
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: a new member first gets its id with MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a rejoining static leader may keep the current assignment. */
  supportsSkippingAssignment: boolean;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: SyncGroupRequestAssignment[];
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

/** A DescribeGroups entry, before the handler adds the authorized operations. */
export type GroupDescription = Omit<DescribedGroup, 'authorizedOperations'>;

interface MembershipLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const EMPTY = Buffer.alloc(0);
export const CLASSIC_GROUP_TYPE = 'classic';

const heartbeatKey = (groupId: string, memberId: string) => `heartbeat\0${groupId}\0${memberId}`;
const joinKey = (groupId: string) => `join\0${groupId}`;
const syncKey = (groupId: string) => `sync\0${groupId}`;

export class GroupMembership {
  constructor(
    private readonly store: GroupStore,
    private readonly config: GroupCoordinatorConfig,
    private readonly clock: Clock,
    private readonly timers: KeyedTimers,
    private readonly logger: MembershipLogger,
  ) {}

  // ---- JoinGroup ----

  joinGroup(params: JoinGroupParams): Promise<JoinResult> {
    const status = this.store.status(params.groupId);
    if (status !== ErrorCode.NONE) return Promise.resolve(joinError(params.memberId, status));
    if (
      params.sessionTimeoutMs < this.config.minSessionTimeoutMs ||
      params.sessionTimeoutMs > this.config.maxSessionTimeoutMs
    ) {
      return Promise.resolve(joinError(params.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = params.memberId === '';
    let group = this.store.groups.get(params.groupId);
    if (group === undefined) {
      // Only a member without an id may create a group.
      if (!isUnknownMember) {
        return Promise.resolve(joinError(params.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      }
      group = new ClassicGroup(params.groupId, GroupState.Empty, this.clock.now());
      this.store.groups.set(params.groupId, group);
    }
    const joining = group;
    return new Promise<JoinResult>((resolve) => {
      if (!this.acceptJoiningMember(joining, params.memberId)) {
        joining.remove(params.memberId);
        resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknownMember) {
        this.joinNewMember(joining, params, resolve);
      } else {
        this.joinExistingMember(joining, params, resolve);
      }
    });
  }

  /** group.max.size: awaiting members count during a rebalance, all members otherwise. */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case GroupState.Empty:
      case GroupState.Dead:
        return true;
      case GroupState.PreparingRebalance:
        return (
          group.member(memberId)?.awaitingJoin != null ||
          group.awaitingJoinMembers < this.config.maxSize
        );
      default:
        return group.has(memberId) || group.size < this.config.maxSize;
    }
  }

  private joinNewMember(
    group: ClassicGroup,
    params: JoinGroupParams,
    resolve: (result: JoinResult) => void,
  ): void {
    if (group.is(GroupState.Dead)) {
      // Just removed: the client looks the coordinator up again and rejoins.
      resolve(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(params.protocolType, params.protocols)) {
      resolve(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    const newMemberId = `${params.groupInstanceId ?? params.clientId}-${randomUUID()}`;
    if (params.groupInstanceId !== null) {
      const existingMemberId = group.staticMemberId(params.groupInstanceId);
      if (existingMemberId !== undefined) {
        this.logger.info(
          { group: group.groupId, groupInstanceId: params.groupInstanceId, newMemberId },
          'static member rejoined with a new member id',
        );
        this.updateStaticMember(group, params, existingMemberId, newMemberId, resolve);
      } else {
        this.addMemberAndRebalance(group, params, newMemberId, resolve);
      }
    } else if (params.requireKnownMemberId) {
      group.addPendingMember(newMemberId);
      this.timers.schedule(heartbeatKey(group.groupId, newMemberId), params.sessionTimeoutMs, () =>
        this.expireHeartbeat(group.groupId, newMemberId),
      );
      resolve(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(group, params, newMemberId, resolve);
    }
  }

  private joinExistingMember(
    group: ClassicGroup,
    params: JoinGroupParams,
    resolve: (result: JoinResult) => void,
  ): void {
    const memberId = params.memberId;
    if (group.is(GroupState.Dead)) {
      resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(params.protocolType, params.protocols)) {
      resolve(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    if (group.isPendingMember(memberId)) {
      // Pending members are dynamic: a static id here is a confused client.
      if (params.groupInstanceId !== null) {
        resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
      }
      this.addMemberAndRebalance(group, params, memberId, resolve);
      return;
    }
    const error = group.validateMember(memberId, params.groupInstanceId);
    if (error !== ErrorCode.NONE) {
      resolve(joinError(memberId, error));
      return;
    }
    const member = group.member(memberId)!;
    const reason = `member ${memberId} rejoined in ${group.state}${params.reason ? ` (${params.reason})` : ''}`;
    switch (group.state) {
      case GroupState.PreparingRebalance:
        this.updateMemberAndRebalance(group, member, params, resolve, reason);
        break;
      case GroupState.CompletingRebalance:
        // The same metadata: the member missed the JoinGroup response; send it again.
        if (member.matches(params.protocols)) {
          resolve(this.currentGeneration(group, memberId, group.isLeader(memberId)));
        } else {
          this.updateMemberAndRebalance(group, member, params, resolve, reason);
        }
        break;
      case GroupState.Stable:
        // A rejoining leader asks for a new assignment (e.g. the topics' partitions changed).
        if (group.isLeader(memberId) || !member.matches(params.protocols)) {
          this.updateMemberAndRebalance(group, member, params, resolve, reason);
        } else {
          resolve(this.currentGeneration(group, memberId, false));
        }
        break;
      default:
        resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private currentGeneration(
    group: ClassicGroup,
    memberId: string,
    withMembers: boolean,
  ): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId,
      members: withMembers ? group.joinedMembers() : [],
    };
  }

  private addMemberAndRebalance(
    group: ClassicGroup,
    params: JoinGroupParams,
    memberId: string,
    resolve: (result: JoinResult) => void,
  ): void {
    const member = new GroupMember(
      memberId,
      params.groupInstanceId,
      params.clientId,
      params.clientHost,
      params.rebalanceTimeoutMs,
      params.sessionTimeoutMs,
      params.protocolType,
      params.protocols,
    );
    member.isNew = true;
    // More members joining a new group extend its initial delay.
    if (group.is(GroupState.PreparingRebalance) && group.previousState === GroupState.Empty) {
      group.newMemberAdded = true;
    }
    group.add(member, resolve);
    // A parked JoinGroup cannot heartbeat and its disconnect goes unseen: bound its wait.
    this.rescheduleHeartbeat(group, member, this.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalanceOrCompleteJoin(group, `adding new member ${memberId}`);
  }

  private updateMemberAndRebalance(
    group: ClassicGroup,
    member: GroupMember,
    params: JoinGroupParams,
    resolve: (result: JoinResult) => void,
    reason: string,
  ): void {
    // A second JoinGroup from the same member replaces the first, which must not hang.
    group.completeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    group.updateMember(
      member,
      params.protocols,
      params.rebalanceTimeoutMs,
      params.sessionTimeoutMs,
      resolve,
    );
    this.maybePrepareRebalanceOrCompleteJoin(group, reason);
  }

  private updateStaticMember(
    group: ClassicGroup,
    params: JoinGroupParams,
    oldMemberId: string,
    newMemberId: string,
    resolve: (result: JoinResult) => void,
  ): void {
    const groupInstanceId = params.groupInstanceId!;
    const currentLeader = group.leaderId;
    const member = group.replaceStaticMember(groupInstanceId, oldMemberId, newMemberId);
    this.timers.cancel(heartbeatKey(group.groupId, oldMemberId));
    this.rescheduleHeartbeat(group, member);
    const previous = {
      protocols: member.protocols,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
    };
    group.updateMember(
      member,
      params.protocols,
      params.rebalanceTimeoutMs,
      params.sessionTimeoutMs,
      resolve,
    );
    const reason = `static member ${groupInstanceId} rejoined as ${newMemberId}`;

    switch (group.state) {
      case GroupState.Stable: {
        if (group.protocolName !== group.selectProtocol()) {
          this.maybePrepareRebalanceOrCompleteJoin(group, `${reason} with other protocols`);
          return;
        }
        // The assignment stays valid: persist the new member id, no rebalance.
        const generationId = group.generationId;
        void this.storeGroup(group, currentAssignment(group)).then((error) => {
          if (error !== ErrorCode.NONE) {
            this.logger.warn(
              { group: group.groupId, groupInstanceId, error },
              'persisting a replaced static member failed; reverting to its old member id',
            );
            group.completeJoin(member, {
              ...joinError('', error),
              generationId,
              protocolType: group.protocolType,
              protocolName: group.protocolName,
              leader: currentLeader ?? '',
            });
            group.updateMember(
              member,
              previous.protocols,
              previous.rebalanceTimeoutMs,
              previous.sessionTimeoutMs,
              null,
            );
            group.replaceStaticMember(groupInstanceId, newMemberId, oldMemberId);
            this.timers.cancel(heartbeatKey(group.groupId, newMemberId));
            this.rescheduleHeartbeat(group, member);
            return;
          }
          const isLeader = group.isLeader(newMemberId);
          const skipAssignment = params.supportsSkippingAssignment && isLeader;
          group.completeJoin(member, {
            errorCode: ErrorCode.NONE,
            generationId: group.generationId,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            // Without skipAssignment a rejoining leader must not think it has to assign.
            leader: (params.supportsSkippingAssignment ? group.leaderId : currentLeader) ?? '',
            skipAssignment,
            memberId: newMemberId,
            members: skipAssignment ? group.joinedMembers() : [],
          });
        });
        return;
      }
      case GroupState.CompletingRebalance:
        // The leader may be assigning to the old member id: assign again.
        this.prepareRebalance(group, reason);
        return;
      case GroupState.PreparingRebalance:
        this.maybeCompleteJoinPhase(group);
        return;
      default:
        return;
    }
  }

  // ---- the join phase ----

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is(GroupState.CompletingRebalance)) {
      this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    }
    this.timers.cancel(syncKey(group.groupId));
    const isInitialRebalance = group.is(GroupState.Empty);
    if (isInitialRebalance) {
      const delayMs = this.config.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
      this.timers.schedule(joinKey(group.groupId), delayMs, () =>
        this.completeInitialRebalanceOrWait(group, delayMs, remainingMs),
      );
    }
    group.transitionTo(GroupState.PreparingRebalance, this.clock.now());
    this.logger.info(
      { group: group.groupId, generation: group.generationId, reason },
      'preparing to rebalance group',
    );
    if (isInitialRebalance) return;
    if (group.hasAllMembersJoined()) {
      this.completeJoinPhase(group);
    } else {
      this.timers.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () =>
        this.completeJoinPhase(group),
      );
    }
  }

  /** The initial delay is extended while new members keep arriving, up to the rebalance timeout. */
  private completeInitialRebalanceOrWait(
    group: ClassicGroup,
    delayMs: number,
    remainingMs: number,
  ): void {
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelayMs = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
      const nextRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.timers.schedule(joinKey(group.groupId), nextDelayMs, () =>
        this.completeInitialRebalanceOrWait(group, nextDelayMs, nextRemainingMs),
      );
    } else {
      this.completeJoinPhase(group);
    }
  }

  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (
      group.is(GroupState.PreparingRebalance) &&
      group.hasAllMembersJoined() &&
      group.previousState !== GroupState.Empty
    ) {
      this.completeJoinPhase(group);
    }
  }

  private completeJoinPhase(group: ClassicGroup): void {
    this.timers.cancel(joinKey(group.groupId));
    if (!group.is(GroupState.PreparingRebalance)) return;
    // Dynamic members that did not rejoin are gone; static ones stay until their session
    // expires, so a restarting instance keeps its place.
    for (const member of group.notYetRejoinedMembers()) {
      if (member.isStatic) continue;
      this.timers.cancel(heartbeatKey(group.groupId, member.memberId));
      group.remove(member.memberId);
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Nobody rejoined: wait another rebalance timeout for sessions to expire them.
      this.logger.warn({ group: group.groupId }, 'no member rejoined; rebalance postponed');
      this.timers.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () =>
        this.completeJoinPhase(group),
      );
      return;
    }
    group.initNextGeneration(this.clock.now());
    group.subscribedTopics = subscribedTopicsOf(group);
    if (group.is(GroupState.Empty)) {
      void this.storeGroup(group, new Map()).then((error) => {
        if (error !== ErrorCode.NONE) {
          this.logger.warn({ group: group.groupId, error }, 'persisting the empty group failed');
        }
      });
      return;
    }
    this.logger.info(
      {
        group: group.groupId,
        generation: group.generationId,
        protocol: group.protocolName,
        members: group.size,
      },
      'group rebalanced; awaiting the leader assignment',
    );
    const members = group.joinedMembers();
    for (const member of [...group.members()]) {
      group.completeJoin(member, {
        ...this.currentGeneration(group, member.memberId, false),
        members: group.isLeader(member.memberId) ? members : [],
      });
      this.rescheduleHeartbeat(group, member);
      member.isNew = false;
      group.addPendingSyncMember(member.memberId);
    }
    const generationId = group.generationId;
    this.timers.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs(), () =>
      this.expirePendingSync(group, generationId),
    );
  }

  /** Members that never sent SyncGroup within the rebalance timeout are dropped. */
  private expirePendingSync(group: ClassicGroup, generationId: number): void {
    if (generationId !== group.generationId) return;
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return;
    const pending = group.pendingSyncMemberIds();
    if (pending.length === 0) return;
    for (const memberId of pending) {
      this.timers.cancel(heartbeatKey(group.groupId, memberId));
      group.remove(memberId);
    }
    this.prepareRebalance(group, `members ${pending.join(', ')} did not sync in time`);
  }

  // ---- SyncGroup ----

  syncGroup(params: SyncGroupParams): Promise<SyncResult> {
    const status = this.store.status(params.groupId);
    if (status !== ErrorCode.NONE) {
      // While loading, the member is told to rejoin rather than to look elsewhere.
      return Promise.resolve(
        syncError(
          status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
            ? ErrorCode.REBALANCE_IN_PROGRESS
            : status,
        ),
      );
    }
    const group = this.store.groups.get(params.groupId);
    if (group === undefined) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const error = this.validateSync(group, params);
    if (error !== ErrorCode.NONE) return Promise.resolve(syncError(error));

    switch (group.state) {
      case GroupState.Empty:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case GroupState.PreparingRebalance:
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case GroupState.Stable: {
        const member = group.member(params.memberId)!;
        group.removePendingSyncMember(params.memberId);
        this.rescheduleHeartbeat(group, member);
        return Promise.resolve({
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        });
      }
      default:
        return new Promise<SyncResult>((resolve) => this.awaitAssignment(group, params, resolve));
    }
  }

  private validateSync(group: ClassicGroup, params: SyncGroupParams): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const error = group.validateMember(params.memberId, params.groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (params.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const inconsistent = (asked: string | null, actual: string | null) =>
      asked !== null && actual !== null && asked !== actual;
    if (
      inconsistent(params.protocolType, group.protocolType) ||
      inconsistent(params.protocolName, group.protocolName)
    ) {
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    }
    return ErrorCode.NONE;
  }

  private awaitAssignment(
    group: ClassicGroup,
    params: SyncGroupParams,
    resolve: (result: SyncResult) => void,
  ): void {
    const member = group.member(params.memberId)!;
    // A repeated SyncGroup replaces the earlier one, which must not hang.
    group.completeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    member.awaitingSync = resolve;
    group.removePendingSyncMember(params.memberId);
    if (!group.isLeader(params.memberId)) return;

    const assignment = new Map<string, Buffer>();
    for (const { memberId, assignment: bytes } of params.assignments)
      assignment.set(memberId, bytes);
    for (const m of group.members())
      if (!assignment.has(m.memberId)) assignment.set(m.memberId, EMPTY);
    const generationId = group.generationId;
    void this.storeGroup(group, assignment).then((error) => {
      if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generationId) return;
      if (error !== ErrorCode.NONE) {
        this.resetAndPropagateAssignmentError(group, error);
        this.maybePrepareRebalanceOrCompleteJoin(group, `storing the assignment failed (${error})`);
        return;
      }
      for (const m of group.members()) {
        m.assignment = assignment.get(m.memberId) ?? EMPTY;
        const delivered = group.completeSync(m, {
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: m.assignment,
        });
        if (delivered) this.rescheduleHeartbeat(group, m);
      }
      group.transitionTo(GroupState.Stable, this.clock.now());
      this.logger.info(
        { group: group.groupId, generation: group.generationId, members: group.size },
        'group stable',
      );
    });
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, error: number): void {
    if (!group.is(GroupState.CompletingRebalance)) return;
    for (const member of group.members()) {
      member.assignment = EMPTY;
      group.completeSync(member, syncError(error));
    }
  }

  // ---- Heartbeat ----

  heartbeat(params: HeartbeatParams): number {
    const status = this.store.status(params.groupId);
    // While loading, heartbeats are accepted blindly: the member keeps its session.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (status !== ErrorCode.NONE) return status;
    const group = this.store.groups.get(params.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const error = group.validateMember(params.memberId, params.groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (params.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.member(params.memberId)!;
    switch (group.state) {
      case GroupState.Empty:
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case GroupState.PreparingRebalance:
        this.rescheduleHeartbeat(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.rescheduleHeartbeat(group, member);
        return ErrorCode.NONE;
    }
  }

  private rescheduleHeartbeat(
    group: ClassicGroup,
    member: GroupMember,
    timeoutMs = member.sessionTimeoutMs,
  ): void {
    const memberId = member.memberId;
    this.timers.schedule(heartbeatKey(group.groupId, memberId), timeoutMs, () =>
      this.expireHeartbeat(group.groupId, memberId),
    );
  }

  private expireHeartbeat(groupId: string, memberId: string): void {
    const group = this.store.groups.get(groupId);
    if (group === undefined || group.is(GroupState.Dead)) return;
    if (group.isPendingMember(memberId)) {
      this.logger.info({ group: groupId, memberId }, 'pending member expired before joining');
      group.remove(memberId);
      this.maybeCompleteJoinPhase(group);
      return;
    }
    const member = group.member(memberId);
    if (member === undefined) return;
    // Members in a rebalance need no heartbeat, unless they joined and never completed one.
    const satisfied =
      !member.isNew && (member.awaitingJoin !== null || member.awaitingSync !== null);
    if (satisfied) return;
    this.logger.info({ group: groupId, memberId }, 'member session expired');
    this.removeMember(group, member);
    this.afterMembersLeft(group, `member ${memberId} expired`);
  }

  // ---- LeaveGroup ----

  leaveGroup(groupId: string, leaving: readonly LeavingMember[]): LeaveGroupResult {
    const status = this.store.status(groupId);
    if (status !== ErrorCode.NONE) return { errorCode: status, members: [] };
    const group = this.store.groups.get(groupId);
    const answer = (m: LeavingMember, errorCode: number) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode,
    });
    if (group === undefined) {
      return {
        errorCode: ErrorCode.NONE,
        members: leaving.map((m) => answer(m, ErrorCode.UNKNOWN_MEMBER_ID)),
      };
    }
    if (group.is(GroupState.Dead))
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };

    const members: LeaveGroupResult['members'] = [];
    let anyLeft = false;
    for (const m of leaving) {
      if (m.memberId === '') {
        // Administrative removal of a static member by its instance id.
        const staticId =
          m.groupInstanceId === null ? undefined : group.staticMemberId(m.groupInstanceId);
        if (staticId === undefined) {
          members.push(answer(m, ErrorCode.UNKNOWN_MEMBER_ID));
          continue;
        }
        this.removeMember(group, group.member(staticId)!);
      } else if (group.isPendingMember(m.memberId)) {
        // It never joined: nothing to rebalance, but a join phase may now be complete.
        group.remove(m.memberId);
        this.timers.cancel(heartbeatKey(groupId, m.memberId));
        this.maybeCompleteJoinPhase(group);
        members.push(answer(m, ErrorCode.NONE));
        continue;
      } else {
        const error = group.validateMember(m.memberId, m.groupInstanceId);
        if (error !== ErrorCode.NONE) {
          members.push(answer(m, error));
          continue;
        }
        this.removeMember(group, group.member(m.memberId)!);
      }
      this.logger.info(
        {
          group: groupId,
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          reason: m.reason,
        },
        'member left the group',
      );
      members.push(answer(m, ErrorCode.NONE));
      anyLeft = true;
    }
    if (anyLeft) this.afterMembersLeft(group, 'members left the group');
    return { errorCode: ErrorCode.NONE, members };
  }

  private removeMember(group: ClassicGroup, member: GroupMember): void {
    this.timers.cancel(heartbeatKey(group.groupId, member.memberId));
    // A member removed while its JoinGroup waits learns it must join again.
    group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.completeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
  }

  private afterMembersLeft(group: ClassicGroup, reason: string): void {
    if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance)) {
      this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    } else if (group.is(GroupState.PreparingRebalance)) {
      this.maybeCompleteJoinPhase(group);
    }
  }

  // ---- DescribeGroups, ListGroups ----

  describeGroup(groupId: string): GroupDescription {
    const status = this.store.status(groupId, true);
    const summary = (errorCode: number, groupState: string): GroupDescription => ({
      errorCode,
      groupId,
      groupState,
      protocolType: '',
      protocolData: '',
      members: [],
    });
    if (status !== ErrorCode.NONE) return summary(status, '');
    const group = this.store.groups.get(groupId);
    if (group === undefined || group.is(GroupState.Dead))
      return summary(ErrorCode.NONE, GroupState.Dead);
    // Metadata and assignments are only meaningful once the group is Stable.
    const stable = group.is(GroupState.Stable);
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadata(group.protocolName) : EMPTY,
        memberAssignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  listGroups(
    statesFilter: readonly string[],
    typesFilter: readonly string[],
  ): {
    errorCode: number;
    groups: ListedGroup[];
  } {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((t) => t.toLowerCase()));
    const groups: ListedGroup[] = [];
    if (types.size === 0 || types.has(CLASSIC_GROUP_TYPE)) {
      for (const group of this.store.activeGroups()) {
        if (group.is(GroupState.Dead)) continue;
        if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
        groups.push({
          groupId: group.groupId,
          protocolType: group.protocolType ?? '',
          groupState: group.state,
          groupType: CLASSIC_GROUP_TYPE,
        });
      }
    }
    return {
      errorCode: this.store.isLoading() ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE,
      groups,
    };
  }

  // ---- loading and unloading ----

  /** A group loaded from the log: its members must heartbeat again within their session. */
  onGroupLoaded(group: ClassicGroup): void {
    group.subscribedTopics = subscribedTopicsOf(group);
    for (const member of group.members()) this.rescheduleHeartbeat(group, member);
  }

  /**
   * This broker no longer coordinates the group, or it was deleted: its timers stop and
   * whoever waits must look for the coordinator again.
   */
  onGroupUnloaded(group: ClassicGroup): void {
    this.timers.cancel(joinKey(group.groupId));
    this.timers.cancel(syncKey(group.groupId));
    this.timers.cancelPrefix(heartbeatKey(group.groupId, ''));
    for (const member of group.members()) {
      group.completeJoin(member, joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
      group.completeSync(member, syncError(ErrorCode.NOT_COORDINATOR));
    }
  }

  // ---- persistence ----

  private async storeGroup(
    group: ClassicGroup,
    assignment: ReadonlyMap<string, Buffer>,
  ): Promise<number> {
    const value = groupMetadataValue({
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: BigInt(group.stateTimestamp),
      members: [...group.members()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadata(group.protocolName),
        assignment: assignment.get(m.memberId) ?? EMPTY,
      })),
    });
    const partition = this.store.partitionFor(group.groupId);
    const code = await this.store.log.append(partition, [
      { key: groupMetadataKey(group.groupId), value },
    ]);
    return groupAppendError(code);
  }
}

function currentAssignment(group: ClassicGroup): Map<string, Buffer> {
  return new Map([...group.members()].map((m) => [m.memberId, m.assignment]));
}

/**
 * The topics a consumer group subscribes to, read from each member's subscription with the
 * v0 schema every later version extends; null when unknown (not the consumer protocol, or
 * metadata that does not parse).
 */
function subscribedTopicsOf(group: ClassicGroup): Set<string> | null {
  if (group.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
  if (group.size === 0) return new Set();
  if (group.protocolName === null) return null;
  const topics = new Set<string>();
  try {
    for (const member of group.members()) {
      const metadata = member.metadata(group.protocolName);
      const subscription = decodeMessage<ConsumerProtocolSubscription>(
        ConsumerProtocolSubscriptionSpec,
        0,
        metadata.subarray(2),
      );
      for (const topic of subscription.topics) topics.add(topic);
    }
  } catch {
    return null;
  }
  return topics;
}

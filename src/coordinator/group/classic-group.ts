/**
 * One classic consumer group as the coordinator holds it in memory: its state machine
 * (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead, with Kafka's allowed
 * transitions), members and static members, members that must still join or sync, the
 * protocols every member supports, and the group's committed offsets.
 *
 * Pure state: the coordinator decides when to transition, persist and answer; this class
 * keeps the bookkeeping consistent (counts of awaiting members, protocol votes, leader).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { JoinGroupRequestProtocol } from '../../protocol/messages/generated/join-group-request.js';
import type { JoinGroupResponse } from '../../protocol/messages/generated/join-group-response.js';
import type { SyncGroupResponse } from '../../protocol/messages/generated/sync-group-response.js';

export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type GroupStateName = (typeof GroupState)[keyof typeof GroupState];

/** The states each state may be entered from (Kafka's GroupState.validPreviousStates). */
const VALID_PREVIOUS_STATES: Record<GroupStateName, readonly GroupStateName[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

/** The consumer protocol type, whose subscriptions the coordinator can read. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export type MemberProtocol = JoinGroupRequestProtocol;
/** What a JoinGroup is answered with, before the handler adds the throttle time. */
export type JoinResult = Omit<JoinGroupResponse, 'throttleTimeMs'>;
export type SyncResult = Omit<SyncGroupResponse, 'throttleTimeMs'>;

export function joinError(memberId: string, errorCode: number): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** Set only by commits that asked for their own retention (OffsetCommit v1-v4). */
  expireTimestamp: bigint | null;
}

export class GroupMember {
  assignment: Buffer = Buffer.alloc(0);
  awaitingJoin: ((result: JoinResult) => void) | null = null;
  awaitingSync: ((result: SyncResult) => void) | null = null;
  /** Joined but not yet through a completed join phase: may time out while waiting. */
  isNew = false;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: MemberProtocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  metadata(protocolName: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? Buffer.alloc(0);
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every(
        (p, i) =>
          p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata),
      )
    );
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (choice === undefined) throw new Error(`member ${this.memberId} supports no candidate`);
    return choice.name;
  }
}

export class ClassicGroup {
  private stateName: GroupStateName;
  private previousStateName: GroupStateName = GroupState.Dead;
  /**
   * When the group entered its current state (ms); offsets of an Empty group expire from it.
   * -1 for a group loaded from records too old to carry it.
   */
  stateTimestamp: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Set while the first rebalance of an empty group waits for more members. */
  newMemberAdded = false;
  /** Topics the members subscribe to (consumer protocol); null when not known. */
  subscribedTopics: Set<string> | null = null;

  private readonly membersById = new Map<string, GroupMember>();
  private readonly staticMembers = new Map<string, string>();
  private readonly pendingJoinMembers = new Set<string>();
  private readonly pendingSyncMembers = new Set<string>();
  private readonly protocolSupport = new Map<string, number>();
  private awaitingJoinCount = 0;

  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();

  constructor(
    readonly groupId: string,
    initialState: GroupStateName,
    nowMs: number,
  ) {
    this.stateName = initialState;
    this.stateTimestamp = nowMs;
  }

  get state(): GroupStateName {
    return this.stateName;
  }

  get previousState(): GroupStateName {
    return this.previousStateName;
  }

  is(state: GroupStateName): boolean {
    return this.stateName === state;
  }

  transitionTo(state: GroupStateName, nowMs: number): void {
    if (!VALID_PREVIOUS_STATES[state].includes(this.stateName)) {
      throw new Error(`group ${this.groupId} cannot go from ${this.stateName} to ${state}`);
    }
    this.previousStateName = this.stateName;
    this.stateName = state;
    this.stateTimestamp = nowMs;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.stateName);
  }

  // ---- members ----

  get size(): number {
    return this.membersById.size;
  }

  members(): IterableIterator<GroupMember> {
    return this.membersById.values();
  }

  has(memberId: string): boolean {
    return this.membersById.has(memberId);
  }

  member(memberId: string): GroupMember | undefined {
    return this.membersById.get(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID when the caller is not this member; else NONE. */
  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.membersById.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  add(member: GroupMember, awaitingJoin: ((result: JoinResult) => void) | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) {
        throw new Error(`static member ${member.groupInstanceId} is already in ${this.groupId}`);
      }
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.membersById.size === 0) this.protocolType = member.protocolType;
    this.leaderId ??= member.memberId;
    this.membersById.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = awaitingJoin;
    if (awaitingJoin !== null) this.awaitingJoinCount++;
    this.pendingJoinMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.membersById.get(memberId);
    if (member !== undefined) {
      this.membersById.delete(memberId);
      this.countProtocols(member, -1);
      if (member.awaitingJoin !== null) this.awaitingJoinCount--;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) {
      this.leaderId = this.membersById.keys().next().value ?? null;
    }
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /** A static member rejoining with a new member id takes over the old member's place. */
  replaceStaticMember(
    groupInstanceId: string,
    oldMemberId: string,
    newMemberId: string,
  ): GroupMember {
    const member = this.membersById.get(oldMemberId);
    if (member === undefined) throw new Error(`no member ${oldMemberId} to replace`);
    // Whoever still waits under the old id is a duplicate of this instance: fence it.
    this.completeJoin(member, { ...joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID) });
    this.completeSync(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
    this.membersById.delete(oldMemberId);
    member.memberId = newMemberId;
    this.membersById.set(newMemberId, member);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  updateMember(
    member: GroupMember,
    protocols: MemberProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    awaitingJoin: ((result: JoinResult) => void) | null,
  ): void {
    this.countProtocols(member, -1);
    member.protocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (awaitingJoin !== null && member.awaitingJoin === null) this.awaitingJoinCount++;
    else if (awaitingJoin === null && member.awaitingJoin !== null) this.awaitingJoinCount--;
    member.awaitingJoin = awaitingJoin;
  }

  completeJoin(member: GroupMember, result: JoinResult): boolean {
    const callback = member.awaitingJoin;
    if (callback === null) return false;
    member.awaitingJoin = null;
    this.awaitingJoinCount--;
    callback(result);
    return true;
  }

  completeSync(member: GroupMember, result: SyncResult): boolean {
    const callback = member.awaitingSync;
    if (callback === null) return false;
    member.awaitingSync = null;
    callback(result);
    return true;
  }

  // ---- join and sync bookkeeping ----

  isPendingMember(memberId: string): boolean {
    return this.pendingJoinMembers.has(memberId);
  }

  addPendingMember(memberId: string): void {
    this.pendingJoinMembers.add(memberId);
  }

  get awaitingJoinMembers(): number {
    return this.awaitingJoinCount;
  }

  hasAllMembersJoined(): boolean {
    return this.membersById.size === this.awaitingJoinCount && this.pendingJoinMembers.size === 0;
  }

  notYetRejoinedMembers(): GroupMember[] {
    return [...this.membersById.values()].filter((m) => m.awaitingJoin === null);
  }

  /** Keeps the leader if it rejoined, else picks a member that did; false when none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.membersById.get(this.leaderId);
    if (leader?.awaitingJoin != null) return true;
    for (const member of this.membersById.values()) {
      if (member.awaitingJoin !== null) {
        this.leaderId = member.memberId;
        return true;
      }
    }
    return false;
  }

  addPendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.add(memberId);
  }

  removePendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
  }

  pendingSyncMemberIds(): string[] {
    return [...this.pendingSyncMembers];
  }

  // ---- protocols ----

  private countProtocols(member: GroupMember, delta: number): void {
    for (const { name } of member.protocols) {
      this.protocolSupport.set(name, (this.protocolSupport.get(name) ?? 0) + delta);
    }
  }

  private candidateProtocols(): Set<string> {
    const all = new Set<string>();
    for (const [name, count] of this.protocolSupport) {
      if (count === this.membersById.size) all.add(name);
    }
    return all;
  }

  /** Kafka's rule: a new member must share a protocol with every current member. */
  supportsProtocols(protocolType: string, protocols: readonly MemberProtocol[]): boolean {
    if (this.is(GroupState.Empty)) return protocolType !== '' && protocols.length > 0;
    return (
      this.protocolType === protocolType &&
      protocols.some((p) => (this.protocolSupport.get(p.name) ?? 0) === this.membersById.size)
    );
  }

  /** Every member votes for its preferred candidate; the most votes win. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const member of this.membersById.values()) {
      const choice = member.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, count] of votes) {
      if (count > bestVotes) {
        best = name;
        bestVotes = count;
      }
    }
    if (best === null) throw new Error(`group ${this.groupId} has no members to select a protocol`);
    return best;
  }

  /** Starts the next generation: CompletingRebalance with members, else Empty. */
  initNextGeneration(nowMs: number): void {
    this.generationId++;
    if (this.membersById.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo(GroupState.CompletingRebalance, nowMs);
    } else {
      this.protocolName = null;
      this.transitionTo(GroupState.Empty, nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  /** The leader's view in JoinGroup: every member with its metadata for the chosen protocol. */
  joinedMembers(): JoinResult['members'] {
    return [...this.membersById.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(this.protocolName),
    }));
  }

  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const member of this.membersById.values()) max = Math.max(max, member.rebalanceTimeoutMs);
    return max;
  }

  /** Unknown subscriptions count as subscribed for consumer groups (as Kafka decides). */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics?.has(topic) ?? this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  // ---- offsets ----

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, committed: CommittedOffset): void {
    let byPartition = this.offsets.get(topic);
    if (byPartition === undefined) {
      byPartition = new Map();
      this.offsets.set(topic, byPartition);
    }
    byPartition.set(partition, committed);
  }

  removeOffset(topic: string, partition: number): boolean {
    const byPartition = this.offsets.get(topic);
    if (byPartition === undefined) return false;
    const removed = byPartition.delete(partition);
    if (byPartition.size === 0) this.offsets.delete(topic);
    return removed;
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0;
  }
}

/**
 * The group coordinator of this broker: it coordinates the groups whose
 * `__consumer_offsets` partition it leads. Becoming leader of a partition loads that
 * partition's groups and offsets (requests for them meanwhile get
 * COORDINATOR_LOAD_IN_PROGRESS); losing it unloads them (NOT_COORDINATOR). The protocol
 * lives in GroupMembership, offsets in GroupOffsets; time and the log are injected.
 */
import type { Clock } from '../../log/log.js';
import { PeriodicTask, timerScheduler, type Scheduler } from '../../log/scheduler.js';
import { systemClock } from '../../log/log.js';
import type { GroupCoordinatorConfig } from './group-coordinator-config.js';
import { loadGroups } from './group-loader.js';
import { GroupMembership } from './group-membership.js';
import { GroupOffsets } from './group-offsets.js';
import { GroupStore, type GroupLog } from './group-store.js';
import { KeyedTimers } from './keyed-timers.js';

export interface CoordinatorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface GroupCoordinatorOptions {
  config: GroupCoordinatorConfig;
  log: GroupLog;
  /** Partitions of `__consumer_offsets`: the topic's own count once it exists. */
  partitionCount: () => number;
  logger: CoordinatorLogger;
  clock?: Clock;
  scheduler?: Scheduler;
}

export class GroupCoordinator {
  readonly store: GroupStore;
  readonly membership: GroupMembership;
  readonly offsets: GroupOffsets;
  private readonly timers: KeyedTimers;
  private readonly clock: Clock;
  private readonly logger: CoordinatorLogger;
  private readonly expiry: PeriodicTask;
  /** The leader epoch each owned partition was taken at, to discard stale loads. */
  private readonly epochs = new Map<number, number>();
  private readonly loads = new Set<Promise<void>>();

  constructor(options: GroupCoordinatorOptions) {
    this.clock = options.clock ?? systemClock;
    const scheduler = options.scheduler ?? timerScheduler;
    this.logger = options.logger;
    this.store = new GroupStore(options.log, options.partitionCount);
    this.timers = new KeyedTimers(scheduler);
    this.membership = new GroupMembership(
      this.store,
      options.config,
      this.clock,
      this.timers,
      this.logger,
    );
    this.offsets = new GroupOffsets(this.store, options.config, this.clock, this.logger, (group) =>
      this.membership.onGroupUnloaded(group),
    );
    this.expiry = new PeriodicTask(
      'offsets-expiry',
      scheduler,
      options.config.offsetsRetentionCheckIntervalMs,
      () => this.offsets.expireOffsets(),
      (name, err) => this.logger.error({ err, task: name }, 'offset expiry failed'),
    );
  }

  startup(): void {
    this.expiry.start(0);
  }

  partitionFor(groupId: string): number {
    return this.store.partitionFor(groupId);
  }

  /** This broker leads `__consumer_offsets-<partition>` at `leaderEpoch`: load its groups. */
  onElection(partition: number, leaderEpoch: number): Promise<void> {
    if (!this.store.active) return Promise.resolve();
    const known = this.epochs.get(partition);
    if (known !== undefined && known >= leaderEpoch && this.store.partitionStatus(partition)) {
      return Promise.resolve();
    }
    this.unloadGroups(partition);
    this.epochs.set(partition, leaderEpoch);
    this.store.setPartitionStatus(partition, 'loading');
    const load = this.load(partition, leaderEpoch);
    this.loads.add(load);
    return load.finally(() => this.loads.delete(load));
  }

  private async load(partition: number, leaderEpoch: number): Promise<void> {
    const started = Date.now();
    try {
      const { groups, skippedRecords } = await loadGroups(
        this.store.log,
        partition,
        this.clock.now(),
      );
      // Resigned or re-elected while loading: this result is stale.
      if (this.epochs.get(partition) !== leaderEpoch || !this.store.active) return;
      for (const group of groups) {
        this.store.groups.set(group.groupId, group);
        this.membership.onGroupLoaded(group);
      }
      this.store.setPartitionStatus(partition, 'active');
      if (skippedRecords > 0) {
        this.logger.warn({ partition, skippedRecords }, 'undecodable group records skipped');
      }
      if (groups.length > 0) {
        this.logger.info(
          { partition, groups: groups.length, ms: Date.now() - started },
          'loaded consumer groups',
        );
      }
    } catch (err) {
      this.logger.error({ err, partition }, 'loading consumer groups failed');
      if (this.epochs.get(partition) === leaderEpoch) {
        this.epochs.delete(partition);
        this.store.setPartitionStatus(partition, null);
      }
    }
  }

  /** This broker no longer leads the partition (or it is gone): drop its groups. */
  onResignation(partition: number): void {
    this.epochs.delete(partition);
    this.unloadGroups(partition);
    this.store.setPartitionStatus(partition, null);
  }

  private unloadGroups(partition: number): void {
    for (const group of this.store.groupsOfPartition(partition)) {
      this.membership.onGroupUnloaded(group);
      this.store.groups.delete(group.groupId);
    }
  }

  /** Waits for partition loads in progress (tests and startup). */
  async loaded(): Promise<void> {
    await Promise.all([...this.loads]);
  }

  /** Stops serving: parked joins and syncs are told to find the coordinator again. */
  async shutdown(): Promise<void> {
    if (!this.store.active) return;
    this.store.active = false;
    await this.expiry.stop();
    for (const group of this.store.groups.values()) this.membership.onGroupUnloaded(group);
    this.timers.cancelAll();
    await this.loaded();
  }
}

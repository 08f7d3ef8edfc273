import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { syncDirectory } from './atomic-file.js';
import { LogCleaner } from './cleaner/log-cleaner.js';
import type { CleanerConfig } from './cleaner/cleaner-config.js';
import { readOffsetCheckpoint, writeOffsetCheckpoint } from './checkpoint-file.js';
import { KafkaStorageError, Log, systemClock, type Clock, type LogLogger } from './log.js';
import type { LogConfig } from './log-config.js';
import {
  CLUSTER_METADATA_TOPIC,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
  classifyPartitionDir,
  deleteCleanShutdownMarker,
  hasCleanShutdownMarker,
  isDiskError,
  logDeleteDirName,
  writeCleanShutdownMarker,
} from './log-dir.js';
import {
  MetaPropertiesError,
  randomDirectoryId,
  readMetaProperties,
  verifyLogDirIdentities,
  writeMetaProperties,
  type LogDirIdentity,
  type MetaProperties,
} from './meta-properties.js';
import { readPartitionMetadata, writePartitionMetadata } from './partition-metadata.js';
import { PeriodicTask, timerScheduler, type Scheduler } from './scheduler.js';
import { partitionDirName } from './segment-files.js';

export interface LogManagerLogger extends LogLogger {
  error(obj: object, msg: string): void;
}

const silentLogger: LogManagerLogger = { info() {}, warn() {}, error() {} };

/** Kafka's Long.MAX_VALUE interval: the task never runs. */
const NEVER = Number.MAX_SAFE_INTEGER;

export interface LogManagerOptions {
  /** log.dirs; each must have been formatted (meta.properties). */
  logDirs: readonly string[];
  /** The LogConfig of a topic, used for logs found at startup and as getOrCreateLog's default. */
  configFor: (topic: string) => LogConfig;
  /** Identity the broker is configured with; every log dir must match it when given. */
  clusterId?: string;
  nodeId?: number;
  clock?: Clock;
  scheduler?: Scheduler;
  logger?: LogManagerLogger;
  /** num.recovery.threads.per.data.dir: logs opened (or closed) at once per dir. */
  recoveryConcurrencyPerDir?: number;
  /** log.retention.check.interval.ms */
  retentionCheckIntervalMs?: number;
  /** log.flush.scheduler.interval.ms (Kafka's default: never) */
  flushCheckIntervalMs?: number;
  /** log.flush.offset.checkpoint.interval.ms */
  recoveryPointCheckpointIntervalMs?: number;
  /** log.flush.start.offset.checkpoint.interval.ms */
  logStartOffsetCheckpointIntervalMs?: number;
  /** replica.high.watermark.checkpoint.interval.ms */
  highWatermarkCheckpointIntervalMs?: number;
  /** Delay before the first run of every periodic task (Kafka: 30 s). */
  initialTaskDelayMs?: number;
  /** The high watermark to checkpoint (replication decides it); default the log end offset. */
  highWatermarkFor?: (topic: string, partition: number) => bigint;
  tailCacheBytes?: number;
  /** log.cleaner.enable: compact logs whose cleanup.policy includes compact (default true). */
  cleanerEnabled?: boolean;
  /** Cleaner settings (log.cleaner.*); see cleaner/cleaner-config.ts. */
  cleanerConfig?: Partial<CleanerConfig>;
}

/** A log with the partition it serves and where it lives. */
export interface ManagedLog {
  readonly topic: string;
  readonly partition: number;
  readonly log: Log;
  /** The log dir (one of log.dirs) holding the partition dir. */
  readonly logDir: string;
  topicId: string | undefined;
}

export class InconsistentTopicIdError extends Error {
  override readonly name = 'InconsistentTopicIdError';
}

interface LogDirState {
  readonly path: string;
  meta: MetaProperties | null;
  /** The disk error that took the dir offline; offline dirs stay so until restart. */
  offline: Error | null;
  /** Creations in progress that picked this dir, so concurrent ones spread out. */
  reservations: number;
}

type DirOfflineListener = (logDir: string, cause: Error) => void;

/** Logs processed between yields to the event loop in background tasks. */
const LOGS_PER_YIELD = 64;

/**
 * Kafka's LogManager: owns the logs of every partition in one or more log dirs. It checks
 * the dirs' identity, loads (and if needed recovers) every log at startup, creates and
 * deletes logs, runs retention, flushes and checkpoints in the background, shuts down
 * cleanly, and takes a log dir offline when its disk fails while the others keep serving.
 */
export class LogManager {
  private readonly dirs = new Map<string, LogDirState>();
  private readonly current = new Map<string, ManagedLog>();
  /** Partitions whose log dir failed, with that dir. */
  private readonly offlinePartitions = new Map<string, string>();
  private readonly creating = new Map<string, Promise<ManagedLog>>();
  private readonly pendingDirRemovals = new Map<string, () => void>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly checkpointWrites = new Map<string, Promise<void>>();
  private readonly offlineListeners = new Set<DirOfflineListener>();
  private tasks: PeriodicTask[] = [];
  private state: 'open' | 'shutting-down' | 'closed' = 'open';
  private shutdownDone: Promise<void> | null = null;
  private identity: { clusterId: string; nodeId: number } | null = null;

  private readonly configFor: (topic: string) => LogConfig;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: LogManagerLogger;
  private readonly recoveryConcurrency: number;
  private readonly highWatermarkFor: (topic: string, partition: number) => bigint;
  /** The log cleaner (compaction), when enabled. */
  readonly cleaner: LogCleaner | null;

  private constructor(
    private readonly options: LogManagerOptions,
    logDirs: readonly string[],
  ) {
    for (const path of logDirs) {
      this.dirs.set(path, { path, meta: null, offline: null, reservations: 0 });
    }
    this.configFor = options.configFor;
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? timerScheduler;
    this.logger = options.logger ?? silentLogger;
    this.recoveryConcurrency = Math.max(1, options.recoveryConcurrencyPerDir ?? 8);
    this.highWatermarkFor =
      options.highWatermarkFor ??
      ((topic, partition) =>
        this.current.get(partitionDirName(topic, partition))?.log.logEndOffset ?? 0n);
    this.cleaner =
      options.cleanerEnabled === false
        ? null
        : new LogCleaner({
            logs: () => this.allLogs(),
            config: options.cleanerConfig,
            clock: this.clock,
            logger: this.logger,
          });
  }

  /** Verifies the log dirs and loads every log in them (recovering after a crash). */
  static async open(options: LogManagerOptions): Promise<LogManager> {
    const logDirs = options.logDirs.map((dir) => resolve(dir));
    if (logDirs.length === 0) throw new Error('log.dirs is empty');
    if (new Set(logDirs).size !== logDirs.length) {
      throw new Error(`Duplicate log directory found: ${logDirs.join(', ')}`);
    }
    const manager = new LogManager(options, logDirs);
    await manager.initializeLogDirs();
    await manager.loadLogs();
    return manager;
  }

  get clusterId(): string {
    return this.identity!.clusterId;
  }

  get nodeId(): number {
    return this.identity!.nodeId;
  }

  /** The directory.id of a log dir (from its meta.properties). */
  directoryId(logDir: string): string | undefined {
    return this.dirs.get(resolve(logDir))?.meta?.directoryId;
  }

  liveLogDirs(): string[] {
    return [...this.dirs.values()].filter((d) => !d.offline).map((d) => d.path);
  }

  offlineDirs(): string[] {
    return [...this.dirs.values()].filter((d) => d.offline).map((d) => d.path);
  }

  /** Calls `listener` once per log dir that goes offline, after its logs are closed. */
  onDirOffline(listener: DirOfflineListener): () => void {
    this.offlineListeners.add(listener);
    return () => this.offlineListeners.delete(listener);
  }

  // ---- startup ----

  private async initializeLogDirs(): Promise<void> {
    const identities: LogDirIdentity[] = [];
    for (const dir of this.dirs.values()) {
      let meta: MetaProperties | null;
      try {
        meta = await readMetaProperties(dir.path);
      } catch (err) {
        if (!isDiskError(err)) throw err;
        this.failDir(dir.path, err as Error, 'reading meta.properties');
        continue;
      }
      if (!meta) {
        throw new MetaPropertiesError(
          `No meta.properties found in ${dir.path} (have you run kafka-storage format on the directory?)`,
        );
      }
      dir.meta = meta;
      identities.push({ dir: dir.path, meta });
    }
    if (identities.length === 0) {
      throw new KafkaStorageError(
        `none of the log dirs ${[...this.dirs.keys()].join(', ')} is readable`,
      );
    }
    this.identity = verifyLogDirIdentities(identities, {
      clusterId: this.options.clusterId,
      nodeId: this.options.nodeId,
    });
    // Dirs formatted before directory ids existed get one, as Kafka does at startup.
    const usedIds = new Set(identities.map((i) => i.meta.directoryId));
    for (const dir of this.dirs.values()) {
      if (!dir.meta || dir.meta.directoryId !== undefined) continue;
      let directoryId = randomDirectoryId();
      while (usedIds.has(directoryId)) directoryId = randomDirectoryId();
      usedIds.add(directoryId);
      dir.meta = { ...dir.meta, directoryId };
      this.logger.info(
        { dir: dir.path, directoryId },
        'rewriting meta.properties with a directory.id',
      );
      await writeMetaProperties(dir.path, dir.meta);
    }
  }

  private async loadLogs(): Promise<void> {
    const started = performance.now();
    const results = await Promise.allSettled(
      [...this.dirs.values()].filter((d) => !d.offline).map((d) => this.loadLogsInDir(d)),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      // A broken dir layout (not a disk failure) stops the broker; release what was opened.
      for (const entry of this.current.values()) await entry.log.closeHandles();
      for (const cancel of this.pendingDirRemovals.values()) cancel();
      throw failure.reason;
    }
    if (this.liveLogDirs().length === 0) {
      throw new KafkaStorageError('every log dir failed while loading logs');
    }
    this.logger.info(
      { logs: this.current.size, ms: Math.round(performance.now() - started) },
      'loaded logs',
    );
  }

  private async loadLogsInDir(dir: LogDirState): Promise<void> {
    const started = performance.now();
    try {
      // The marker is removed before loading (Kafka, KAFKA-10471): a crash while loading
      // must make the next start recover too.
      const hadCleanShutdown = await hasCleanShutdownMarker(dir.path);
      if (hadCleanShutdown) await deleteCleanShutdownMarker(dir.path);
      const recoveryPoints = await this.readCheckpointLeniently(
        dir.path,
        RECOVERY_POINT_CHECKPOINT_FILE,
      );
      const logStartOffsets = await this.readCheckpointLeniently(
        dir.path,
        LOG_START_OFFSET_CHECKPOINT_FILE,
      );
      const toLoad = await this.findPartitionDirs(dir.path);
      this.logger.info(
        { dir: dir.path, logs: toLoad.length, hadCleanShutdown },
        hadCleanShutdown
          ? 'loading logs; clean shutdown marker found, skipping recovery'
          : 'loading logs; no clean shutdown marker, recovering past the recovery points',
      );
      await forEachConcurrently(toLoad, this.recoveryConcurrency, async ({ topic, partition }) => {
        const key = partitionDirName(topic, partition);
        const managed = await this.openLog(dir, topic, partition, this.configFor(topic), {
          recoveryPoint: recoveryPoints.get(key) ?? 0n,
          logStartOffset: logStartOffsets.get(key),
          hadCleanShutdown,
        });
        if (dir.offline) {
          // Another log of this dir hit a disk error while this one was loading.
          await managed.log.closeHandles();
          this.offlinePartitions.set(key, dir.path);
          return;
        }
        const previous = this.current.get(key);
        if (previous) {
          await managed.log.closeHandles();
          throw new Error(
            `Duplicate log directories for ${key} are found in both ${managed.log.dir} and ` +
              `${previous.log.dir}. Remove the one in the log dir that failed most recently.`,
          );
        }
        this.register(managed);
      });
      this.logger.info(
        { dir: dir.path, logs: toLoad.length, ms: Math.round(performance.now() - started) },
        'loaded logs in dir',
      );
    } catch (err) {
      if (!isDiskError(err)) throw err;
      this.failDir(dir.path, err as Error, 'loading logs');
    }
  }

  /** A checkpoint that can't be parsed only costs a longer recovery, as in Kafka. */
  private async readCheckpointLeniently(
    logDir: string,
    fileName: string,
  ): Promise<Map<string, bigint>> {
    try {
      return await readOffsetCheckpoint(join(logDir, fileName));
    } catch (err) {
      if (isDiskError(err)) throw err;
      this.logger.warn(
        { dir: logDir, file: fileName, error: (err as Error).message },
        'unreadable checkpoint; starting from its defaults',
      );
      return new Map();
    }
  }

  private async findPartitionDirs(logDir: string): Promise<{ topic: string; partition: number }[]> {
    const found: { topic: string; partition: number }[] = [];
    for (const entry of await readdir(logDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(logDir, entry.name);
      const parsed = classifyPartitionDir(entry.name);
      if (!parsed) {
        if (!entry.name.startsWith('.')) {
          this.logger.warn({ dir: path }, 'ignoring a directory that is not a partition dir');
        }
      } else if (parsed.kind === 'delete') {
        // Deleted before the last shutdown but not yet removed: nothing reads it any more.
        this.scheduleDirRemoval(logDir, path, 0);
      } else if (parsed.kind === 'future') {
        this.logger.warn(
          { dir: path },
          'ignoring a future replica dir: moving replicas between log dirs is not supported',
        );
      } else if (parsed.kind === 'stray') {
        this.logger.warn(
          { dir: path },
          'ignoring a stray partition dir; remove it once it is not needed',
        );
      } else if (parsed.topic === CLUSTER_METADATA_TOPIC) {
        this.logger.info({ dir: path }, 'skipping the cluster metadata log');
      } else {
        found.push({ topic: parsed.topic, partition: parsed.partition });
      }
    }
    return found;
  }

  private async openLog(
    dir: LogDirState,
    topic: string,
    partition: number,
    config: LogConfig,
    offsets: { recoveryPoint: bigint; logStartOffset?: bigint; hadCleanShutdown: boolean },
  ): Promise<ManagedLog> {
    const path = join(dir.path, partitionDirName(topic, partition));
    const log = await Log.open({
      dir: path,
      config,
      recoveryPoint: offsets.recoveryPoint,
      logStartOffset: offsets.logStartOffset,
      hadCleanShutdown: offsets.hadCleanShutdown,
      clock: this.clock,
      logger: this.logger,
      tailCacheBytes: this.options.tailCacheBytes,
      onStorageError: (err) => this.handleLogWriteFailure(dir.path, path, err),
    });
    let topicId: string | undefined;
    try {
      topicId = await readPartitionMetadata(path);
    } catch (err) {
      if (isDiskError(err)) {
        await log.closeHandles();
        throw err;
      }
      this.logger.warn(
        { dir: path, error: (err as Error).message },
        'ignoring an unreadable partition.metadata',
      );
    }
    return { topic, partition, log, logDir: dir.path, topicId };
  }

  private register(managed: ManagedLog): void {
    this.current.set(partitionDirName(managed.topic, managed.partition), managed);
  }

  // ---- lookups ----

  /** The partition's log, undefined when there is none; throws if its log dir is offline. */
  getLog(topic: string, partition: number): Log | undefined {
    return this.getManaged(topic, partition)?.log;
  }

  getManaged(topic: string, partition: number): ManagedLog | undefined {
    const key = partitionDirName(topic, partition);
    this.throwIfPartitionOffline(key);
    return this.current.get(key);
  }

  /** Every online log. */
  allLogs(): Log[] {
    return [...this.current.values()].map((m) => m.log);
  }

  /** Every online log with its partition: the hook for the log cleaner and replication. */
  logs(): ManagedLog[] {
    return [...this.current.values()];
  }

  private throwIfPartitionOffline(key: string): void {
    const offlineDir = this.offlinePartitions.get(key);
    if (offlineDir !== undefined) {
      throw new KafkaStorageError(`partition ${key} is offline: its log dir ${offlineDir} failed`);
    }
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new KafkaStorageError('the log manager is shut down');
  }

  // ---- create and delete ----

  /**
   * The partition's log, created in the online log dir with the fewest partitions when it
   * doesn't exist. `topicId` is recorded in partition.metadata and must match an existing
   * one. Unless `isNew`, creation is refused while a log dir is offline: the partition's
   * data may be on it (Kafka's rule).
   */
  async getOrCreateLog(
    topic: string,
    partition: number,
    config: LogConfig = this.configFor(topic),
    options: { topicId?: string; isNew?: boolean } = {},
  ): Promise<Log> {
    this.checkOpen();
    const key = partitionDirName(topic, partition);
    this.throwIfPartitionOffline(key);
    let managed = this.current.get(key);
    if (!managed) {
      let creation = this.creating.get(key);
      if (!creation) {
        creation = this.createLog(topic, partition, config, options).finally(() =>
          this.creating.delete(key),
        );
        this.creating.set(key, creation);
      }
      managed = await creation;
    }
    if (options.topicId !== undefined) await this.assignTopicId(managed, options.topicId);
    return managed.log;
  }

  private async createLog(
    topic: string,
    partition: number,
    config: LogConfig,
    options: { topicId?: string; isNew?: boolean },
  ): Promise<ManagedLog> {
    const key = partitionDirName(topic, partition);
    const offline = this.offlineDirs();
    if (!options.isNew && offline.length > 0) {
      throw new KafkaStorageError(
        `Can not create log for ${key} because log directories ${offline.join(',')} are offline`,
      );
    }
    // Chosen before any await, with a reservation, so concurrent creations spread out.
    const candidates = this.dirsByFewestPartitions();
    const chosen = candidates[0];
    if (chosen) chosen.reservations++;
    try {
      for (const dir of candidates) {
        if (dir.offline) continue;
        let managed: ManagedLog;
        try {
          const path = join(dir.path, key);
          await mkdir(path, { recursive: true });
          await syncDirectory(dir.path);
          if (options.topicId !== undefined) await writePartitionMetadata(path, options.topicId);
          managed = await this.openLog(dir, topic, partition, config, {
            recoveryPoint: 0n,
            logStartOffset: 0n,
            hadCleanShutdown: false,
          });
          managed.topicId = options.topicId;
        } catch (err) {
          if (!isDiskError(err)) throw err;
          this.failDir(dir.path, err as Error, `creating the log for ${key}`);
          continue;
        }
        if (dir.offline || this.state !== 'open') {
          // Not retried elsewhere: a second copy would clash with this one at the next start.
          await managed.log.closeHandles();
          throw new KafkaStorageError(
            `log dir ${dir.path} failed or the broker is shutting down while creating ${key}`,
          );
        }
        this.register(managed);
        this.logger.info({ dir: managed.log.dir, topicId: options.topicId }, 'created log');
        return managed;
      }
    } finally {
      if (chosen) chosen.reservations--;
    }
    throw new KafkaStorageError(
      `No log directories available. Tried ${candidates.map((d) => d.path).join(', ')}`,
    );
  }

  /** Online dirs, fewest partitions first; ties keep the configured order. */
  private dirsByFewestPartitions(): LogDirState[] {
    const online = [...this.dirs.values()].filter((d) => !d.offline);
    const counts = new Map(online.map((d) => [d.path, d.reservations]));
    for (const entry of this.current.values()) {
      const count = counts.get(entry.logDir);
      if (count !== undefined) counts.set(entry.logDir, count + 1);
    }
    return online.sort((a, b) => counts.get(a.path)! - counts.get(b.path)!);
  }

  private async assignTopicId(managed: ManagedLog, topicId: string): Promise<void> {
    if (managed.topicId === topicId) return;
    if (managed.topicId !== undefined) {
      throw new InconsistentTopicIdError(
        `Tried to assign topic ID ${topicId} to log for ${managed.topic}-${managed.partition}, ` +
          `but log already contained topic ID ${managed.topicId}`,
      );
    }
    // Set first so a concurrent caller compares instead of writing the file again.
    managed.topicId = topicId;
    try {
      await writePartitionMetadata(managed.log.dir, topicId);
    } catch (err) {
      if (!isDiskError(err)) throw err;
      this.failDir(
        managed.logDir,
        err as Error,
        `writing partition.metadata of ${managed.log.dir}`,
      );
      throw new KafkaStorageError(
        `writing partition.metadata of ${managed.log.dir} failed: ${(err as Error).message}`,
      );
    }
  }

  /**
   * Deletes the partition's log: closes it, renames its dir to Kafka's
   * `topic-partition.uniqueId-delete` and removes the files after the topic's
   * file.delete.delay.ms (a restart before then removes them at startup).
   * Returns false when there was no such log.
   */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    this.checkOpen();
    const key = partitionDirName(topic, partition);
    await this.creating.get(key)?.catch(() => undefined);
    this.throwIfPartitionOffline(key);
    const managed = this.current.get(key);
    if (!managed) return false;
    this.current.delete(key);
    const { log, logDir } = managed;
    const deletePath = join(logDir, logDeleteDirName(topic, partition));
    try {
      // No cleaning pass may swap segments into a log being deleted.
      await this.cleaner?.abortAndPause(log);
      // Inside the log's queue, so an append in flight finishes before the files close.
      await log.withExclusive(() => log.closeHandles());
      await rename(log.dir, deletePath);
      await syncDirectory(logDir);
    } catch (err) {
      if (!isDiskError(err)) throw err;
      this.failDir(logDir, err as Error, `deleting the log ${log.dir}`);
      throw new KafkaStorageError(`deleting the log ${log.dir} failed: ${(err as Error).message}`);
    }
    const delayMs = log.config.fileDeleteDelayMs;
    this.logger.info({ dir: log.dir, renamedTo: deletePath, delayMs }, 'log renamed for deletion');
    this.scheduleDirRemoval(logDir, deletePath, delayMs);
    await this.cleaner?.removeLog(log);
    await this.checkpointRecoveryPointsIn(logDir);
    await this.checkpointLogStartOffsetsIn(logDir);
    return true;
  }

  private scheduleDirRemoval(logDir: string, path: string, delayMs: number): void {
    const remove = async () => {
      this.pendingDirRemovals.delete(path);
      try {
        await rm(path, { recursive: true, force: true });
        this.logger.info({ dir: path }, 'deleted log dir');
      } catch (err) {
        if (isDiskError(err)) this.failDir(logDir, err as Error, `removing ${path}`);
        else
          this.logger.error(
            { dir: path, error: (err as Error).message },
            'removing a deleted log failed',
          );
      }
    };
    const cancel = this.scheduler.schedule(delayMs, () => this.inBackground(remove()));
    this.pendingDirRemovals.set(path, cancel);
  }

  /** Tracks background work so shutdown can wait for it; returns it for the scheduler. */
  private inBackground<T>(work: Promise<T>): Promise<T> {
    this.background.add(work);
    const forget = () => this.background.delete(work);
    work.then(forget, forget);
    return work;
  }

  private async settleBackground(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  // ---- disk failures ----

  /**
   * For callers that hit an error on a partition's log (Kafka's LogDirFailureChannel):
   * a disk error takes the log's dir offline.
   */
  reportStorageError(topic: string, partition: number, err: unknown): void {
    const managed = this.current.get(partitionDirName(topic, partition));
    if (!managed || this.state !== 'open' || !isDiskError(err)) return;
    this.failDir(managed.logDir, err as Error, `using ${managed.log.dir}`);
  }

  private handleLogWriteFailure(logDir: string, logPath: string, err: Error): void {
    if (isDiskError(err)) {
      this.failDir(logDir, err, `writing to ${logPath}`);
    } else {
      this.logger.warn(
        { dir: logPath, error: err.message },
        'log is offline after a write error that is not a disk failure; its log dir stays online',
      );
    }
  }

  /**
   * Takes a log dir offline: its partitions stop being served (operations on them throw
   * KafkaStorageError), their files are closed without flushing, and nothing more is
   * written to the dir until a restart.
   */
  private failDir(logDir: string, cause: Error, during: string): void {
    const dir = this.dirs.get(logDir);
    if (!dir || dir.offline) return;
    dir.offline = cause;
    this.logger.error(
      { dir: logDir, during, error: cause.message, code: (cause as NodeJS.ErrnoException).code },
      'log dir is offline after a disk error; its partitions are unavailable until restart',
    );
    const affected = [...this.current.values()].filter((m) => m.logDir === logDir);
    for (const managed of affected) {
      const key = partitionDirName(managed.topic, managed.partition);
      this.current.delete(key);
      this.offlinePartitions.set(key, logDir);
    }
    for (const [path, cancel] of this.pendingDirRemovals) {
      if (dirname(path) !== logDir) continue;
      cancel();
      this.pendingDirRemovals.delete(path);
    }
    void this.inBackground(
      (async () => {
        for (const managed of affected) {
          await this.cleaner?.abortAndPause(managed.log).catch(() => undefined);
          await managed.log.withExclusive(() => managed.log.closeHandles()).catch(() => undefined);
        }
        this.logger.warn(
          { dir: logDir, partitions: affected.map((m) => partitionDirName(m.topic, m.partition)) },
          'partitions offline because their log dir failed',
        );
        if (this.liveLogDirs().length === 0) this.logger.error({}, 'all log dirs have failed');
        for (const listener of this.offlineListeners) {
          try {
            listener(logDir, cause);
          } catch (err) {
            this.logger.error(
              { dir: logDir, error: (err as Error).message },
              'log dir offline listener failed',
            );
          }
        }
      })(),
    );
  }

  // ---- checkpoints ----

  async checkpointRecoveryPointsAndLogStartOffsets(): Promise<void> {
    await this.checkpointRecoveryPoints();
    await this.checkpointLogStartOffsets();
  }

  /** recovery-point-offset-checkpoint: where each log's unflushed tail starts. */
  async checkpointRecoveryPoints(): Promise<void> {
    for (const logDir of this.liveLogDirs()) await this.checkpointRecoveryPointsIn(logDir);
  }

  /** log-start-offset-checkpoint: logs whose start was moved past their first segment. */
  async checkpointLogStartOffsets(): Promise<void> {
    for (const logDir of this.liveLogDirs()) await this.checkpointLogStartOffsetsIn(logDir);
  }

  /** replication-offset-checkpoint: each partition's high watermark. */
  async checkpointHighWatermarks(): Promise<void> {
    for (const logDir of this.liveLogDirs()) await this.checkpointHighWatermarksIn(logDir);
  }

  private checkpointRecoveryPointsIn(logDir: string): Promise<void> {
    return this.writeCheckpoint(
      logDir,
      RECOVERY_POINT_CHECKPOINT_FILE,
      this.logsInDir(logDir).map((m) => ({
        topic: m.topic,
        partition: m.partition,
        offset: m.log.recoveryPoint,
      })),
    );
  }

  private checkpointLogStartOffsetsIn(logDir: string): Promise<void> {
    return this.writeCheckpoint(
      logDir,
      LOG_START_OFFSET_CHECKPOINT_FILE,
      this.logsInDir(logDir)
        .filter((m) => m.log.logStartOffset > m.log.segments[0].baseOffset)
        .map((m) => ({ topic: m.topic, partition: m.partition, offset: m.log.logStartOffset })),
    );
  }

  private checkpointHighWatermarksIn(logDir: string): Promise<void> {
    return this.writeCheckpoint(
      logDir,
      REPLICATION_OFFSET_CHECKPOINT_FILE,
      this.logsInDir(logDir).map((m) => ({
        topic: m.topic,
        partition: m.partition,
        offset: this.highWatermarkFor(m.topic, m.partition),
      })),
    );
  }

  /** The dir's logs in a stable order (topic, then partition). */
  private logsInDir(logDir: string): ManagedLog[] {
    return [...this.current.values()]
      .filter((m) => m.logDir === logDir)
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /** Writes one checkpoint atomically; writes of the same file never overlap. */
  private async writeCheckpoint(
    logDir: string,
    fileName: string,
    entries: { topic: string; partition: number; offset: bigint }[],
  ): Promise<void> {
    if (this.dirs.get(logDir)?.offline) return;
    const path = join(logDir, fileName);
    const previous = this.checkpointWrites.get(path) ?? Promise.resolve();
    const write = previous.then(() => writeOffsetCheckpoint(path, entries));
    const settled = write.catch(() => undefined);
    this.checkpointWrites.set(path, settled);
    void settled.then(() => {
      if (this.checkpointWrites.get(path) === settled) this.checkpointWrites.delete(path);
    });
    try {
      await write;
    } catch (err) {
      if (!isDiskError(err)) throw err;
      this.failDir(logDir, err as Error, `writing ${fileName}`);
    }
  }

  // ---- periodic work ----

  /** Starts retention, flushing and checkpointing in the background (Kafka's startup()). */
  startTasks(): void {
    if (this.tasks.length > 0 || this.state !== 'open') return;
    const o = this.options;
    const onError = (name: string, err: unknown) =>
      this.logger.error({ task: name, error: (err as Error).message }, 'background task failed');
    const task = (name: string, periodMs: number, body: () => Promise<unknown>) =>
      new PeriodicTask(name, this.scheduler, periodMs, async () => void (await body()), onError);
    this.tasks = [
      task('kafka-log-retention', o.retentionCheckIntervalMs ?? 300_000, () => this.cleanupLogs()),
      task('kafka-log-flusher', o.flushCheckIntervalMs ?? NEVER, () => this.flushDirtyLogs()),
      task('kafka-recovery-point-checkpoint', o.recoveryPointCheckpointIntervalMs ?? 60_000, () =>
        this.checkpointRecoveryPoints(),
      ),
      task(
        'kafka-log-start-offset-checkpoint',
        o.logStartOffsetCheckpointIntervalMs ?? 60_000,
        () => this.checkpointLogStartOffsets(),
      ),
      task('highwatermark-checkpoint', o.highWatermarkCheckpointIntervalMs ?? 5_000, () =>
        this.checkpointHighWatermarks(),
      ),
    ];
    const initialDelayMs = o.initialTaskDelayMs ?? 30_000;
    for (const t of this.tasks) t.start(initialDelayMs);
    this.cleaner?.start();
    this.logger.info(
      { tasks: this.tasks.filter((t) => t.enabled).map((t) => t.name), initialDelayMs },
      'started log manager tasks',
    );
  }

  /**
   * Retention: drops segments wholly below each log's start offset, and for logs whose
   * cleanup.policy includes delete, segments past retention.ms or retention.bytes.
   * Returns the number of segments deleted.
   */
  async cleanupLogs(): Promise<number> {
    let deleted = 0;
    await this.forEachLog('retention', async ({ log }) => {
      const second = log.segments[1];
      if (second !== undefined && second.baseOffset <= log.logStartOffset) {
        const before = log.segments.length;
        await log.deleteRecordsBefore(log.logStartOffset);
        deleted += before - log.segments.length;
      }
      if (log.config.cleanupPolicy.includes('delete'))
        deleted += await log.deleteRetainedSegments();
    });
    return deleted;
  }

  /** flush.ms: fsyncs logs whose last flush is older than their flush.ms. */
  async flushDirtyLogs(): Promise<void> {
    await this.forEachLog('flush', ({ log }) => log.flushIfDue());
  }

  /** Runs `op` on each online log in turn, skipping logs deleted or taken offline meanwhile. */
  private async forEachLog(
    task: string,
    op: (managed: ManagedLog) => Promise<void>,
  ): Promise<void> {
    let processed = 0;
    for (const managed of [...this.current.values()]) {
      if (this.current.get(partitionDirName(managed.topic, managed.partition)) !== managed)
        continue;
      try {
        await op(managed);
      } catch (err) {
        if (isDiskError(err))
          this.failDir(managed.logDir, err as Error, `${task} of ${managed.log.dir}`);
        else
          this.logger.error(
            { dir: managed.log.dir, task, error: (err as Error).message },
            'log task failed',
          );
      }
      if (++processed % LOGS_PER_YIELD === 0) await yieldToEventLoop();
    }
  }

  // ---- shutdown ----

  /**
   * Clean shutdown: stops the background tasks, closes every log (flush and indexes),
   * writes the checkpoints and then the clean shutdown marker of each online dir.
   */
  shutdown(brokerEpoch: bigint = -1n): Promise<void> {
    this.shutdownDone ??= this.shutdownOnce(brokerEpoch);
    return this.shutdownDone;
  }

  private async shutdownOnce(brokerEpoch: bigint): Promise<void> {
    this.state = 'shutting-down';
    this.logger.info({}, 'shutting down the log manager');
    await Promise.all(this.tasks.map((t) => t.stop()));
    await this.cleaner?.stop();
    // Pending removals are redone at the next start, which finds the -delete dirs.
    for (const cancel of this.pendingDirRemovals.values()) cancel();
    this.pendingDirRemovals.clear();
    await Promise.allSettled([...this.creating.values()]);
    await this.settleBackground();
    for (const logDir of this.liveLogDirs()) {
      const logs = this.logsInDir(logDir);
      let allClosedCleanly = true;
      await forEachConcurrently(logs, this.recoveryConcurrency, async ({ log }) => {
        // A log that failed a write may end in a torn batch: leave it to recovery.
        if (log.isOffline) allClosedCleanly = false;
        try {
          await log.close();
        } catch (err) {
          allClosedCleanly = false;
          if (isDiskError(err)) this.failDir(logDir, err as Error, `closing ${log.dir}`);
          else
            this.logger.error(
              { dir: log.dir, error: (err as Error).message },
              'closing a log failed',
            );
        }
      });
      await this.checkpointRecoveryPointsIn(logDir);
      await this.checkpointLogStartOffsetsIn(logDir);
      await this.checkpointHighWatermarksIn(logDir);
      if (this.dirs.get(logDir)!.offline) continue;
      if (!allClosedCleanly) {
        this.logger.warn(
          { dir: logDir },
          'not writing the clean shutdown marker: a log did not close cleanly',
        );
        continue;
      }
      try {
        await writeCleanShutdownMarker(logDir, brokerEpoch);
      } catch (err) {
        if (!isDiskError(err)) throw err;
        this.failDir(logDir, err as Error, 'writing the clean shutdown marker');
      }
    }
    await this.settleBackground();
    this.state = 'closed';
    this.logger.info({}, 'log manager shut down');
  }
}

/** Runs `op` on every item, at most `limit` at a time; rethrows the first failure after all stop. */
async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  op: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (failures.length === 0 && next < items.length) {
      const item = items[next++];
      try {
        await op(item);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

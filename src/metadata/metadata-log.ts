/**
 * The `__cluster_metadata` log of a KRaft quorum with a single voter: this node.
 *
 * Layout (Kafka's): `<metadata.log.dir>/__cluster_metadata-0/` holds the log segments,
 * `leader-epoch-checkpoint` and `quorum-state`. Opening the log replays it into an image,
 * then makes this node leader of a new epoch the way a lone Kafka voter elects itself:
 * epoch = the highest epoch seen (quorum-state file or log) + 1, persisted in `quorum-state`
 * before a LeaderChangeMessage control batch opens the epoch in the log.
 *
 * With one voter the leader's own fsync is the majority: `append` writes the records as one
 * batch, fsyncs, and the batch is committed; the new image is published at once. A Raft
 * implementation replaces this class behind MetadataQuorum: it commits when a majority has
 * the batch, elects leaders by vote, and followers apply what the leader replicates.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, Log, type Clock, type LogLogger } from '../log/log.js';
import type { LogConfig } from '../log/log-config.js';
import { CLUSTER_METADATA_TOPIC } from '../log/log-dir.js';
import { TOPIC_CONFIG_DEFAULTS, toLogConfig } from '../log/topic-config.js';
import { buildUncompressedRecordBatch } from '../protocol/records/index.js';
import { buildLeaderChangeBatch } from './kraft-control-records.js';
import { MetadataDelta } from './metadata-delta.js';
import type { MetadataImage } from './metadata-image.js';
import { replayMetadataLog } from './metadata-log-replay.js';
import type { MetadataListener, MetadataQuorum } from './metadata-quorum.js';
import type { MetadataRecord } from './metadata-records.js';
import { QUORUM_STATE_FILE, readQuorumState, writeQuorumState } from './quorum-state-file.js';
import { encodeMetadataRecord } from './record-serde.js';

/** Kafka's directory of the metadata log: partition 0 of `__cluster_metadata`. */
export const CLUSTER_METADATA_PARTITION_DIR = `${CLUSTER_METADATA_TOPIC}-0`;

/** Uuid.METADATA_TOPIC_ID (0:1): how Fetch v13+ names `__cluster_metadata` between voters. */
export const CLUSTER_METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** KafkaRaftClient's largest batch (MAX_BATCH_SIZE_BYTES). */
const MAX_METADATA_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * The metadata log's own settings: Kafka's segment defaults (metadata.log.segment.bytes and
 * .ms), no time or size retention (only snapshots may remove metadata), and no periodic
 * flush, since every append is fsynced before it commits.
 */
export function metadataLogConfig(): LogConfig {
  return {
    ...toLogConfig(TOPIC_CONFIG_DEFAULTS),
    retentionMs: -1,
    retentionBytes: -1,
    cleanupPolicy: ['delete'],
    maxMessageBytes: MAX_METADATA_BATCH_BYTES,
  };
}

export interface MetadataLogLogger extends LogLogger {
  error(obj: object, msg: string): void;
}

const silentLogger: MetadataLogLogger = { info() {}, warn() {}, error() {} };

export interface MetadataLogOptions {
  /** Defaults to metadataLogConfig(). */
  logConfig?: LogConfig;
  clock?: Clock;
  logger?: MetadataLogLogger;
}

export class MetadataLogClosedError extends Error {
  override readonly name = 'MetadataLogClosedError';
}

export class MetadataLog implements MetadataQuorum {
  private currentImage: MetadataImage;
  private readonly listeners = new Set<MetadataListener>();
  /** Appends run one after another, so offsets, images and publications stay in order. */
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    private readonly log: Log,
    readonly nodeId: number,
    readonly leaderEpoch: number,
    image: MetadataImage,
    private readonly clock: Clock,
    private readonly logger: MetadataLogLogger,
  ) {
    this.currentImage = image;
  }

  /** Opens (creating when needed) the metadata log under `metadataLogDir` and leads a new epoch. */
  static async open(
    metadataLogDir: string,
    nodeId: number,
    options: MetadataLogOptions = {},
  ): Promise<MetadataLog> {
    const dir = join(metadataLogDir, CLUSTER_METADATA_PARTITION_DIR);
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    await mkdir(dir, { recursive: true });
    const log = await Log.open({
      dir,
      config: options.logConfig ?? metadataLogConfig(),
      clock,
      logger,
    });
    try {
      const replayed = await replayMetadataLog(log);
      const statePath = join(dir, QUORUM_STATE_FILE);
      const persisted = await readQuorumState(statePath);
      const previousEpoch = Math.max(
        0,
        persisted?.leaderEpoch ?? 0,
        log.leaderEpochCache.latest?.epoch ?? 0,
        replayed.image.epoch,
      );
      const epoch = previousEpoch + 1;
      const voters = [nodeId];
      // The election is on disk before anything is written in the new epoch.
      await writeQuorumState(statePath, {
        leaderEpoch: epoch,
        leaderId: nodeId,
        votedId: -1,
        voters,
      });
      const leaderChange = buildLeaderChangeBatch({
        leaderEpoch: epoch,
        leaderId: nodeId,
        voters,
        grantingVoters: voters,
        timestamp: BigInt(clock.now()),
      });
      const appended = await log.appendAsLeader(leaderChange, epoch);
      await log.flush();
      logger.info(
        {
          dir,
          epoch,
          batches: replayed.batches,
          records: replayed.records,
          offset: appended.lastOffset.toString(),
        },
        'metadata log loaded; this node leads the single-voter quorum',
      );
      const image = replayed.image.withProvenance({ offset: appended.lastOffset, epoch });
      return new MetadataLog(log, nodeId, epoch, image, clock, logger);
    } catch (err) {
      await log.close().catch(() => undefined);
      throw err;
    }
  }

  get image(): MetadataImage {
    return this.currentImage;
  }

  /** The leader is always this node: the only voter. */
  get leaderId(): number {
    return this.nodeId;
  }

  get nextWriteOffset(): bigint {
    return this.log.logEndOffset;
  }

  /** Where the log starts and ends (for DescribeQuorum and tests). */
  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }

  /** Committed offsets are below it; with one voter, everything written and fsynced. */
  get highWatermark(): bigint {
    return this.log.recoveryPoint;
  }

  onImage(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(records: readonly MetadataRecord[]): Promise<bigint> {
    const run = this.tail.then(() => this.appendNow(records));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(records: readonly MetadataRecord[]): Promise<bigint> {
    if (this.closed) throw new MetadataLogClosedError('the metadata log is closed');
    if (this.failure) {
      throw new MetadataLogClosedError(`the metadata log failed: ${this.failure.message}`);
    }
    if (records.length === 0) throw new RangeError('no metadata records to append');
    // Applying first keeps records the image cannot take out of the log.
    const delta = new MetadataDelta(this.currentImage);
    for (const record of records) delta.replay(record);
    const timestamp = BigInt(this.clock.now());
    const batch = buildUncompressedRecordBatch({
      partitionLeaderEpoch: this.leaderEpoch,
      baseTimestamp: timestamp,
      records: records.map((record) => ({
        key: null,
        value: encodeMetadataRecord(record),
        timestamp,
      })),
    });
    let lastOffset: bigint;
    try {
      ({ lastOffset } = await this.log.appendAsLeader(batch, this.leaderEpoch));
      // Durable before acknowledged: the leader's fsync is the single voter's vote.
      await this.log.flush();
    } catch (err) {
      this.failure = err as Error;
      this.logger.error({ err }, 'metadata log append failed; no further appends are accepted');
      throw err;
    }
    const image = delta.apply({ offset: lastOffset, epoch: this.leaderEpoch });
    this.currentImage = image;
    this.publish(image, delta);
    return lastOffset;
  }

  private publish(image: MetadataImage, delta: MetadataDelta): void {
    for (const listener of this.listeners) {
      try {
        listener(image, delta);
      } catch (err) {
        // One subscriber's bug must not stop the others or the quorum.
        this.logger.error({ err, offset: image.offset.toString() }, 'metadata listener failed');
      }
    }
  }

  /** Waits for appends in flight, then flushes and closes the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.tail;
    this.closed = true;
    this.listeners.clear();
    await this.log.close();
  }
}

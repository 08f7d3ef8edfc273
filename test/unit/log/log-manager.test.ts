import { randomFillSync } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getProperties } from 'properties-file';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { KafkaStorageError, type Log } from '../../../src/log/log.js';
import type { LogConfig } from '../../../src/log/log-config.js';
import { logDeleteDirName } from '../../../src/log/log-dir.js';
import {
  InconsistentTopicIdError,
  LogManager,
  type LogManagerLogger,
  type LogManagerOptions,
} from '../../../src/log/log-manager.js';
import {
  formatLogDir,
  readMetaProperties,
  writeMetaProperties,
} from '../../../src/log/meta-properties.js';
import { randomUuid } from '../../../src/protocol/primitives/uuid.js';
import { buildRecordBatch } from '../../../src/protocol/records/index.js';
import { ManualTime } from '../../harness/manual-time.js';

const config: LogConfig = {
  segmentBytes: 1024 * 1024,
  segmentMs: 604800000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10485760,
  indexIntervalBytes: 4096,
  retentionMs: 604800000,
  retentionBytes: -1,
  cleanupPolicy: ['delete'],
  deleteRetentionMs: 86400000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
  maxMessageBytes: 1048588,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  fileDeleteDelayMs: 0,
};

function recordingLogger() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at = (level: string) => (obj: object, msg: string) =>
    void lines.push({ level, msg, obj: obj as Record<string, unknown> });
  const logger: LogManagerLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger };
}

const newUuid = () => randomUuid((b) => randomFillSync(b));

let root: string;
let clusterId: string;
const managers: LogManager[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'log-manager-'));
  clusterId = newUuid();
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.shutdown();
  await rm(root, { recursive: true, force: true });
});

async function formattedDirs(count: number): Promise<string[]> {
  const dirs = Array.from({ length: count }, (_, i) => join(root, `data-${i}`));
  for (const dir of dirs) await formatLogDir(dir, { clusterId, nodeId: 1 });
  return dirs;
}

async function openManager(
  logDirs: string[],
  extra: Partial<LogManagerOptions> = {},
): Promise<LogManager> {
  const manager = await LogManager.open({ logDirs, configFor: () => config, ...extra });
  managers.push(manager);
  return manager;
}

async function append(log: Log, timestamp = 1000n, valueBytes = 100): Promise<void> {
  const batch = await buildRecordBatch({
    records: [{ key: Buffer.from('k'), value: Buffer.alloc(valueBytes, 7), timestamp }],
  });
  await log.appendAsLeader(batch, 0);
}

/** Fails fast instead of hanging until the test timeout when an expected event never comes. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('meta.properties', () => {
  test('format writes the layout of Properties.store and reads back', async () => {
    const dir = join(root, 'data');
    const meta = await formatLogDir(dir, { clusterId, nodeId: 3 });
    const text = await readFile(join(dir, 'meta.properties'), 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).toBe('#');
    expect(lines[1]).toMatch(
      /^#(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$/,
    );
    expect(lines.slice(2)).toEqual([
      `cluster.id=${clusterId}`,
      `directory.id=${meta.directoryId}`,
      'node.id=3',
      'version=1',
      '',
    ]);
    expect(meta.directoryId).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(await readMetaProperties(dir)).toEqual(meta);
    await expect(formatLogDir(dir, { clusterId, nodeId: 3 })).rejects.toThrow(/already formatted/);
    expect(
      await formatLogDir(dir, { clusterId: newUuid(), nodeId: 9, ignoreFormatted: true }),
    ).toEqual(meta);
    await expect(
      formatLogDir(join(root, 'other'), { clusterId: 'not-a-uuid', nodeId: 1 }),
    ).rejects.toThrow(/does not appear to be a valid UUID/);
  });

  test('the properties parser follows java.util.Properties', () => {
    const text = [
      '# comment',
      '  ! another comment',
      'a=1',
      'b : two words ',
      'c\\ key = \\ leading',
      'd\tx',
      'e=first \\',
      '    second',
      'f=\\u0041\\t\\=\\:\\#',
      'g',
    ].join('\r\n');
    expect(getProperties(text)).toEqual({
      a: '1',
      b: 'two words ',
      'c key': ' leading',
      d: 'x',
      e: 'first second',
      f: 'A\t=:#',
      g: '',
    });
  });

  test('startup requires formatted dirs of one cluster and one node', async () => {
    const [a, b] = await formattedDirs(2);
    const c = join(root, 'other-cluster');
    await formatLogDir(c, { clusterId: newUuid(), nodeId: 1 });
    await expect(openManager([a, c])).rejects.toThrow(/Invalid cluster\.id in: .*Expected/);
    const d = join(root, 'other-node');
    await formatLogDir(d, { clusterId, nodeId: 2 });
    await expect(openManager([a, d])).rejects.toThrow(
      /Stored node id 2 doesn't match previous node id 1/,
    );
    await expect(openManager([a, b], { nodeId: 5 })).rejects.toThrow(
      /Stored node id 1 doesn't match/,
    );
    const unformatted = join(root, 'empty');
    await mkdir(unformatted);
    await expect(openManager([a, unformatted])).rejects.toThrow(
      /No meta.properties found in .*empty/,
    );

    // A dir formatted before directory ids existed gets one at startup.
    await writeMetaProperties(b, { version: 1, clusterId, nodeId: 1 });
    const manager = await openManager([a, b], { clusterId, nodeId: 1 });
    const rewritten = await readMetaProperties(b);
    expect(rewritten?.directoryId).toBeDefined();
    expect(manager.directoryId(b)).toBe(rewritten?.directoryId);
    expect(manager.directoryId(a)).not.toBe(manager.directoryId(b));
  });
});

describe('log manager', () => {
  test('creates logs in the dir with the fewest partitions and records topic ids', async () => {
    const dirs = await formattedDirs(2);
    const manager = await openManager(dirs);
    const topicId = newUuid();
    const created = await Promise.all(
      [0, 1, 2, 3].map((p) => manager.getOrCreateLog('orders', p, config, { topicId })),
    );
    const byDir = (dir: string) => created.filter((log) => log.dir.startsWith(dir + '/')).length;
    expect([byDir(dirs[0]), byDir(dirs[1])]).toEqual([2, 2]);
    expect(created[0].dir).toBe(join(dirs[0], 'orders-0'));
    expect(created[1].dir).toBe(join(dirs[1], 'orders-1'));
    expect(await readFile(join(created[0].dir, 'partition.metadata'), 'utf8')).toBe(
      `version: 0\ntopic_id: ${topicId}`,
    );
    expect(await manager.getOrCreateLog('orders', 0, config, { topicId })).toBe(created[0]);
    await expect(
      manager.getOrCreateLog('orders', 0, config, { topicId: newUuid() }),
    ).rejects.toThrow(InconsistentTopicIdError);
    expect(manager.allLogs()).toHaveLength(4);
    await manager.shutdown();

    const reopened = await openManager(dirs);
    expect(reopened.allLogs()).toHaveLength(4);
    expect(reopened.getManaged('orders', 3)?.topicId).toBe(topicId);
    expect(reopened.getLog('orders', 9)).toBeUndefined();
  });

  test('a clean shutdown skips recovery at restart; a crash recovers past the recovery point', async () => {
    const [dir] = await formattedDirs(1);
    const first = await openManager([dir]);
    const log = await first.getOrCreateLog('events', 0);
    for (let segment = 0; segment < 3; segment++) {
      for (let i = 0; i < 3; i++) await append(log);
      if (segment < 2) await log.roll();
    }
    expect(log.recoveryPoint).toBe(6n);
    await first.checkpointRecoveryPoints();
    // Crash: files are dropped without a flush, the checkpoint says 6, no marker is written.
    for (const l of first.allLogs()) await l.closeHandles();
    managers.splice(managers.indexOf(first), 1);

    const afterCrash = recordingLogger();
    const second = await openManager([dir], { logger: afterCrash.logger });
    const recovered = afterCrash.lines
      .filter((l) => l.msg === 'recovered segment')
      .map((l) => l.obj.baseOffset);
    expect(recovered).toContain('6');
    expect(recovered).not.toContain('0');
    expect(afterCrash.lines.some((l) => /no clean shutdown marker/.test(l.msg))).toBe(true);
    expect(second.getLog('events', 0)?.logEndOffset).toBe(9n);
    await second.shutdown(7n);
    expect(await readFile(join(dir, '.kafka_cleanshutdown'), 'utf8')).toBe(
      '{"version":0,"brokerEpoch":7}',
    );

    const afterCleanStop = recordingLogger();
    const third = await openManager([dir], { logger: afterCleanStop.logger });
    expect(afterCleanStop.lines.filter((l) => l.msg === 'recovered segment')).toEqual([]);
    expect(afterCleanStop.lines.some((l) => /clean shutdown marker found/.test(l.msg))).toBe(true);
    expect(afterCleanStop.lines.find((l) => l.msg === 'loaded logs in dir')?.obj).toMatchObject({
      dir,
      logs: 1,
    });
    // The marker is gone while running, so a crash from now on is detected.
    expect(await exists(join(dir, '.kafka_cleanshutdown'))).toBe(false);
    expect(third.getLog('events', 0)?.logEndOffset).toBe(9n);
  });

  test('checkpoints are written per dir in Kafka text format', async () => {
    const [dir] = await formattedDirs(1);
    const manager = await openManager([dir], {
      highWatermarkFor: (topic, partition) => (topic === 'beta' ? 4n : BigInt(partition)),
    });
    const alpha0 = await manager.getOrCreateLog('alpha', 0);
    await manager.getOrCreateLog('alpha', 1);
    const beta0 = await manager.getOrCreateLog('beta', 0);
    for (let i = 0; i < 3; i++) await append(alpha0);
    for (let i = 0; i < 5; i++) await append(beta0);
    await alpha0.flush();
    await beta0.flush();
    await beta0.deleteRecordsBefore(2n);
    await manager.checkpointRecoveryPointsAndLogStartOffsets();
    await manager.checkpointHighWatermarks();
    const read = (name: string) => readFile(join(dir, name), 'utf8');
    expect(await read('recovery-point-offset-checkpoint')).toBe(
      '0\n3\nalpha 0 3\nalpha 1 0\nbeta 0 5\n',
    );
    // Only logs whose start moved past their first segment, as Kafka writes it.
    expect(await read('log-start-offset-checkpoint')).toBe('0\n1\nbeta 0 2\n');
    expect(await read('replication-offset-checkpoint')).toBe(
      '0\n3\nalpha 0 0\nalpha 1 1\nbeta 0 4\n',
    );
    await manager.shutdown();

    const reopened = await openManager([dir]);
    expect(reopened.getLog('beta', 0)?.logStartOffset).toBe(2n);
  });

  test('retention by time runs from the periodic task', async () => {
    const [dir] = await formattedDirs(1);
    const time = new ManualTime();
    const manager = await openManager([dir], {
      clock: time,
      scheduler: time,
      retentionCheckIntervalMs: 60_000,
      // Only retention runs here; checkpoint tasks would write files every few seconds.
      recoveryPointCheckpointIntervalMs: Number.MAX_SAFE_INTEGER,
      logStartOffsetCheckpointIntervalMs: Number.MAX_SAFE_INTEGER,
      highWatermarkCheckpointIntervalMs: Number.MAX_SAFE_INTEGER,
      configFor: () => ({ ...config, retentionMs: 3_600_000 }),
    });
    const log = await manager.getOrCreateLog('clicks', 0);
    const compacted = await manager.getOrCreateLog('state', 0, {
      ...config,
      retentionMs: 3_600_000,
      cleanupPolicy: ['compact'],
    });
    for (const l of [log, compacted]) {
      await append(l, BigInt(time.nowMs - 2 * 3_600_000));
      await l.roll();
      await append(l, BigInt(time.nowMs));
    }
    manager.startTasks();
    await time.advance(29_999);
    expect(log.segments).toHaveLength(2);
    await time.advance(1); // Kafka's 30 s initial delay
    expect(log.segments.map((s) => s.baseOffset)).toEqual([1n]);
    expect(log.logStartOffset).toBe(1n);
    expect(await exists(join(log.dir, '00000000000000000000.log'))).toBe(false);
    expect(compacted.segments).toHaveLength(2);

    // Later runs, one interval apart, catch segments as they age: offset 1 was written
    // at the start, so the run 3 630 000 ms after it is the first to find it expired.
    await log.roll();
    await append(log, BigInt(time.nowMs));
    await time.advance(3_599_999);
    expect(log.segments).toHaveLength(2);
    await time.advance(1);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([2n]);
  });

  test('retention by size runs from the periodic task', async () => {
    const [dir] = await formattedDirs(1);
    const time = new ManualTime();
    const manager = await openManager([dir], {
      clock: time,
      scheduler: time,
      initialTaskDelayMs: 10,
    });
    const log = await manager.getOrCreateLog('metrics', 0, { ...config, retentionMs: -1 });
    for (let i = 0; i < 3; i++) {
      await append(log, BigInt(time.nowMs));
      if (i < 2) await log.roll();
    }
    const segmentBytes = log.segments[0].size;
    log.config = { ...log.config, retentionBytes: 2 * segmentBytes };
    manager.startTasks();
    await time.advance(10);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([1n, 2n]);
    expect(log.logStartOffset).toBe(1n);
  });

  test('deleteLog renames to the -delete name and removes it after file.delete.delay.ms', async () => {
    const [dir] = await formattedDirs(1);
    const time = new ManualTime();
    const manager = await openManager([dir], { clock: time, scheduler: time });
    const log = await manager.getOrCreateLog('orders', 3, { ...config, fileDeleteDelayMs: 60_000 });
    await append(log);
    expect(await manager.deleteLog('orders', 3)).toBe(true);
    expect(manager.getLog('orders', 3)).toBeUndefined();
    await expect(append(log)).rejects.toThrow(KafkaStorageError);
    const names = await readdir(dir);
    expect(names).not.toContain('orders-3');
    const renamed = names.filter((n) => n.endsWith('-delete'));
    expect(renamed).toHaveLength(1);
    expect(renamed[0]).toMatch(/^orders-3\.[0-9a-f]{32}-delete$/);
    await time.advance(59_999);
    expect(await exists(join(dir, renamed[0]))).toBe(true);
    await time.advance(1);
    expect(await exists(join(dir, renamed[0]))).toBe(false);
    expect(await manager.deleteLog('orders', 3)).toBe(false);

    // Kafka cuts long topic names so the renamed dir still fits in 255 characters.
    const longName = logDeleteDirName('t'.repeat(249), 12);
    expect(longName).toHaveLength(255);
    expect(longName).toMatch(/^t+-12\.[0-9a-f]{32}-delete$/);
  });

  test('a -delete dir left at startup is removed; -future and -stray dirs are left alone', async () => {
    const [dir] = await formattedDirs(1);
    const leftover = join(dir, 'gone-0.0123456789abcdef0123456789abcdef-delete');
    const future = join(dir, 'moving-0.0123456789abcdef0123456789abcdef-future');
    const stray = join(dir, 'lost-1.0123456789abcdef0123456789abcdef-stray');
    for (const path of [leftover, future, stray]) {
      await mkdir(path);
      await writeFile(join(path, '00000000000000000000.log'), '');
    }
    const time = new ManualTime();
    const { lines, logger } = recordingLogger();
    const manager = await openManager([dir], { clock: time, scheduler: time, logger });
    expect(manager.allLogs()).toEqual([]);
    await time.advance(0);
    expect(await exists(leftover)).toBe(false);
    expect(await exists(future)).toBe(true);
    expect(await exists(stray)).toBe(true);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.obj.dir)).toEqual(
      expect.arrayContaining([future, stray]),
    );
  });

  test('a disk error takes only its log dir offline', async () => {
    const dirs = await formattedDirs(2);
    const { lines, logger } = recordingLogger();
    const manager = await openManager(dirs, { logger });
    const failing = await manager.getOrCreateLog('t', 0); // dirs[0]
    const healthy = await manager.getOrCreateLog('t', 1); // dirs[1]
    const sameDir = await manager.getOrCreateLog('t', 2); // dirs[0]
    expect(sameDir.dir.startsWith(dirs[0])).toBe(true);
    await append(failing);
    const offline = new Promise<{ dir: string; cause: Error }>((done) =>
      manager.onDirOffline((dir, cause) => done({ dir, cause })),
    );

    // Simulated disk: the active segment's file write fails as a full disk does.
    failing.activeSegment.write = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    await expect(append(failing)).rejects.toThrow(KafkaStorageError);
    const event = await within(offline, 2000, 'the dir offline event');
    expect(event.dir).toBe(dirs[0]);
    expect((event.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(manager.offlineDirs()).toEqual([dirs[0]]);
    expect(manager.liveLogDirs()).toEqual([dirs[1]]);
    const errorLine = lines.find((l) => l.level === 'error');
    expect(errorLine?.obj).toMatchObject({ dir: dirs[0], code: 'ENOSPC' });
    expect(errorLine?.msg).toMatch(/offline/);

    expect(() => manager.getLog('t', 0)).toThrow(KafkaStorageError);
    expect(() => manager.getLog('t', 2)).toThrow(KafkaStorageError);
    await expect(append(sameDir)).rejects.toThrow(KafkaStorageError);
    await expect(manager.getOrCreateLog('t', 2)).rejects.toThrow(KafkaStorageError);
    await append(healthy);
    expect(healthy.logEndOffset).toBe(1n);

    // New partitions only go to live dirs, and only when known to be new (Kafka's rule).
    await expect(manager.getOrCreateLog('u', 0)).rejects.toThrow(/offline/);
    const created = await manager.getOrCreateLog('u', 0, config, { isNew: true });
    expect(created.dir).toBe(join(dirs[1], 'u-0'));

    await manager.checkpointRecoveryPointsAndLogStartOffsets();
    expect(await exists(join(dirs[0], 'recovery-point-offset-checkpoint'))).toBe(false);
    expect(await exists(join(dirs[1], 'recovery-point-offset-checkpoint'))).toBe(true);
    await manager.shutdown();
    expect(await exists(join(dirs[0], '.kafka_cleanshutdown'))).toBe(false);
    expect(await exists(join(dirs[1], '.kafka_cleanshutdown'))).toBe(true);
  });
});

/**
 * End-to-end broker throughput and latency, one JSON line per result, each with a raw
 * baseline measured in the same run and the ratio. MB = 10^6 bytes.
 *
 * One broker child (temp config and data dir, free ports) serves every phase; topics
 * bench-1p (1 partition), bench-8p (8 partitions) and bench-latency (1 partition).
 *
 *  - produce: bin/kafka-producer-perf-test (child process, its final line parsed), 1 KiB
 *    records, acks=1 and acks=-1, 1 and 8 partitions. Raw baseline right before each run:
 *    a plain Node TCP server (raw-server.js append) appending length-prefixed frames of
 *    the perf test's request size to a new file, acking each; the client here sends the
 *    same total bytes with the same pipelining (connections × in flight). Also kcat
 *    (librdkafka) producing a pre-generated file of 1 KiB lines to bench-8p, wall time.
 *  - consume: bin/kafka-consumer-perf-test over everything produced to bench-1p / bench-8p,
 *    against raw-server.js send streaming the same .log files (1 MiB FileHandle.read
 *    chunks) to a socket the client here discards, run before and after (mean).
 *  - latency: 1 KiB records at 10 MB/s (10 records per batch, paced by the clock, one batch
 *    per ms) for LATENCY_SECONDS with a send timestamp in the value, and a separate client
 *    long-polling Fetch (maxWaitMs 500, minBytes 1): now − sent per record. Raw baseline:
 *    the same rate of 10 KiB frames through the raw append server, send → ack.
 *  - broker RSS (VmRSS, VmHWM) and broker CPU seconds after each phase.
 *
 * All of it runs on one machine: broker, load generator and baseline share its cores.
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/broker/run.js
 */
import { randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { buildRecordBatch, scanBatches } from '../../src/protocol/records/index.js';
import {
  BIN,
  RAW_SERVER,
  ROOT,
  connectTo,
  cpuSeconds,
  emit,
  makeTempDir,
  measurePhase,
  memoryOf,
  round,
  runBench,
  runTool,
  settleDisk,
  startBroker,
  startChild,
  stopChild,
  withRawAppendServer,
  type Broker,
  type PhaseStats,
} from '../support/processes.js';

const MB = 1e6;
const MiB = 1024 * 1024;
const RECORD_BYTES = 1024;
const PRODUCE_RECORDS = Number(process.env.BENCH_PRODUCE_RECORDS ?? 450_000);
const KCAT_RECORDS = Number(process.env.BENCH_KCAT_RECORDS ?? 300_000);
/** The perf test's defaults: 4 connections per leader, 5 requests in flight each. */
const CONNECTIONS = 4;
const IN_FLIGHT = 5;
/** batch.size 16384 → floor(16384 / (1024 + 8)) records per Produce request. */
const RECORDS_PER_REQUEST = Math.floor(16384 / (RECORD_BYTES + 8));
const LATENCY_SECONDS = 5;
const LATENCY_BATCH = 10;
const TARGETS = { produceRatio: 0.7, consumeRatio: 0.6, p99Ms: 20 };

// ---------------------------------------------------------------------------------------
// broker

async function createTopic(broker: Broker, topic: string, partitions: number): Promise<void> {
  const r = await runTool(BIN('kafka-topics'), [
    '--bootstrap-server',
    broker.bootstrap,
    '--create',
    '--topic',
    topic,
    '--partitions',
    String(partitions),
    '--replication-factor',
    '1',
  ]);
  if (r.code !== 0) throw new Error(`create ${topic} failed: ${r.stderr}${r.stdout}`);
}

/** The .log segment files of a topic's partitions, in partition then offset order. */
async function logFiles(
  broker: Broker,
  topic: string,
): Promise<{ files: string[]; bytes: number }> {
  const dirs = (await readdir(broker.logDir))
    .filter((d) => d.startsWith(`${topic}-`) && /^\d+$/.test(d.slice(topic.length + 1)))
    .sort((a, b) => Number(a.slice(topic.length + 1)) - Number(b.slice(topic.length + 1)));
  const files: string[] = [];
  let bytes = 0;
  for (const d of dirs) {
    for (const f of (await readdir(join(broker.logDir, d)))
      .filter((n) => n.endsWith('.log'))
      .sort()) {
      const path = join(broker.logDir, d, f);
      files.push(path);
      bytes += (await stat(path)).size;
    }
  }
  return { files, bytes };
}

/** Broker CPU seconds over a phase, with its CPU share of one core. */
async function phase<T>(broker: Broker, body: () => Promise<T>): Promise<T & PhaseStats> {
  const [result, stats] = await measurePhase(broker, body);
  return { ...result, ...stats };
}

// ---------------------------------------------------------------------------------------
// raw baselines

/** The size of one perf-test Produce request: the batch plus ~80 bytes of request framing. */
async function produceRequestBytes(): Promise<number> {
  const payload = Buffer.alloc(RECORD_BYTES, 65);
  const batch = await buildRecordBatch({
    records: Array.from({ length: RECORDS_PER_REQUEST }, () => ({ value: payload })),
  });
  return batch.length + 80;
}

/** Sends `frames` frames of `frameBytes` over CONNECTIONS sockets, IN_FLIGHT unacked each. */
async function rawAppendRun(
  port: number,
  frames: number,
  frameBytes: number,
): Promise<{ seconds: number; clientCpuS: number }> {
  const frame = Buffer.allocUnsafe(frameBytes);
  randomFillSync(frame);
  frame.writeInt32BE(frameBytes - 4, 0);
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectTo(port)));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((done, fail) => {
          let inflight = 0;
          let ackBytes = 0;
          const pump = (): void => {
            while (inflight < IN_FLIGHT && next < frames) {
              next++;
              inflight++;
              socket.write(frame);
            }
            if (inflight === 0 && next >= frames) done();
          };
          socket.on('data', (c: Buffer) => {
            ackBytes += c.length;
            const acks = Math.floor(ackBytes / 4);
            ackBytes -= acks * 4;
            inflight -= acks;
            pump();
          });
          socket.once('error', fail);
          pump();
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const s of sockets) s.destroy();
  return { seconds, clientCpuS: (cpu.user + cpu.system) / 1e6 };
}

async function rawAppendBaseline(
  dir: string,
  name: string,
  totalRecords: number,
): Promise<{
  mb_per_s: number;
  records_per_s: number;
  bytes: number;
  seconds: number;
  server_cpu_s: number;
  client_cpu_s: number;
}> {
  const frameBytes = await produceRequestBytes();
  const frames = Math.ceil(totalRecords / RECORDS_PER_REQUEST);
  const [r, serverCpuS] = await withRawAppendServer(join(dir, `raw-append-${name}.bin`), (port) =>
    rawAppendRun(port, frames, frameBytes),
  );
  const bytes = frames * frameBytes;
  return {
    mb_per_s: round(bytes / MB / r.seconds),
    records_per_s: round((frames * RECORDS_PER_REQUEST) / r.seconds, 0),
    bytes,
    seconds: round(r.seconds, 2),
    server_cpu_s: round(serverCpuS, 2),
    client_cpu_s: round(r.clientCpuS, 2),
  };
}

function meanRaw(
  a: { mb_per_s: number; records_per_s: number },
  b: { mb_per_s: number; records_per_s: number },
): { mb_per_s: number; records_per_s: number } {
  return {
    mb_per_s: round((a.mb_per_s + b.mb_per_s) / 2),
    records_per_s: round((a.records_per_s + b.records_per_s) / 2, 0),
  };
}

async function rawSendBaseline(
  files: string[],
): Promise<{ mb_per_s: number; bytes: number; seconds: number; server_cpu_s: number }> {
  await settleDisk();
  const { child, match } = await startChild(
    'node',
    [RAW_SERVER, 'send', ...files],
    /listening (\d+)/,
  );
  try {
    const cpu0 = (await cpuSeconds(child.pid!)) ?? 0;
    const t0 = performance.now();
    const socket = await connectTo(Number(match[1]));
    let bytes = 0;
    await new Promise<void>((done, fail) => {
      socket.on('data', (c: Buffer) => (bytes += c.length));
      socket.once('end', done);
      socket.once('error', fail);
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = (await cpuSeconds(child.pid!)) ?? 0;
    socket.destroy();
    return {
      mb_per_s: round(bytes / MB / seconds),
      bytes,
      seconds: round(seconds, 2),
      server_cpu_s: round(cpu1 - cpu0, 2),
    };
  } finally {
    await stopChild(child);
  }
}

// ---------------------------------------------------------------------------------------
// phases

const PERF_LINE =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th/;

async function produceBench(
  broker: Broker,
  dir: string,
  topic: string,
  partitions: number,
  acks: number,
): Promise<Record<string, unknown>> {
  const rawBefore = await rawAppendBaseline(dir, `${topic}-acks${acks}`, PRODUCE_RECORDS);
  const measured = await phase(broker, async () => {
    const r = await runTool(BIN('kafka-producer-perf-test'), [
      '--topic',
      topic,
      '--num-records',
      String(PRODUCE_RECORDS),
      '--record-size',
      String(RECORD_BYTES),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${broker.bootstrap}`,
      `acks=${acks}`,
      '--connections',
      String(CONNECTIONS),
      '--max-in-flight',
      String(IN_FLIGHT),
    ]);
    const lines = r.stdout.trim().split('\n');
    const m = PERF_LINE.exec(lines.at(-1) ?? '');
    if (r.code !== 0 || !m) throw new Error(`perf test failed (${r.code}): ${r.stdout}${r.stderr}`);
    return { m, cpu: r.cpuSec, wallMs: r.wallMs };
  });
  const rawAfter = await rawAppendBaseline(dir, `${topic}-acks${acks}`, PRODUCE_RECORDS);
  const raw = meanRaw(rawBefore, rawAfter);
  const recordsPerS = Number(measured.m[2]);
  const mbPerS = (recordsPerS * RECORD_BYTES) / MB;
  // Same bytes per record on both sides (raw frames are the perf test's request size).
  const ratio = recordsPerS / raw.records_per_s;
  return {
    bench: 'produce',
    tool: 'kafka-producer-perf-test',
    topic,
    partitions,
    acks,
    records: Number(measured.m[1]),
    record_bytes: RECORD_BYTES,
    records_per_request: RECORDS_PER_REQUEST,
    connections: CONNECTIONS,
    max_in_flight: IN_FLIGHT,
    records_per_s: round(recordsPerS, 0),
    mb_per_s: round(mbPerS),
    latency_ms: {
      avg: Number(measured.m[4]),
      p50: Number(measured.m[6]),
      p99: Number(measured.m[8]),
      max: Number(measured.m[5]),
    },
    raw_mb_per_s: raw.mb_per_s,
    raw_records_per_s: raw.records_per_s,
    raw_before_after_mb_per_s: [rawBefore.mb_per_s, rawAfter.mb_per_s],
    raw_note: `raw append server, mean of a run before and after: ${rawBefore.bytes} B in ${Math.ceil(PRODUCE_RECORDS / RECORDS_PER_REQUEST)} frames of ${Math.round(rawBefore.bytes / Math.ceil(PRODUCE_RECORDS / RECORDS_PER_REQUEST))} B, server cpu ${rawBefore.server_cpu_s}/${rawAfter.server_cpu_s} s, client cpu ${rawBefore.client_cpu_s}/${rawAfter.client_cpu_s} s`,
    ratio_basis: 'records/s over raw records/s (equal frame bytes per record)',
    ratio: round(ratio, 3),
    target: TARGETS.produceRatio,
    pass: ratio >= TARGETS.produceRatio,
    client_cpu_s: round(measured.cpu, 2),
    client_wall_s: round(measured.wallMs / 1000, 2),
    broker_cpu_s: measured.broker_cpu_s,
    broker_cpu_pct_of_core: measured.broker_cpu_pct_of_core,
    machine_cpu_busy_pct: measured.machine_cpu_busy_pct,
    machine_cpu_steal_pct: measured.machine_cpu_steal_pct,
    broker_rss_mib: measured.broker_rss_mib,
    broker_hwm_mib: measured.broker_hwm_mib,
  };
}

async function kcatBench(broker: Broker, dir: string): Promise<Record<string, unknown>> {
  // N lines of 1023 printable bytes + '\n': 1 KiB per line, 1023-byte messages.
  const file = join(dir, 'kcat-input.txt');
  const line = Buffer.alloc(RECORD_BYTES);
  const chunkLines = 1000;
  const chunk = Buffer.alloc(RECORD_BYTES * chunkLines);
  for (let i = 0; i < chunkLines; i++) {
    for (let j = 0; j < RECORD_BYTES - 1; j++) line[j] = 65 + ((i * 7 + j * 13) % 26);
    line[RECORD_BYTES - 1] = 10;
    line.copy(chunk, i * RECORD_BYTES);
  }
  const fh = await open(file, 'w');
  for (let written = 0; written < KCAT_RECORDS; written += chunkLines) {
    const n = Math.min(chunkLines, KCAT_RECORDS - written);
    await fh.write(chunk, 0, n * RECORD_BYTES);
  }
  await fh.close();
  const rawBefore = await rawAppendBaseline(dir, 'kcat', KCAT_RECORDS);
  try {
    const before = await logFiles(broker, 'bench-8p');
    const measured = await phase(broker, async () => {
      const r = await runTool(
        'kcat',
        [
          '-P',
          '-b',
          broker.bootstrap,
          '-t',
          'bench-8p',
          '-X',
          'linger.ms=5',
          '-X',
          'batch.num.messages=10000',
          '-X',
          'queue.buffering.max.messages=1000000',
          '-X',
          'acks=1',
        ],
        { stdinFile: file, timeoutMs: 90_000 },
      );
      if (r.code !== 0) throw new Error(`kcat failed (${r.code}): ${r.stderr}`);
      return { wallMs: r.wallMs, cpu: r.cpuSec, stderr: r.stderr };
    });
    const after = await logFiles(broker, 'bench-8p');
    const rawAfter = await rawAppendBaseline(dir, 'kcat', KCAT_RECORDS);
    const raw = meanRaw(rawBefore, rawAfter);
    const seconds = measured.wallMs / 1000;
    const mbPerS = (KCAT_RECORDS * (RECORD_BYTES - 1)) / MB / seconds;
    const ratio = KCAT_RECORDS / seconds / raw.records_per_s;
    return {
      bench: 'produce',
      tool: 'kcat (librdkafka)',
      topic: 'bench-8p',
      partitions: 8,
      acks: 1,
      records: KCAT_RECORDS,
      record_bytes: RECORD_BYTES - 1,
      records_per_s: round(KCAT_RECORDS / seconds, 0),
      mb_per_s: round(mbPerS),
      wall_s: round(seconds, 2),
      log_bytes_appended: after.bytes - before.bytes,
      raw_mb_per_s: raw.mb_per_s,
      raw_records_per_s: raw.records_per_s,
      raw_before_after_mb_per_s: [rawBefore.mb_per_s, rawAfter.mb_per_s],
      ratio_basis: 'records/s over raw records/s',
      raw_note:
        'raw append server (mean of before and after) with the perf test framing (librdkafka batches differ); wall time includes kcat start-up and metadata',
      ratio: round(ratio, 3),
      target: TARGETS.produceRatio,
      pass: ratio >= TARGETS.produceRatio,
      client_cpu_s: round(measured.cpu, 2),
      broker_cpu_s: measured.broker_cpu_s,
      broker_cpu_pct_of_core: measured.broker_cpu_pct_of_core,
      machine_cpu_busy_pct: measured.machine_cpu_busy_pct,
      machine_cpu_steal_pct: measured.machine_cpu_steal_pct,
      broker_rss_mib: measured.broker_rss_mib,
      broker_hwm_mib: measured.broker_hwm_mib,
    };
  } finally {
    await rm(file, { force: true });
  }
}

const CONSUMER_LINE = /^[^,]+, [^,]+, ([\d.]+), ([\d.]+), (\d+), ([\d.]+), \d+, (\d+),/m;

async function consumeBench(
  broker: Broker,
  topic: string,
  partitions: number,
  messages: number,
): Promise<Record<string, unknown>[]> {
  const logs = await logFiles(broker, topic);
  const rawBefore = await rawSendBaseline(logs.files);
  const measured = await phase(broker, async () => {
    const r = await runTool(BIN('kafka-consumer-perf-test'), [
      '--bootstrap-server',
      broker.bootstrap,
      '--topic',
      topic,
      '--messages',
      String(messages),
    ]);
    const m = CONSUMER_LINE.exec(r.stdout);
    if (r.code !== 0 || !m)
      throw new Error(`consumer perf test failed (${r.code}): ${r.stdout}${r.stderr}`);
    return { m, cpu: r.cpuSec };
  });
  const consumed = Number(measured.m[3]);
  const msgsPerS = Number(measured.m[4]);
  const seconds = consumed / msgsPerS;
  const payloadBytes = Number(measured.m[1]) * MiB;
  // Compare log bytes per second (what crosses the socket) with the raw sender's.
  const logMbPerS = (logs.bytes * (consumed / messages)) / MB / seconds;
  const lean = await phase(broker, () => leanFetch(broker, topic, partitions));
  // As for produce: the raw sender runs before and after, and the ratios use the mean.
  const rawAfter = await rawSendBaseline(logs.files);
  const rawMbPerS = round((rawBefore.mb_per_s + rawAfter.mb_per_s) / 2);
  const rawBeforeAfter = [rawBefore.mb_per_s, rawAfter.mb_per_s];
  const ratio = logMbPerS / rawMbPerS;
  const leanRatio = lean.mbPerS / rawMbPerS;
  const leanLine = {
    bench: 'consume',
    tool: 'KafkaClient fetch loop (framing only, no record decode)',
    topic,
    partitions,
    log_mb_per_s: round(lean.mbPerS),
    bytes: lean.bytes,
    seconds: round(lean.seconds, 2),
    fetches: lean.fetches,
    raw_mb_per_s: rawMbPerS,
    raw_before_after_mb_per_s: rawBeforeAfter,
    ratio: round(leanRatio, 3),
    ratio_basis: 'log_mb_per_s / raw_mb_per_s (same bytes)',
    target: TARGETS.consumeRatio,
    pass: leanRatio >= TARGETS.consumeRatio,
    note: 'same fetch shape as the perf test (one Fetch at a time, 1 MiB per partition, maxWaitMs 100) in this process, to separate the broker fetch path from client-side record decoding',
    broker_cpu_s: lean.broker_cpu_s,
    broker_cpu_pct_of_core: lean.broker_cpu_pct_of_core,
    machine_cpu_busy_pct: lean.machine_cpu_busy_pct,
    machine_cpu_steal_pct: lean.machine_cpu_steal_pct,
    broker_rss_mib: lean.broker_rss_mib,
    broker_hwm_mib: lean.broker_hwm_mib,
  };
  const perfLine = {
    bench: 'consume',
    tool: 'kafka-consumer-perf-test',
    topic,
    partitions,
    messages: consumed,
    msgs_per_s: round(msgsPerS, 0),
    mb_per_s: round(payloadBytes / MB / seconds),
    log_mb_per_s: round(logMbPerS),
    log_bytes: logs.bytes,
    raw_mb_per_s: rawMbPerS,
    raw_before_after_mb_per_s: rawBeforeAfter,
    raw_note: `raw file→socket sender, mean of a run before and after: ${logs.files.length} .log files, ${rawBefore.bytes} B in ${rawBefore.seconds}/${rawAfter.seconds} s, server cpu ${rawBefore.server_cpu_s}/${rawAfter.server_cpu_s} s`,
    ratio: round(ratio, 3),
    ratio_basis: 'log_mb_per_s / raw_mb_per_s (same bytes)',
    target: TARGETS.consumeRatio,
    pass: ratio >= TARGETS.consumeRatio,
    client_cpu_s: round(measured.cpu, 2),
    broker_cpu_s: measured.broker_cpu_s,
    broker_cpu_pct_of_core: measured.broker_cpu_pct_of_core,
    machine_cpu_busy_pct: measured.machine_cpu_busy_pct,
    machine_cpu_steal_pct: measured.machine_cpu_steal_pct,
    broker_rss_mib: measured.broker_rss_mib,
    broker_hwm_mib: measured.broker_hwm_mib,
  };
  return [perfLine, leanLine];
}

/** Reads a topic from the earliest to the latest offsets; counts record bytes, decodes no record. */
async function leanFetch(
  broker: Broker,
  topic: string,
  partitions: number,
): Promise<{ bytes: number; seconds: number; mbPerS: number; fetches: number }> {
  const client = new KafkaClient({
    bootstrapServers: broker.bootstrap,
    clientId: 'bench-lean-consumer',
  });
  try {
    const ids = Array.from({ length: partitions }, (_, i) => i);
    const start = await client.listOffsets(topic, ids, -2n);
    const end = await client.listOffsets(topic, ids, -1n);
    const positions = new Map(ids.map((p) => [p, start.get(p)!.offset]));
    let bytes = 0;
    let fetches = 0;
    const t0 = performance.now();
    for (;;) {
      const targets = ids
        .filter((p) => positions.get(p)! < end.get(p)!.offset)
        .map((p) => ({ topic, partition: p, offset: positions.get(p)!, maxBytes: MiB }));
      if (targets.length === 0) break;
      fetches++;
      for (const r of await client.fetch(targets, { maxWaitMs: 100 })) {
        if (r.errorCode !== 0)
          throw new Error(`fetch ${topic}-${r.partition}: error ${r.errorCode}`);
        if (!r.records) continue;
        const scan = scanBatches(r.records);
        bytes += r.records.length;
        const last = scan.batches.at(-1);
        if (last) positions.set(r.partition, last.nextOffset);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    return { bytes, seconds, mbPerS: bytes / MB / seconds, fetches };
  } finally {
    await client.close();
  }
}

function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

const nowMs = (): number => performance.timeOrigin + performance.now();

/** Calls `send(i)` for batch i at 1 batch per ms on the wall clock, for `seconds`. */
async function paced(seconds: number, send: (i: number) => void): Promise<number> {
  const total = seconds * 1000;
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(performance.now() - t0));
      while (sent < due) send(sent++);
      if (sent >= total) {
        clearInterval(timer);
        done();
      }
    }, 1);
  });
  return sent;
}

async function latencyBench(broker: Broker, dir: string): Promise<Record<string, unknown>> {
  const topic = 'bench-latency';
  const producer = new KafkaClient({
    bootstrapServers: broker.bootstrap,
    clientId: 'bench-lat-producer',
  });
  const consumer = new KafkaClient({
    bootstrapServers: broker.bootstrap,
    clientId: 'bench-lat-consumer',
  });
  const latencies: number[] = [];
  const errors: string[] = [];
  try {
    const produceConnection = await producer.connectionTo(await producer.leaderFor(topic, 0));
    await consumer.topic(topic);
    const expected = LATENCY_SECONDS * 1000 * LATENCY_BATCH;
    let stop = false;
    const consumeLoop = (async () => {
      let offset = 0n;
      while (!stop && latencies.length < expected) {
        const [p] = await consumer.fetch([{ topic, partition: 0, offset }], {
          maxWaitMs: 500,
          minBytes: 1,
        });
        const now = nowMs();
        if (!p?.records) continue;
        for (const batch of scanBatches(p.records).batches) {
          if (batch.nextOffset <= offset) continue;
          for (const record of await batch.decodeRecords()) {
            if (record.offset < offset || !record.value) continue;
            latencies.push(now - record.value.readDoubleLE(0));
          }
          offset = batch.nextOffset;
        }
      }
    })();
    const payloads = Array.from({ length: LATENCY_BATCH }, () => Buffer.alloc(RECORD_BYTES, 66));
    const inflight = new Set<Promise<unknown>>();
    const cpu0 = (await cpuSeconds(broker.pid)) ?? 0;
    const t0 = performance.now();
    await paced(LATENCY_SECONDS, () => {
      const ts = nowMs();
      for (const v of payloads) v.writeDoubleLE(ts, 0);
      // buildRecordBatch copies the values synchronously before its first await.
      const p = buildRecordBatch({ records: payloads.map((value) => ({ value })) })
        .then((batch) => producer.produce(topic, 0, batch, 1, { connection: produceConnection }))
        .catch((e: unknown) => errors.push(String(e)));
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    });
    await Promise.all(inflight);
    const sendSeconds = (performance.now() - t0) / 1000;
    const deadline = Date.now() + 5000;
    while (latencies.length < expected && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await Promise.race([consumeLoop, new Promise((r) => setTimeout(r, 1000))]);
    const cpu1 = (await cpuSeconds(broker.pid)) ?? 0;
    const mem = await memoryOf(broker.pid);
    const sorted = Float64Array.from(latencies).sort();
    const raw = await rawLatencyBaseline(dir);
    const p99 = percentile(sorted, 0.99);
    return {
      bench: 'e2e-latency',
      topic,
      target_mb_per_s: round((LATENCY_BATCH * 1000 * RECORD_BYTES) / MB, 2),
      achieved_mb_per_s: round((latencies.length * RECORD_BYTES) / MB / sendSeconds, 2),
      records_sent: expected,
      records_received: latencies.length,
      produce_errors: errors.length,
      acks: 1,
      fetch: 'maxWaitMs 500, minBytes 1',
      p50_ms: round(percentile(sorted, 0.5), 2),
      p99_ms: round(p99, 2),
      p999_ms: round(percentile(sorted, 0.999), 2),
      max_ms: round(sorted.at(-1) ?? NaN, 2),
      raw_p50_ms: raw.p50_ms,
      raw_p99_ms: raw.p99_ms,
      raw_max_ms: raw.max_ms,
      raw_note:
        'raw append server at the same rate (10 KiB frames/ms), send → ack after the file write',
      ratio: round(p99 / raw.p99_ms, 2),
      ratio_basis: 'p99 / raw p99 (time: lower is better)',
      target_p99_ms: TARGETS.p99Ms,
      pass: p99 < TARGETS.p99Ms && latencies.length === expected,
      broker_cpu_s: round(cpu1 - cpu0, 2),
      broker_rss_mib: mem.rss_mib,
      broker_hwm_mib: mem.hwm_mib,
    };
  } finally {
    await producer.close();
    await consumer.close();
  }
}

async function rawLatencyBaseline(
  dir: string,
): Promise<{ p50_ms: number; p99_ms: number; max_ms: number }> {
  const [result] = await withRawAppendServer(join(dir, 'raw-latency.bin'), async (port) => {
    const socket = await connectTo(port);
    const frameBytes = LATENCY_BATCH * RECORD_BYTES + 4;
    const sentAt: number[] = [];
    const latencies: number[] = [];
    let ackBytes = 0;
    let acked = 0;
    socket.on('data', (c: Buffer) => {
      ackBytes += c.length;
      const now = nowMs();
      while (ackBytes >= 4) {
        ackBytes -= 4;
        latencies.push(now - sentAt[acked++]);
      }
    });
    const frame = Buffer.alloc(frameBytes, 67);
    frame.writeInt32BE(frameBytes - 4, 0);
    const total = await paced(LATENCY_SECONDS, () => {
      sentAt.push(nowMs());
      socket.write(frame);
    });
    const deadline = Date.now() + 5000;
    while (acked < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    socket.destroy();
    const sorted = Float64Array.from(latencies).sort();
    return {
      p50_ms: round(percentile(sorted, 0.5), 2),
      p99_ms: round(percentile(sorted, 0.99), 2),
      max_ms: round(sorted.at(-1) ?? NaN, 2),
    };
  });
  return result;
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/src/cli/broker.js')) || !existsSync(RAW_SERVER)) {
    throw new Error('build first: npx tsc -p tsconfig.build.json');
  }
  const startedAt = performance.now();
  const dir = await makeTempDir('bench-broker-');
  await mkdir(join(dir, 'raw'), { recursive: true });
  const broker = await startBroker(dir);
  emit({
    bench: 'setup',
    cpus: cpus().length,
    note: 'broker, load generators and raw baselines all share these cores',
    node: process.version,
    broker_pid: broker.pid,
    ...(await memoryOf(broker.pid)),
  });
  await createTopic(broker, 'bench-1p', 1);
  await createTopic(broker, 'bench-8p', 8);
  await createTopic(broker, 'bench-latency', 1);

  const results: Record<string, unknown>[] = [];
  const record = (line: Record<string, unknown>): void => {
    results.push(line);
    emit(line);
  };
  const raw = join(dir, 'raw');
  for (const [topic, partitions] of [
    ['bench-1p', 1],
    ['bench-8p', 8],
  ] as const) {
    for (const acks of [1, -1]) record(await produceBench(broker, raw, topic, partitions, acks));
  }
  record(await kcatBench(broker, raw));
  for (const line of await consumeBench(broker, 'bench-1p', 1, 2 * PRODUCE_RECORDS)) record(line);
  for (const line of await consumeBench(broker, 'bench-8p', 8, 2 * PRODUCE_RECORDS + KCAT_RECORDS))
    record(line);
  record(await latencyBench(broker, raw));

  const mem = await memoryOf(broker.pid);
  await stopChild(broker.child);
  const passed = results.filter((r) => r.pass === true).length;
  emit({
    bench: 'summary',
    passed,
    total: results.length,
    produce: results
      .filter((r) => r.bench === 'produce')
      .map(
        (r) =>
          `${r.tool} ${r.topic} acks=${r.acks}: ratio ${r.ratio} ${r.pass ? 'PASS' : 'FAIL'} (≥ ${TARGETS.produceRatio})`,
      ),
    consume: results
      .filter((r) => r.bench === 'consume')
      .map(
        (r) =>
          `${r.tool} ${r.topic}: ratio ${r.ratio} ${r.pass ? 'PASS' : 'FAIL'} (≥ ${TARGETS.consumeRatio})`,
      ),
    latency: results
      .filter((r) => r.bench === 'e2e-latency')
      .map((r) => `p99 ${r.p99_ms} ms ${r.pass ? 'PASS' : 'FAIL'} (< ${TARGETS.p99Ms} ms)`),
    broker_rss_mib: mem.rss_mib,
    broker_hwm_mib: mem.hwm_mib,
    runtime_s: round((performance.now() - startedAt) / 1000, 1),
    note: 'information only; never fails the run',
  });
}

await runBench(main);

/**
 * `bin/kafka-producer-perf-test`: Kafka's ProducerPerformance. Batches are built up front
 * (one set of templates, reused) and pipelined over several connections per leader so the
 * client is not the bottleneck; output lines follow ProducerPerformance's format.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { Connection } from '../client/connection.js';
import { KafkaClient } from '../client/kafka-client.js';
import { collect, describeError, parseKeyValues, runProgram } from '../client/tool-support.js';
import { compressionTypeFromName } from '../protocol/compression/compression-type.js';
import { KafkaError } from '../protocol/errors.js';
import { ApiKey } from '../protocol/messages/generated/index.js';
import { buildRecordBatch } from '../protocol/records/index.js';

interface PerfOptions {
  topic?: string;
  numRecords?: string;
  recordSize?: string;
  payloadFile?: string;
  throughput?: string;
  producerProps: string[];
  producerConfig?: string;
  connections?: string;
  maxInFlight?: string;
}

const MB = 1024 * 1024;
const REPORT_INTERVAL_MS = 5000;

/** Per-batch latency samples (weighted by record count) and Kafka's windowed reporting. */
class Stats {
  private readonly start = Date.now();
  private count = 0;
  private bytes = 0;
  private maxLatency = 0;
  private totalLatency = 0;
  private readonly samples: { latency: number; count: number }[] = [];
  private windowStart = Date.now();
  private windowCount = 0;
  private windowBytes = 0;
  private windowMaxLatency = 0;
  private windowTotalLatency = 0;

  record(latencyMs: number, records: number, bytes: number): void {
    this.count += records;
    this.bytes += bytes;
    this.totalLatency += latencyMs * records;
    this.maxLatency = Math.max(this.maxLatency, latencyMs);
    this.samples.push({ latency: latencyMs, count: records });
    this.windowCount += records;
    this.windowBytes += bytes;
    this.windowTotalLatency += latencyMs * records;
    this.windowMaxLatency = Math.max(this.windowMaxLatency, latencyMs);
    if (Date.now() - this.windowStart >= REPORT_INTERVAL_MS) {
      this.printWindow();
      this.newWindow();
    }
  }

  private printWindow(): void {
    const elapsed = Date.now() - this.windowStart;
    const recsPerSec = (1000 * this.windowCount) / elapsed;
    const mbPerSec = (1000 * this.windowBytes) / elapsed / MB;
    process.stdout.write(
      `${this.windowCount} records sent, ${recsPerSec.toFixed(1)} records/sec (${mbPerSec.toFixed(2)} MB/sec), ` +
        `${(this.windowTotalLatency / Math.max(1, this.windowCount)).toFixed(1)} ms avg latency, ` +
        `${this.windowMaxLatency.toFixed(1)} ms max latency.\n`,
    );
  }

  private newWindow(): void {
    this.windowStart = Date.now();
    this.windowCount = 0;
    this.windowBytes = 0;
    this.windowMaxLatency = 0;
    this.windowTotalLatency = 0;
  }

  private percentiles(ps: readonly number[]): number[] {
    const sorted = [...this.samples].sort((a, b) => a.latency - b.latency);
    return ps.map((p) => {
      const target = p * this.count;
      let seen = 0;
      for (const s of sorted) {
        seen += s.count;
        if (seen >= target) return Math.trunc(s.latency);
      }
      return Math.trunc(sorted.at(-1)?.latency ?? 0);
    });
  }

  printTotal(): void {
    const elapsed = Date.now() - this.start;
    const recsPerSec = (1000 * this.count) / Math.max(1, elapsed);
    const mbPerSec = (1000 * this.bytes) / Math.max(1, elapsed) / MB;
    const [p50, p95, p99, p999] = this.percentiles([0.5, 0.95, 0.99, 0.999]);
    process.stdout.write(
      `${this.count} records sent, ${recsPerSec.toFixed(6)} records/sec (${mbPerSec.toFixed(2)} MB/sec), ` +
        `${(this.totalLatency / Math.max(1, this.count)).toFixed(2)} ms avg latency, ` +
        `${this.maxLatency.toFixed(2)} ms max latency, ${p50} ms 50th, ${p95} ms 95th, ${p99} ms 99th, ${p999} ms 99.9th.\n`,
    );
  }
}

function randomPayload(size: number): Buffer {
  const payload = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
  return payload;
}

async function run(options: PerfOptions): Promise<number> {
  if (!options.topic || options.numRecords === undefined || options.throughput === undefined) {
    process.stderr.write(
      'Missing required arguments: --topic, --num-records and --throughput are required\n',
    );
    return 1;
  }
  if (options.recordSize === undefined && options.payloadFile === undefined) {
    process.stderr.write(
      'Either --record-size or --payload-file must be specified but not both.\n',
    );
    return 1;
  }
  const props = parseKeyValues(options.producerProps);
  if (options.producerConfig) {
    for (const line of (await readFile(options.producerConfig, 'utf8')).split('\n')) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const idx = trimmed.indexOf('=');
      if (idx > 0 && !props.has(trimmed.slice(0, idx).trim())) {
        props.set(trimmed.slice(0, idx).trim(), trimmed.slice(idx + 1).trim());
      }
    }
  }
  const bootstrap = props.get('bootstrap.servers');
  if (!bootstrap) {
    process.stderr.write(
      'bootstrap.servers must be given in --producer-props or --producer.config\n',
    );
    return 1;
  }
  const topic = options.topic;
  const numRecords = Number(options.numRecords);
  const throughput = Number(options.throughput);
  const acksText = props.get('acks') ?? 'all';
  const acks = acksText === 'all' ? -1 : Number(acksText);
  const compression = compressionTypeFromName(props.get('compression.type') ?? 'none');
  const batchSize = Number(props.get('batch.size') ?? 16384);
  const connectionsPerLeader = Number(options.connections ?? 4);
  const maxInFlight = Number(
    options.maxInFlight ?? props.get('max.in.flight.requests.per.connection') ?? 5,
  );

  const payloads: Buffer[] = options.payloadFile
    ? (await readFile(options.payloadFile, 'utf8'))
        .split(props.get('payload.delimiter') ?? '\n')
        .filter((s) => s !== '')
        .map((s) => Buffer.from(s))
    : [randomPayload(Number(options.recordSize))];
  if (payloads.length === 0) throw new Error('File is empty');
  const recordSize = payloads[0].length;
  const recordsPerBatch = Math.max(
    1,
    Math.min(numRecords, Math.floor(batchSize / (recordSize + 8))),
  );

  const client = new KafkaClient({
    bootstrapServers: bootstrap,
    clientId: props.get('client.id') ?? 'perf-producer-client',
  });
  const connections: Connection[] = [];
  try {
    const info = await client.topic(topic);
    const partitions = info.partitions.map((p) => ({ partition: p.partition, leader: p.leader }));
    // Several connections per leader, each with a bounded number of requests in flight.
    const lanes: { connection: Connection; partitions: number[]; next: number }[] = [];
    const leaders = [...new Set(partitions.map((p) => p.leader))];
    for (const leader of leaders) {
      const mine = partitions.filter((p) => p.leader === leader).map((p) => p.partition);
      for (let i = 0; i < connectionsPerLeader; i++) {
        const connection = await client.newConnectionTo(leader);
        connections.push(connection);
        const lanePartitions = mine.filter((_, idx) => idx % connectionsPerLeader === i);
        lanes.push({
          connection,
          partitions: lanePartitions.length > 0 ? lanePartitions : mine,
          next: i,
        });
      }
    }

    // Batch templates, built once: a full batch and (when needed) the final short one.
    const templateCount = Math.min(payloads.length, 16);
    const templates: Buffer[] = [];
    for (let t = 0; t < templateCount; t++) {
      templates.push(
        await buildRecordBatch({
          compression,
          records: Array.from({ length: recordsPerBatch }, (_, i) => ({
            value: payloads[(t * recordsPerBatch + i) % payloads.length],
          })),
        }),
      );
    }
    const remainder = numRecords % recordsPerBatch;
    const lastTemplate =
      remainder === 0
        ? null
        : await buildRecordBatch({
            compression,
            records: Array.from({ length: remainder }, (_, i) => ({
              value: payloads[i % payloads.length],
            })),
          });

    const stats = new Stats();
    const totalBatches = Math.ceil(numRecords / recordsPerBatch);
    const startMs = Date.now();
    let sentRecords = 0;
    let nextBatch = 0;
    let failure: unknown = null;
    const version = lanes[0].connection.versionFor(ApiKey.Produce, undefined, 3);

    const laneLoop = async (lane: (typeof lanes)[number]): Promise<void> => {
      const inflight = new Set<Promise<void>>();
      while (failure === null) {
        if (nextBatch >= totalBatches) break;
        const index = nextBatch++;
        const isLast = index === totalBatches - 1 && lastTemplate !== null;
        const batch = isLast ? lastTemplate : templates[index % templates.length];
        const count = isLast ? remainder : recordsPerBatch;
        if (throughput > 0) {
          // Kafka's ThroughputThrottler: sleep until the rate falls back under the target.
          const expectedMs = (sentRecords * 1000) / throughput;
          const ahead = expectedMs - (Date.now() - startMs);
          if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
        }
        sentRecords += count;
        const partition = lane.partitions[lane.next++ % lane.partitions.length];
        const body = {
          transactionalId: null,
          acks,
          timeoutMs: 30_000,
          topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
        };
        const sentAt = performance.now();
        const bytes = count * recordSize;
        const p =
          acks === 0
            ? lane.connection
                .sendNoResponse(ApiKey.Produce, version, body)
                .then(() => stats.record(performance.now() - sentAt, count, bytes))
            : lane.connection.send(ApiKey.Produce, version, body).then((response) => {
                const r = response.responses[0]?.partitionResponses[0];
                if (r && r.errorCode !== 0)
                  throw new KafkaError(r.errorCode, r.errorMessage ?? undefined);
                stats.record(performance.now() - sentAt, count, bytes);
              });
        const tracked = p.catch((err: unknown) => {
          failure ??= err;
        });
        inflight.add(tracked);
        void tracked.finally(() => inflight.delete(tracked));
        if (acks === 0) await lane.connection.drained();
        while (inflight.size >= maxInFlight) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    };
    await Promise.all(lanes.map(laneLoop));
    if (failure) throw failure;
    stats.printTotal();
    return 0;
  } catch (err) {
    process.stderr.write(`Error: ${describeError(err)}\n`);
    return 1;
  } finally {
    for (const c of connections) c.close();
    await client.close();
  }
}

const program = new Command('kafka-producer-perf-test')
  .description('This tool is used to verify the producer performance.')
  .option('--topic <topic>', 'produce messages to this topic')
  .option('--num-records <n>', 'number of messages to produce')
  .option('--record-size <bytes>', 'message size in bytes.')
  .option(
    '--payload-file <file>',
    'file to read the message payloads from (one per line, or by --payload-delimiter).',
  )
  .option(
    '--throughput <n>',
    'throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. Set this to -1 to disable throttling.',
  )
  .option(
    '--producer-props <prop...>',
    'kafka producer related configuration properties like bootstrap.servers,client.id etc.',
    (v: string, prev: string[] = []) => collect(v, prev),
    [],
  )
  .option('--producer.config <file>', 'producer config properties file.')
  .option('--connections <n>', 'connections per partition leader (this implementation; default 4)')
  .option(
    '--max-in-flight <n>',
    'requests in flight per connection (default max.in.flight.requests.per.connection or 5)',
  )
  .action(async (options: PerfOptions & { 'producer.config'?: string }) => {
    options.producerConfig ??= options['producer.config'];
    process.exitCode = await run(options);
  });

process.exitCode = await runProgram(program, process.argv.slice(2));

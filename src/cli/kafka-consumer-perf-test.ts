/**
 * `bin/kafka-consumer-perf-test`: Kafka's ConsumerPerformance, reading by assignment (all
 * partitions from the earliest offset, or the latest with --from-latest); there are no
 * consumer groups, so rebalance.time.ms is always 0.
 */
import { Command } from 'commander';
import { KafkaClient, OffsetSpec, throwIfError } from '../client/kafka-client.js';
import { collect, describeError, runProgram } from '../client/tool-support.js';
import { ErrorCode } from '../protocol/errors.js';
import { scanBatches, type RecordBatch } from '../protocol/records/index.js';

interface PerfOptions {
  bootstrapServer?: string;
  brokerList?: string;
  topic?: string;
  messages?: string;
  timeout?: string;
  fromLatest?: boolean;
  fetchSize?: string;
  hideHeader?: boolean;
  dateFormat?: string;
  showDetailedStats?: boolean;
  reportingInterval?: string;
  consumerProperty: string[];
  group?: string;
}

const MB = 1024 * 1024;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Java's SimpleDateFormat("yyyy-MM-dd HH:mm:ss:SSS") in local time. */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}:${pad(d.getMilliseconds(), 3)}`
  );
}

async function run(options: PerfOptions): Promise<number> {
  const bootstrap = options.bootstrapServer ?? options.brokerList;
  if (!bootstrap || !options.topic || options.messages === undefined) {
    process.stderr.write(
      'Missing required argument: --bootstrap-server, --topic and --messages are required\n',
    );
    return 1;
  }
  const topic = options.topic;
  const target = Number(options.messages);
  const timeoutMs = Number(options.timeout ?? 10_000);
  const fetchSize = Number(options.fetchSize ?? 1024 * 1024);
  const reportingInterval = Number(options.reportingInterval ?? 5000);
  const client = new KafkaClient({ bootstrapServers: bootstrap, clientId: 'perf-consumer-client' });
  let messages = 0;
  let inFlight: ReturnType<KafkaClient['fetch']> | null = null;
  let bytes = 0;
  try {
    if (!options.hideHeader) {
      process.stdout.write(
        options.showDetailedStats
          ? 'time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n'
          : 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n',
      );
    }
    const startMs = Date.now();
    const info = await client.topic(topic);
    const partitions = info.partitions.map((p) => p.partition);
    const listed = await client.listOffsets(
      topic,
      partitions,
      options.fromLatest ? OffsetSpec.LATEST : OffsetSpec.EARLIEST,
    );
    const positions = new Map<number, bigint>([...listed].map(([p, r]) => [p, r.offset]));
    let lastConsumed = Date.now();
    let lastReport = Date.now();
    let lastReportMessages = 0;
    let lastReportBytes = 0;
    const fetchAtPositions = () =>
      client.fetch(
        partitions.map((p) => ({
          topic,
          partition: p,
          offset: positions.get(p)!,
          maxBytes: fetchSize,
        })),
        { maxWaitMs: 100 },
      );
    while (messages < target && Date.now() - lastConsumed <= timeoutMs) {
      const results = await (inFlight ?? fetchAtPositions());
      inFlight = null;
      // Positions move on from the batch headers alone, so the next fetch is on its way
      // while these records are decoded, as Kafka's consumer sends its next fetches before
      // handing out the records it has.
      const received: { batches: RecordBatch[]; from: bigint }[] = [];
      let reset = false;
      for (const result of results) {
        if (result.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          const earliest = await client.listOffsets(topic, [result.partition], OffsetSpec.EARLIEST);
          positions.set(result.partition, earliest.get(result.partition)!.offset);
          reset = true;
          continue;
        }
        throwIfError(result.errorCode, null, `${topic}-${result.partition}`);
        if (!result.records) continue;
        const from = positions.get(result.partition)!;
        const batches = scanBatches(result.records).batches.filter((b) => b.nextOffset > from);
        if (batches.length === 0) continue;
        received.push({ batches, from });
        positions.set(result.partition, batches[batches.length - 1].nextOffset);
      }
      if (!reset) inFlight = fetchAtPositions();
      for (const { batches, from } of received) {
        for (const batch of batches) {
          if (batch.isControl) continue;
          for (const record of await batch.decodeRecords()) {
            if (record.offset < from || messages >= target) continue;
            messages++;
            bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
          }
          lastConsumed = Date.now();
        }
      }
      if (options.showDetailedStats && Date.now() - lastReport >= reportingInterval) {
        const now = Date.now();
        const elapsed = (now - lastReport) / 1000;
        const mb = bytes / MB;
        const windowMb = (bytes - lastReportBytes) / MB;
        const windowMsgs = messages - lastReportMessages;
        process.stdout.write(
          `${formatDate(now)}, 0, ${mb.toFixed(4)}, ${(windowMb / elapsed).toFixed(4)}, ${messages}, ${(windowMsgs / elapsed).toFixed(4)}, 0, ${now - lastReport}, ${(windowMb / elapsed).toFixed(4)}, ${(windowMsgs / elapsed).toFixed(4)}\n`,
        );
        lastReport = now;
        lastReportBytes = bytes;
        lastReportMessages = messages;
      }
    }
    const endMs = Date.now();
    if (messages < target) {
      process.stderr.write(
        `WARNING: Exiting before consuming the expected number of messages: timeout (${timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.\n`,
      );
    }
    const elapsedSecs = (endMs - startMs) / 1000;
    const mb = bytes / MB;
    const rebalanceMs = 0;
    const fetchMs = endMs - startMs - rebalanceMs;
    const fetchSecs = fetchMs / 1000;
    if (!options.showDetailedStats) {
      process.stdout.write(
        `${formatDate(startMs)}, ${formatDate(endMs)}, ${mb.toFixed(4)}, ${(mb / elapsedSecs).toFixed(4)}, ${messages}, ` +
          `${(messages / elapsedSecs).toFixed(4)}, ${rebalanceMs}, ${fetchMs}, ${(mb / fetchSecs).toFixed(4)}, ${(messages / fetchSecs).toFixed(4)}\n`,
      );
    }
    return 0;
  } catch (err) {
    process.stderr.write(`Error: ${describeError(err)}\n`);
    return 1;
  } finally {
    // A fetch sent ahead may still be on its way; closing the client ends it.
    void inFlight?.catch(() => undefined);
    await client.close();
  }
}

const program = new Command('kafka-consumer-perf-test')
  .description('This tool is used to verify the consumer performance.')
  .option('--bootstrap-server <server>', 'REQUIRED: The server(s) to connect to.')
  .option('--broker-list <servers>', 'DEPRECATED, use --bootstrap-server instead.')
  .option('--topic <topic>', 'REQUIRED: The topic to consume from.')
  .option('--messages <n>', 'REQUIRED: The number of messages to consume.')
  .option(
    '--timeout <ms>',
    'The maximum allowed time in milliseconds between returned records.',
    '10000',
  )
  .option(
    '--from-latest',
    'If the consumer does not already have an established offset to consume from, start with the latest message present in the log rather than the earliest message.',
  )
  .option('--fetch-size <bytes>', 'The amount of data to fetch in a single request.')
  .option('--hide-header', 'If set, skips printing the header for the stats.')
  .option(
    '--date-format <format>',
    'The date format to use for formatting the time field (only the default is supported).',
  )
  .option(
    '--show-detailed-stats',
    'If set, stats are reported for each reporting interval as configured by reporting-interval',
  )
  .option('--reporting-interval <ms>', 'Interval in milliseconds at which to print progress info.')
  .option('--group <group>', 'The group id (ignored: reads by assignment).')
  .option('--consumer-property <prop>', 'Consumer properties (ignored).', collect, [])
  .action(async (options: PerfOptions) => {
    process.exitCode = await run(options);
  });

process.exitCode = await runProgram(program, process.argv.slice(2));

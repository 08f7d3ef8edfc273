/**
 * `bin/kafka-console-consumer`: reads a topic by assignment (all partitions, or --partition)
 * from earliest/latest/an offset and prints records with Kafka's DefaultMessageFormatter.
 * There are no consumer groups yet, so --group is not supported.
 */
import { Command } from 'commander';
import { KafkaClient, OffsetSpec, throwIfError } from '../client/kafka-client.js';
import {
  collect,
  describeError,
  parseKeyValues,
  runProgram,
  unescape,
} from '../client/tool-support.js';
import { ErrorCode } from '../protocol/errors.js';
import { scanBatches, TimestampType, type KafkaRecord } from '../protocol/records/index.js';

interface ConsumerOptions {
  bootstrapServer?: string;
  topic?: string;
  fromBeginning?: boolean;
  partition?: string;
  offset?: string;
  maxMessages?: string;
  timeoutMs?: string;
  property: string[];
  consumerProperty: string[];
  skipMessageOnError?: boolean;
}

export interface FormatterConfig {
  printTimestamp: boolean;
  printKey: boolean;
  printOffset: boolean;
  printPartition: boolean;
  printHeaders: boolean;
  printValue: boolean;
  keySeparator: string;
  lineSeparator: string;
  headersSeparator: string;
  nullLiteral: string;
}

export function formatterConfig(props: Map<string, string>): FormatterConfig {
  const bool = (k: string, d: boolean): boolean => {
    const v = props.get(k);
    return v === undefined ? d : v.trim().toLowerCase() === 'true';
  };
  return {
    printTimestamp: bool('print.timestamp', false),
    printKey: bool('print.key', false),
    printOffset: bool('print.offset', false),
    printPartition: bool('print.partition', false),
    printHeaders: bool('print.headers', false),
    printValue: bool('print.value', true),
    keySeparator: unescape(props.get('key.separator') ?? '\t'),
    lineSeparator: unescape(props.get('line.separator') ?? '\n'),
    headersSeparator: unescape(props.get('headers.separator') ?? ','),
    nullLiteral: props.get('null.literal') ?? 'null',
  };
}

/** One record as Kafka's DefaultMessageFormatter writes it. */
export function formatRecord(
  record: KafkaRecord,
  partition: number,
  timestampType: number,
  config: FormatterConfig,
): string {
  let out = '';
  const sep = (more: boolean): void => {
    out += more ? config.keySeparator : config.lineSeparator;
  };
  const text = (b: Buffer | null): string => (b === null ? config.nullLiteral : b.toString('utf8'));
  if (config.printTimestamp) {
    out += `${timestampType === TimestampType.LogAppendTime ? 'LogAppendTime' : 'CreateTime'}:${record.timestamp}`;
    sep(
      config.printPartition ||
        config.printOffset ||
        config.printHeaders ||
        config.printKey ||
        config.printValue,
    );
  }
  if (config.printPartition) {
    out += `Partition:${partition}`;
    sep(config.printOffset || config.printHeaders || config.printKey || config.printValue);
  }
  if (config.printOffset) {
    out += `Offset:${record.offset}`;
    sep(config.printHeaders || config.printKey || config.printValue);
  }
  if (config.printHeaders) {
    out +=
      record.headers.length === 0
        ? 'NO_HEADERS'
        : record.headers.map((h) => `${h.key}:${text(h.value)}`).join(config.headersSeparator);
    sep(config.printKey || config.printValue);
  }
  if (config.printKey) {
    out += text(record.key);
    sep(config.printValue);
  }
  if (config.printValue) {
    out += text(record.value);
    out += config.lineSeparator;
  }
  return out;
}

function writeOut(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

async function run(options: ConsumerOptions): Promise<number> {
  if (!options.bootstrapServer || !options.topic) {
    process.stderr.write(
      'Missing required argument: --bootstrap-server and --topic are required\n',
    );
    return 1;
  }
  if (options.offset !== undefined && options.partition === undefined) {
    process.stderr.write('The partition is required when offset is specified.\n');
    return 1;
  }
  const topic = options.topic;
  const formatter = formatterConfig(parseKeyValues(options.property));
  const maxMessages = options.maxMessages === undefined ? Infinity : Number(options.maxMessages);
  const timeoutMs = options.timeoutMs === undefined ? Infinity : Number(options.timeoutMs);
  const client = new KafkaClient({
    bootstrapServers: options.bootstrapServer,
    clientId: 'console-consumer',
  });
  let processed = 0;
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let exitCode = 0;
  try {
    const info = await client.topic(topic);
    const partitions =
      options.partition === undefined
        ? info.partitions.map((p) => p.partition)
        : [Number(options.partition)];
    const offsetArg = (
      options.offset ?? (options.fromBeginning ? 'earliest' : 'latest')
    ).toLowerCase();
    const positions = new Map<number, bigint>();
    if (offsetArg === 'earliest' || offsetArg === 'latest') {
      const listed = await client.listOffsets(
        topic,
        partitions,
        offsetArg === 'earliest' ? OffsetSpec.EARLIEST : OffsetSpec.LATEST,
      );
      for (const [p, r] of listed) positions.set(p, r.offset);
    } else {
      const value = BigInt(offsetArg);
      if (value < 0n) {
        // Kafka: a negative offset counts back from the end.
        const latest = await client.listOffsets(topic, partitions, OffsetSpec.LATEST);
        for (const [p, r] of latest)
          positions.set(p, r.offset + value < 0n ? 0n : r.offset + value);
      } else {
        for (const p of partitions) positions.set(p, value);
      }
    }
    let lastRecordAt = Date.now();
    while (!stopping && processed < maxMessages) {
      const remaining = timeoutMs - (Date.now() - lastRecordAt);
      if (remaining <= 0) {
        process.stderr.write(
          `ERROR Error processing message, terminating consumer process: \norg.apache.kafka.common.errors.TimeoutException\n`,
        );
        break;
      }
      const results = await client.fetch(
        partitions.map((p) => ({ topic, partition: p, offset: positions.get(p)! })),
        { maxWaitMs: Math.max(0, Math.min(500, remaining)) },
      );
      let got = false;
      for (const result of results) {
        if (result.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          const reset = await client.listOffsets(topic, [result.partition], OffsetSpec.EARLIEST);
          positions.set(result.partition, reset.get(result.partition)!.offset);
          continue;
        }
        if (result.errorCode !== ErrorCode.NONE) {
          throwIfError(result.errorCode, null, `${topic}-${result.partition}`);
        }
        if (!result.records || result.records.length === 0) continue;
        let position = positions.get(result.partition)!;
        for (const batch of scanBatches(result.records).batches) {
          if (batch.nextOffset <= position) continue;
          if (!batch.isControl) {
            for (const record of await batch.decodeRecords()) {
              if (record.offset < position) continue;
              if (processed >= maxMessages) break;
              await writeOut(
                formatRecord(record, result.partition, batch.timestampType, formatter),
              );
              processed++;
              got = true;
            }
            if (processed >= maxMessages) {
              break;
            }
          }
          position = batch.nextOffset;
        }
        positions.set(result.partition, position);
        if (processed >= maxMessages) break;
      }
      if (got) lastRecordAt = Date.now();
    }
  } catch (err) {
    process.stderr.write(
      `ERROR Error processing message, terminating consumer process: ${describeError(err)}\n`,
    );
    exitCode = 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await client.close();
  }
  process.stderr.write(`Processed a total of ${processed} messages\n`);
  return exitCode;
}

const program = new Command('kafka-console-consumer')
  .description('Consumes messages from a topic and writes them to standard output.')
  .option('--bootstrap-server <server>', 'REQUIRED: The server(s) to connect to.')
  .option('--topic <topic>', 'The topic to consume on.')
  .option(
    '--from-beginning',
    'Start with the earliest message present in the log rather than the latest message.',
  )
  .option('--partition <n>', 'The partition to consume from (all partitions when not given).')
  .option(
    '--offset <offset>',
    "The offset to consume from (a non-negative number, or 'earliest' / 'latest'); needs --partition.",
  )
  .option('--max-messages <n>', 'The maximum number of messages to consume before exiting.')
  .option(
    '--timeout-ms <ms>',
    'Exit if no message is available for consumption for the specified interval.',
  )
  .option(
    '--property <prop>',
    'Properties of the message formatter (print.key, print.headers, print.offset, print.partition, print.timestamp, print.value, key.separator, line.separator, headers.separator, null.literal).',
    collect,
    [],
  )
  .option('--formatter-property <prop>', 'Alias of --property.', collect, [])
  .option(
    '--consumer-property <prop>',
    'Consumer properties (ignored apart from validation).',
    collect,
    [],
  )
  .option('--skip-message-on-error', 'Skip messages that cannot be printed.')
  .action(async (options: ConsumerOptions & { formatterProperty: string[] }) => {
    options.property = [...options.property, ...options.formatterProperty];
    process.exitCode = await run(options);
  });

process.exitCode = await runProgram(program, process.argv.slice(2));

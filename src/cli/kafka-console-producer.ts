/** `bin/kafka-console-producer`: reads lines from stdin and produces them (Kafka's LineMessageReader). */
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { KafkaClient } from '../client/kafka-client.js';
import {
  collect,
  describeError,
  parseKeyValues,
  partitionForKey,
  runProgram,
  unescape,
} from '../client/tool-support.js';
import {
  CompressionType,
  type CompressionTypeId,
} from '../protocol/compression/compression-type.js';
import {
  buildRecordBatch,
  type RecordHeader,
  type RecordInput,
} from '../protocol/records/index.js';

interface ProducerOptions {
  bootstrapServer?: string;
  brokerList?: string;
  topic?: string;
  property: string[];
  producerProperty: string[];
  compressionCodec?: string | boolean;
  requestRequiredAcks?: string;
  batchSize?: string;
  sync?: boolean;
}

export interface LineReaderConfig {
  parseKey: boolean;
  keySeparator: string;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: string;
  headersKeySeparator: string;
  ignoreError: boolean;
  nullMarker: string | undefined;
}

export interface ParsedLine {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

function lineReaderConfig(props: Map<string, string>): LineReaderConfig {
  const bool = (k: string): boolean => (props.get(k) ?? 'false').trim().toLowerCase() === 'true';
  const config: LineReaderConfig = {
    parseKey: bool('parse.key'),
    keySeparator: unescape(props.get('key.separator') ?? '\t'),
    parseHeaders: bool('parse.headers'),
    headersDelimiter: unescape(props.get('headers.delimiter') ?? '\t'),
    headersSeparator: unescape(props.get('headers.separator') ?? ','),
    headersKeySeparator: unescape(props.get('headers.key.separator') ?? ':'),
    ignoreError: bool('ignore.error'),
    nullMarker: props.get('null.marker'),
  };
  if (config.parseHeaders && config.headersDelimiter === config.headersSeparator) {
    throw new Error('headers.delimiter and headers.separator may not be equal');
  }
  if (config.parseHeaders && config.headersDelimiter === config.headersKeySeparator) {
    throw new Error('headers.delimiter and headers.key.separator may not be equal');
  }
  if (config.nullMarker !== undefined && config.nullMarker === '') {
    throw new Error('null.marker may not be empty');
  }
  return config;
}

function toBytes(text: string, config: LineReaderConfig): Buffer | null {
  return config.nullMarker !== undefined && text === config.nullMarker
    ? null
    : Buffer.from(text, 'utf8');
}

/** Splits one input line as Kafka's LineMessageReader does: [headers<delim>][key<sep>]value. */
export function parseLine(line: string, lineNumber: number, config: LineReaderConfig): ParsedLine {
  let rest = line;
  const headers: RecordHeader[] = [];
  if (config.parseHeaders) {
    const idx = rest.indexOf(config.headersDelimiter);
    if (idx < 0) {
      if (!config.ignoreError)
        throw new Error(`No headers delimiter found on line number ${lineNumber}: '${line}'`);
    } else {
      const headerText = rest.slice(0, idx);
      rest = rest.slice(idx + config.headersDelimiter.length);
      if (headerText !== '') {
        for (const pair of headerText.split(config.headersSeparator)) {
          const k = pair.indexOf(config.headersKeySeparator);
          const hk = k < 0 ? pair : pair.slice(0, k);
          if (config.nullMarker !== undefined && hk === config.nullMarker) {
            throw new Error(
              `Header keys should not be equal to the null marker '${config.nullMarker}' as they can't be null`,
            );
          }
          const hv =
            k < 0 ? null : toBytes(pair.slice(k + config.headersKeySeparator.length), config);
          headers.push({ key: hk, value: hv });
        }
      }
    }
  }
  let key: Buffer | null = null;
  if (config.parseKey) {
    const idx = rest.indexOf(config.keySeparator);
    if (idx < 0) {
      if (!config.ignoreError)
        throw new Error(`No key separator found on line number ${lineNumber}: '${line}'`);
    } else {
      key = toBytes(rest.slice(0, idx), config);
      rest = rest.slice(idx + config.keySeparator.length);
    }
  }
  return { key, value: toBytes(rest, config), headers };
}

const CODECS: Record<string, CompressionTypeId> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

async function run(options: ProducerOptions): Promise<number> {
  const bootstrap = options.bootstrapServer ?? options.brokerList;
  if (!bootstrap || !options.topic) {
    process.stderr.write(
      'Missing required argument: --bootstrap-server and --topic are required\n',
    );
    return 1;
  }
  const topic = options.topic;
  const props = parseKeyValues(options.property);
  const producerProps = parseKeyValues(options.producerProperty);
  const config = lineReaderConfig(props);
  const acks = Number(producerProps.get('acks') ?? options.requestRequiredAcks ?? '-1');
  const codecName =
    options.compressionCodec === true
      ? 'gzip'
      : options.compressionCodec || producerProps.get('compression.type') || 'none';
  const compression = CODECS[codecName];
  if (compression === undefined) throw new Error(`Unknown compression codec ${codecName}`);
  const maxBatchRecords = options.sync ? 1 : Number(options.batchSize ?? 200);
  const batchBytesLimit = Number(producerProps.get('batch.size') ?? 16384);
  const client = new KafkaClient({ bootstrapServers: bootstrap, clientId: 'console-producer' });
  try {
    const info = await client.topic(topic, false, true);
    const numPartitions = info.partitions.length;
    let stickyPartition = Math.floor(Math.random() * numPartitions);
    const pending = new Map<number, { records: RecordInput[]; bytes: number }>();
    const inflight = new Set<Promise<unknown>>();
    const chains = new Map<number, Promise<unknown>>();
    let failure: unknown = null;

    const flush = (partition: number): void => {
      const entry = pending.get(partition);
      if (!entry || entry.records.length === 0) return;
      pending.delete(partition);
      // Batches of one partition go out one after another, so they land in input order.
      const previous = chains.get(partition) ?? Promise.resolve();
      const p = previous
        .then(() => buildRecordBatch({ records: entry.records, compression }))
        .then((batch) => client.produce(topic, partition, batch, acks))
        .catch((err: unknown) => {
          failure ??= err;
        });
      chains.set(partition, p);
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    };

    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
    let lineNumber = 0;
    for await (const line of rl) {
      lineNumber++;
      const parsed = parseLine(line, lineNumber, config);
      const partition = parsed.key ? partitionForKey(parsed.key, numPartitions) : stickyPartition;
      const entry = pending.get(partition) ?? { records: [], bytes: 0 };
      entry.records.push({
        key: parsed.key,
        value: parsed.value,
        headers: parsed.headers,
        timestamp: BigInt(Date.now()),
      });
      entry.bytes += (parsed.key?.length ?? 0) + (parsed.value?.length ?? 0) + 16;
      pending.set(partition, entry);
      if (entry.records.length >= maxBatchRecords || entry.bytes >= batchBytesLimit) {
        flush(partition);
        if (!parsed.key) stickyPartition = (stickyPartition + 1) % numPartitions;
      }
      if (failure) break;
    }
    for (const partition of [...pending.keys()]) flush(partition);
    while (inflight.size > 0) await Promise.all([...inflight]);
    if (failure) throw failure;
    return 0;
  } catch (err) {
    process.stderr.write(
      `ERROR Error when sending message to topic ${topic}: ${describeError(err)}\n`,
    );
    return 1;
  } finally {
    await client.close();
  }
}

const program = new Command('kafka-console-producer')
  .description('Reads data from standard input and publishes it to Kafka.')
  .option(
    '--bootstrap-server <server>',
    'REQUIRED: The server(s) to connect to (host:port[,host:port]).',
  )
  .option('--broker-list <servers>', 'DEPRECATED, use --bootstrap-server instead.')
  .option('--topic <topic>', 'REQUIRED: The topic id to produce messages to.')
  .option(
    '--property <prop>',
    'Properties of the message reader (parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, ignore.error, null.marker).',
    collect,
    [],
  )
  .option(
    '--producer-property <prop>',
    'A producer property (e.g. acks=1, compression.type=gzip).',
    collect,
    [],
  )
  .option(
    '--compression-codec [codec]',
    "The compression codec: 'none', 'gzip', 'snappy', 'lz4', or 'zstd' (gzip when given without a value).",
  )
  .option('--request-required-acks <acks>', 'The required acks of the producer requests.')
  .option('--batch-size <n>', 'Number of messages to send in a single batch.')
  .option(
    '--sync',
    'If set message send requests to the brokers are synchronously, one at a time as they arrive.',
  )
  .option('--producer.config <file>', 'Producer config properties file (ignored).')
  .action(async (options: ProducerOptions) => {
    process.exitCode = await run(options);
  });

process.exitCode = await runProgram(program, process.argv.slice(2));

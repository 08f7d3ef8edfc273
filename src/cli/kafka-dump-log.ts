/** `bin/kafka-dump-log`: Kafka's DumpLogSegments for .log, .index and .timeindex files. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command } from 'commander';
import { runProgram } from '../client/tool-support.js';
import {
  compressionName,
  type CompressionTypeId,
} from '../protocol/compression/compression-type.js';
import { scanBatches, TimestampType, type RecordBatch } from '../protocol/records/index.js';

interface DumpOptions {
  files?: string;
  printDataLog?: boolean;
  deepIteration?: boolean;
  maxBytes?: string;
  skipRecordMetadata?: boolean;
}

const out: string[] = [];
function println(line: string): void {
  out.push(`${line}\n`);
  if (out.length >= 1000) process.stdout.write(out.splice(0).join(''));
}

function timestampTypeName(t: number): string {
  return t === TimestampType.LogAppendTime ? 'LogAppendTime' : 'CreateTime';
}

function baseOffsetOf(file: string): bigint {
  return BigInt(basename(file).split('.')[0]);
}

function batchLine(batch: RecordBatch, position: number): string {
  const horizon = batch.deleteHorizonMs;
  return (
    `baseOffset: ${batch.baseOffset} lastOffset: ${batch.lastOffset} count: ${batch.recordCount}` +
    ` baseSequence: ${batch.baseSequence} lastSequence: ${batch.lastSequence}` +
    ` producerId: ${batch.producerId} producerEpoch: ${batch.producerEpoch}` +
    ` partitionLeaderEpoch: ${batch.partitionLeaderEpoch} isTransactional: ${batch.isTransactional}` +
    ` isControl: ${batch.isControl} deleteHorizonMs: ${horizon === null ? 'OptionalLong.empty' : `OptionalLong[${horizon}]`}` +
    ` position: ${position} ${timestampTypeName(batch.timestampType)}: ${batch.maxTimestamp}` +
    ` size: ${batch.sizeInBytes} magic: ${batch.magic}` +
    ` compresscodec: ${compressionName(batch.compression as CompressionTypeId)} crc: ${batch.crc >>> 0} isvalid: ${batch.isValid()}`
  );
}

async function dumpLog(file: string, options: DumpOptions): Promise<void> {
  println(`Log starting offset: ${baseOffsetOf(file)}`);
  const data = await readFile(file);
  const maxBytes =
    options.maxBytes === undefined ? data.length : Math.min(data.length, Number(options.maxBytes));
  const { batches } = scanBatches(data, { end: maxBytes });
  const deep = options.printDataLog === true || options.deepIteration === true;
  let validBytes = 0;
  for (const batch of batches) {
    println(batchLine(batch, batch.position));
    if (deep) {
      for (const record of await batch.decodeRecords()) {
        let line = '|';
        let prefix = ' ';
        if (!options.skipRecordMetadata) {
          const sequence = batch.baseSequence < 0 ? -1 : batch.baseSequence + record.offsetDelta;
          line +=
            ` offset: ${record.offset} ${timestampTypeName(batch.timestampType)}: ${record.timestamp}` +
            ` keySize: ${record.key === null ? -1 : record.key.length} valueSize: ${record.value === null ? -1 : record.value.length}` +
            ` sequence: ${sequence} headerKeys: [${record.headers.map((h) => h.key).join(', ')}]`;
          if (batch.isControl && record.key && record.key.length >= 4) {
            const type = record.key.readInt16BE(2);
            if ((type === 0 || type === 1) && record.value && record.value.length >= 6) {
              line += ` endTxnMarker: ${type === 0 ? 'ABORT' : 'COMMIT'} coordinatorEpoch: ${record.value.readInt32BE(2)}`;
            } else {
              line += ` controlType: ${type}`;
            }
          }
        }
        if (options.printDataLog && !batch.isControl) {
          if (record.key !== null) {
            line += `${prefix}key: ${record.key.toString('utf8')}`;
            prefix = ' ';
          }
          if (record.value !== null) line += `${prefix}payload: ${record.value.toString('utf8')}`;
        }
        println(line);
      }
    }
    validBytes = batch.position + batch.sizeInBytes;
  }
  const trailing = data.length - validBytes;
  if (trailing > 0 && options.maxBytes === undefined) {
    println(`Found ${trailing} invalid bytes at the end of ${basename(file)}`);
  }
}

async function dumpIndex(file: string): Promise<void> {
  const base = baseOffsetOf(file);
  const data = await readFile(file);
  const entries = Math.floor(data.length / 8);
  if (entries === 0) {
    println(`${file} is empty.`);
    return;
  }
  for (let i = 0; i < entries; i++) {
    const offset = base + BigInt(data.readInt32BE(i * 8));
    const position = data.readInt32BE(i * 8 + 4);
    if (offset === base && i > 0) return;
    println(`offset: ${offset} position: ${position}`);
  }
}

async function dumpTimeIndex(file: string): Promise<void> {
  const base = baseOffsetOf(file);
  const data = await readFile(file);
  const entries = Math.floor(data.length / 12);
  for (let i = 0; i < entries; i++) {
    const timestamp = data.readBigInt64BE(i * 12);
    const offset = base + BigInt(data.readInt32BE(i * 12 + 8));
    if (offset === base && i > 0) return;
    println(`timestamp: ${timestamp} offset: ${offset}`);
  }
}

async function run(options: DumpOptions): Promise<number> {
  if (!options.files) {
    process.stderr.write('Missing required argument "[files]"\n');
    return 1;
  }
  for (const file of options.files
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)) {
    println(`Dumping ${file}`);
    const suffix = file.slice(file.lastIndexOf('.'));
    switch (suffix) {
      case '.log':
        await dumpLog(file, options);
        break;
      case '.index':
        await dumpIndex(file);
        break;
      case '.timeindex':
        await dumpTimeIndex(file);
        break;
      default:
        process.stdout.write(out.splice(0).join(''));
        process.stderr.write(`Ignoring unknown file ${file}\n`);
    }
    process.stdout.write(out.splice(0).join(''));
  }
  return 0;
}

const program = new Command('kafka-dump-log')
  .description(
    'This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly corrupt log segment.',
  )
  .option(
    '--files <files>',
    'REQUIRED: The comma separated list of data and index log files to be dumped.',
  )
  .option(
    '--print-data-log',
    'If set, printing the messages content when dumping data logs. Automatically set if any decoder option is specified.',
  )
  .option(
    '--deep-iteration',
    'If set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled.',
  )
  .option(
    '--max-bytes <size>',
    'Limit the amount of total batches read in bytes avoiding reading the whole .log file(s).',
  )
  .option('--skip-record-metadata', 'Whether to skip printing metadata for each record.')
  .action(async (options: DumpOptions) => {
    process.exitCode = await run(options);
  });

process.exitCode = await runProgram(program, process.argv.slice(2));

/** Shared plumbing for the Kafka command-line tools built on the client. */
import { Command, CommanderError } from 'commander';
import { KafkaError } from '../protocol/errors.js';

/** Commander collector for repeatable options (`--property a=b --property c=d`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * `k=v` pairs (each argument may also hold several, comma- or space-free) into a map; the
 * first '=' splits key from value, as Kafka's CommandLineUtils.parseKeyValueArgs does.
 */
export function parseKeyValues(args: readonly string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of args ?? []) {
    const idx = arg.indexOf('=');
    if (idx <= 0) throw new Error(`Invalid command line properties: ${arg} (expected key=value)`);
    out.set(arg.slice(0, idx), arg.slice(idx + 1));
  }
  return out;
}

/** Unescapes Java-style \t \n \r \\ in separators given on the command line. */
export function unescape(value: string): string {
  return value.replace(/\\([tnr\\])/g, (_m, c: string) =>
    c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\',
  );
}

export function describeError(err: unknown): string {
  if (err instanceof KafkaError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** A closed pipe (`| head`) ends the tool quietly, as Kafka's tools do. */
export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/** Parses and runs a commander program; returns the exit code. */
export async function runProgram(program: Command, args: readonly string[]): Promise<number> {
  program.exitOverride();
  exitQuietlyOnClosedPipe();
  try {
    await program.parseAsync([...args], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`Error: ${describeError(err)}\n`);
    return 1;
  }
}

/** Kafka's murmur2 (as its default partitioner uses), positive-masked. */
export function murmur2(data: Buffer): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (seed ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k =
      (data[i4] & 0xff) |
      ((data[i4 + 1] & 0xff) << 8) |
      ((data[i4 + 2] & 0xff) << 16) |
      ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= (data[base + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base] & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** Kafka's `Utils.toPositive(murmur2(key)) % numPartitions`. */
export function partitionForKey(key: Buffer, numPartitions: number): number {
  return (murmur2(key) & 0x7fffffff) % numPartitions;
}

/**
 * Compression and CRC-32C throughput, one JSON line per result.
 *
 * Every figure is paired with a raw baseline measured in the same run (Buffer.copy of the
 * same number of bytes), so `ratioToBaseline` stays comparable across noisy machines.
 * MB = 10^6 bytes. Codecs are timed one call at a time (await each), as the broker handles
 * one batch per call. Total runtime is about 15 s.
 *
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/compression/run.js
 */
import {
  compress,
  compressionName,
  CompressionType,
  decompress,
  type CompressionTypeId,
} from '../../src/protocol/compression/index.js';
import { crc32c } from '../../src/protocol/crc32c.js';

const PAYLOAD_BYTES = 1024 * 1024;
const TRIALS = 3;
const TRIAL_MS = 300;

/** A deterministic PRNG (xorshift32) so every run compresses the same bytes. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

/** JSON lines shaped like application events: repeated keys, varied values, some random ids. */
function recordLikePayload(size: number): Buffer {
  const random = seededRandom(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const events = ['page_view', 'click', 'add_to_cart', 'checkout', 'login', 'search'] as const;
  const agents = [
    'Mozilla/5.0 (X11; Linux x86_64)',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4)',
    'okhttp/4.12.0',
  ];
  const lines: string[] = [];
  let length = 0;
  let timestamp = 1_700_000_000_000;
  while (length < size) {
    timestamp += Math.floor(random() * 50);
    const line =
      JSON.stringify({
        ts: timestamp,
        user: `user-${Math.floor(random() * 10_000)}`,
        session: Math.floor(random() * 0xffffffff)
          .toString(16)
          .padStart(8, '0'),
        event: pick(events),
        path: `/products/${Math.floor(random() * 5000)}`,
        ua: pick(agents),
        latencyMs: Math.floor(random() * 400),
        ok: random() > 0.02,
      }) + '\n';
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

interface Throughput {
  mbPerSec: number;
  iterations: number;
}

/** Median over trials of bytes processed per second, each trial running for TRIAL_MS. */
async function measure(
  bytesPerCall: number,
  callsPerStep: number,
  step: () => unknown,
): Promise<Throughput> {
  await step(); // warm-up
  const rates: number[] = [];
  let iterations = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsedNs: bigint;
    do {
      await step();
      calls += callsPerStep;
      elapsedNs = process.hrtime.bigint() - start;
    } while (elapsedNs < BigInt(TRIAL_MS) * 1_000_000n);
    rates.push((calls * bytesPerCall) / (Number(elapsedNs) / 1e9) / 1e6);
    iterations += calls;
  }
  rates.sort((a, b) => a - b);
  return { mbPerSec: rates[Math.floor(rates.length / 2)]!, iterations };
}

/** The raw limit: copying the same bytes once. */
async function copyBaseline(bytes: number, callsPerStep: number): Promise<number> {
  const source = recordLikePayload(bytes);
  const target = Buffer.allocUnsafe(bytes);
  const result = await measure(bytes, callsPerStep, () => {
    for (let i = 0; i < callsPerStep; i++) source.copy(target, 0);
  });
  return result.mbPerSec;
}

// Slicing-by-8 CRC-32C (reflected polynomial 0x82F63B78): the pure-JS alternative, since the
// `crc-32` package is not installed. Eight 256-entry tables, eight input bytes per step.
const CASTAGNOLI_REFLECTED = 0x82f63b78;
const crcTables: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REFLECTED : c >>> 1;
    tables[0]![n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++)
      tables[t]![n] = (tables[t - 1]![n]! >>> 8) ^ tables[0]![tables[t - 1]![n]! & 0xff]!;
  }
  return tables;
})();

function crc32cPureJs(data: Uint8Array, initial = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = crcTables as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let crc = ~initial >>> 0;
  let i = 0;
  const fastEnd = data.length - (data.length % 8);
  for (; i < fastEnd; i += 8) {
    const low =
      (crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    crc =
      t7[low & 0xff]! ^
      t6[(low >>> 8) & 0xff]! ^
      t5[(low >>> 16) & 0xff]! ^
      t4[low >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < data.length; i++) crc = t0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

function emit(result: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ bench: 'compression', ...result }) + '\n');
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const payload = recordLikePayload(PAYLOAD_BYTES);
  const baseline = await copyBaseline(PAYLOAD_BYTES, 1);
  emit({ name: 'baseline.copy', bytes: PAYLOAD_BYTES, mbPerSec: round(baseline) });

  const codecs: CompressionTypeId[] = [
    CompressionType.Gzip,
    CompressionType.Snappy,
    CompressionType.Lz4,
    CompressionType.Zstd,
  ];
  for (const codec of codecs) {
    const codecName = compressionName(codec);
    const compressed = await compress(codec, payload);
    const roundTrip = await decompress(codec, compressed);
    if (!roundTrip.equals(payload)) throw new Error(`${codecName} round trip mismatch`);
    const common = {
      codec: codecName,
      bytes: PAYLOAD_BYTES,
      compressedBytes: compressed.length,
      compressionRatio: round(PAYLOAD_BYTES / compressed.length, 2),
      baselineMbPerSec: round(baseline),
    };
    const compressRate = await measure(PAYLOAD_BYTES, 1, () => compress(codec, payload));
    emit({
      name: `${codecName}.compress`,
      op: 'compress',
      ...common,
      mbPerSec: round(compressRate.mbPerSec),
      ratioToBaseline: round(compressRate.mbPerSec / baseline, 4),
      iterations: compressRate.iterations,
    });
    const decompressRate = await measure(PAYLOAD_BYTES, 1, () => decompress(codec, compressed));
    emit({
      name: `${codecName}.decompress`,
      op: 'decompress',
      ...common,
      mbPerSec: round(decompressRate.mbPerSec),
      ratioToBaseline: round(decompressRate.mbPerSec / baseline, 4),
      iterations: decompressRate.iterations,
    });
  }

  for (const size of [256, PAYLOAD_BYTES]) {
    const data = payload.subarray(0, size);
    if (crc32c(data) !== crc32cPureJs(data))
      throw new Error(`CRC-32C implementations disagree at ${size} bytes`);
    // Small inputs run many calls per timing step so timer overhead does not dominate.
    const callsPerStep = size < 4096 ? 4096 : 1;
    const sizeBaseline = await copyBaseline(size, callsPerStep);
    // Each step returns its folded checksums, so the timed loops have an observable result.
    const native = await measure(size, callsPerStep, () => {
      let folded = 0;
      for (let i = 0; i < callsPerStep; i++) folded ^= crc32c(data);
      return folded;
    });
    const pureJs = await measure(size, callsPerStep, () => {
      let folded = 0;
      for (let i = 0; i < callsPerStep; i++) folded ^= crc32cPureJs(data);
      return folded;
    });
    const common = { op: 'crc32c', bytes: size, baselineMbPerSec: round(sizeBaseline) };
    emit({
      name: `crc32c.native.${size}`,
      implementation: '@node-rs/crc32',
      ...common,
      mbPerSec: round(native.mbPerSec),
      ratioToBaseline: round(native.mbPerSec / sizeBaseline, 4),
      speedupOverPureJs: round(native.mbPerSec / pureJs.mbPerSec, 2),
    });
    emit({
      name: `crc32c.purejs.${size}`,
      implementation: 'slicing-by-8 (bench-local)',
      ...common,
      mbPerSec: round(pureJs.mbPerSec),
      ratioToBaseline: round(pureJs.mbPerSec / sizeBaseline, 4),
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

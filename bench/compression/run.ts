/**
 * Compression throughput, one JSON line per result (CRC-32C is measured in bench/protocol).
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
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

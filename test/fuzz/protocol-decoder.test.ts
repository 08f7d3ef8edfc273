import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  type ApiKeyNumber,
  type DecodedRequest,
} from '../../src/protocol/api.js';
import {
  CompressionError,
  CompressionType,
  type CompressionTypeId,
} from '../../src/protocol/compression/index.js';
import { apiSpecs } from '../../src/protocol/messages/generated/index.js';
import type { ProduceRequest } from '../../src/protocol/messages/generated/produce-request.js';
import { DecodeError } from '../../src/protocol/primitives/decode-error.js';
import { buildRecordBatch, readBatches } from '../../src/protocol/records/index.js';
import { messageArbitrary } from '../harness/message-arbitrary.js';

/**
 * "Mutated frames never crash or hang the decoder": valid request frames (generated from
 * the message declarations, Produce requests with real record batches, and the real-client
 * golden frames when present) are corrupted by random byte-level mutations and decoded.
 * A decode may succeed or fail with a DecodeError; anything else (TypeError, a Node buffer
 * RangeError, a decode slower than DECODE_LIMIT_MS, an array sized from a hostile count) is
 * a decoder bug. A decode that never returns would stall the run rather than fail it: the
 * decoders' loops all consume input, and the time bound catches super-linear paths first.
 */

/**
 * Decoding a frame of a few KiB takes microseconds (about 10 ms at worst when it first
 * compiles a codec, or inflates a batch on the libuv threadpool); far beyond noise, and
 * far below what a super-linear path on hostile input would take.
 */
const DECODE_LIMIT_MS = 200;

// Runs chosen to keep the file at about 10-15 s on a 2-core machine. On a slower or busier
// one, each property stops early after PROPERTY_TIME_LIMIT_MS (not a failure), so the file
// stays within its time budget instead of timing out.
const GENERATED_RUNS = 60_000;
const PRODUCE_WITH_RECORDS_RUNS = 40_000;
const GOLDEN_RUNS_PER_FRAME = 200;
const GOLDEN_MAX_RUNS = 20_000;
const PROPERTY_TIME_LIMIT_MS = 8_000;
const TEST_TIMEOUT_MS = 60_000;

/** The APIs every client sends; they get most of the runs. */
const FOCUS_API_KEYS = [0, 1, 3, 8, 11, 14, 18, 19];
const OTHER_API_KEYS = [...apiSpecs.keys()].filter((key) => !FOCUS_API_KEYS.includes(key));

// ---- mutations ----------------------------------------------------------------------

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'extreme-int'; at: number; width: 2 | 4; value: number }
  | { kind: 'ff-run'; at: number; count: number };

/** Values that break naive length and count handling: null markers, max, min, unsigned max. */
const EXTREME_INT16 = [-1, 0, 0x7fff, -0x8000, 0xffff];
const EXTREME_INT32 = [-1, 0, 0x7fffffff, -0x80000000, 0xffff, 0x10000];

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 8 }),
  }),
  fc.oneof(
    fc.record({
      kind: fc.constant('extreme-int' as const),
      at: fc.nat(),
      width: fc.constant(2 as const),
      value: fc.constantFrom(...EXTREME_INT16),
    }),
    fc.record({
      kind: fc.constant('extreme-int' as const),
      at: fc.nat(),
      width: fc.constant(4 as const),
      value: fc.constantFrom(...EXTREME_INT32),
    }),
  ),
  // Runs of 0xff are unterminated varints and huge compact lengths.
  fc.record({
    kind: fc.constant('ff-run' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 10 }),
  }),
);

const mutationsArbitrary = fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 });

/** Applies one mutation to a copy; positions wrap modulo the current length so every one lands. */
function mutate(frame: Buffer, mutation: Mutation): Buffer {
  const length = frame.length;
  const at = length === 0 ? 0 : mutation.at % length;
  switch (mutation.kind) {
    case 'flip': {
      if (length === 0) return frame;
      const out = Buffer.from(frame);
      out[at] ^= mutation.mask;
      return out;
    }
    case 'truncate':
      return Buffer.from(frame.subarray(0, mutation.at % (length + 1)));
    case 'insert':
      return Buffer.concat([frame.subarray(0, at), mutation.bytes, frame.subarray(at)]);
    case 'delete':
      return Buffer.concat([frame.subarray(0, at), frame.subarray(at + mutation.count)]);
    case 'extreme-int': {
      if (length < mutation.width) return frame;
      const out = Buffer.from(frame);
      const position = Math.min(at, length - mutation.width);
      if (mutation.width === 2) out.writeUInt16BE(mutation.value & 0xffff, position);
      else out.writeUInt32BE(mutation.value >>> 0, position);
      return out;
    }
    case 'ff-run': {
      const out = Buffer.from(frame);
      out.fill(0xff, at, Math.min(length, at + mutation.count));
      return out;
    }
  }
}

const applyAll = (frame: Buffer, mutations: Mutation[]): Buffer => mutations.reduce(mutate, frame);

// ---- the checks ---------------------------------------------------------------------

/**
 * The failures a request decode may legitimately end in. RangeError only in the two forms
 * decodeRequest documents (unknown API key, unknown version): Node's own buffer RangeErrors
 * (ERR_OUT_OF_RANGE, with a `code`) mean a read escaped the bounds checks.
 */
function isCleanDecodeFailure(error: unknown): boolean {
  if (error instanceof DecodeError) return true;
  return (
    error instanceof RangeError &&
    !('code' in error) &&
    /^unknown api key|has no version/.test(error.message)
  );
}

/** Record decoding may also fail in a codec, which must surface as CompressionError. */
function isCleanRecordFailure(error: unknown): boolean {
  return error instanceof DecodeError || error instanceof CompressionError;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error);
}

/** The longest array anywhere in a decoded value (buffers are slices, not walked). */
function longestArray(value: unknown): number {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return 0;
  let longest = 0;
  if (Array.isArray(value)) {
    longest = value.length;
    for (const item of value) longest = Math.max(longest, longestArray(item));
  } else {
    for (const item of Object.values(value)) longest = Math.max(longest, longestArray(item));
  }
  return longest;
}

/**
 * Decodes a (possibly corrupt) request frame and checks the decoder's contract. Returns the
 * decoded request, or null when it was rejected cleanly.
 */
function decodeRequestChecked(frame: Buffer): DecodedRequest | null {
  const start = performance.now();
  let decoded: DecodedRequest | null = null;
  try {
    decoded = decodeRequest(frame);
  } catch (error) {
    if (!isCleanDecodeFailure(error)) {
      throw new Error(
        `decodeRequest threw a non-DecodeError for frame ${frame.toString('hex')}: ${describeError(error)}`,
        { cause: error },
      );
    }
  }
  const elapsed = performance.now() - start;
  expect(elapsed, `decodeRequest took ${elapsed.toFixed(1)} ms`).toBeLessThan(DECODE_LIMIT_MS);
  if (decoded !== null) {
    // Counts are checked against the bytes left, so no array can outgrow the frame.
    expect(longestArray(decoded)).toBeLessThanOrEqual(frame.length);
  }
  return decoded;
}

/** Same contract for a response frame whose API and version the caller knows. */
function decodeResponseChecked(apiKey: number, apiVersion: number, frame: Buffer): void {
  const start = performance.now();
  try {
    const decoded = decodeResponse(apiKey as ApiKeyNumber, apiVersion, frame);
    expect(longestArray(decoded)).toBeLessThanOrEqual(frame.length);
  } catch (error) {
    if (!isCleanDecodeFailure(error)) {
      throw new Error(
        `decodeResponse(${apiKey}, v${apiVersion}) threw a non-DecodeError for frame ${frame.toString('hex')}: ${describeError(error)}`,
        { cause: error },
      );
    }
  }
  const elapsed = performance.now() - start;
  expect(elapsed, `decodeResponse took ${elapsed.toFixed(1)} ms`).toBeLessThan(DECODE_LIMIT_MS);
}

/**
 * Runs one record-level step on possibly corrupt bytes: returns its result, or null when it
 * failed cleanly (DecodeError family or CompressionError).
 */
async function recordStep<T>(
  what: string,
  bytes: Buffer,
  step: () => T | Promise<T>,
): Promise<T | null> {
  try {
    return await step();
  } catch (error) {
    if (isCleanRecordFailure(error)) return null;
    throw new Error(
      `${what} threw a non-DecodeError/CompressionError for records ${bytes.toString('hex')}: ${describeError(error)}`,
      { cause: error },
    );
  }
}

/** Frames every record batch of a decoded Produce request, then verifies and decodes its records. */
async function decodeProducedRecordsChecked(request: DecodedRequest): Promise<void> {
  if (request.apiKey !== 0) return;
  const body = request.body as ProduceRequest;
  for (const topic of body.topicData) {
    for (const partition of topic.partitionData) {
      const bytes = partition.records;
      if (bytes === null) continue;
      const start = performance.now();
      const batches = await recordStep('readBatches', bytes, () => readBatches(bytes));
      for (const batch of batches ?? []) {
        await recordStep('RecordBatch.verify', bytes, () => batch.verify());
        // Decode even when verification failed: the CRC must not be the only line of defence.
        const records = await recordStep('RecordBatch.decodeRecords', bytes, () =>
          batch.decodeRecords(),
        );
        if (records !== null) expect(records.length).toBe(batch.recordCount);
      }
      const elapsed = performance.now() - start;
      expect(elapsed, `record decoding took ${elapsed.toFixed(1)} ms`).toBeLessThan(
        DECODE_LIMIT_MS,
      );
    }
  }
}

// ---- seed frames --------------------------------------------------------------------

/** decodeRequest takes a frame without the 4-byte size prefix that encodeRequest adds. */
const unprefixed = (parts: Buffer[]): Buffer => Buffer.concat(parts).subarray(4);

interface GeneratedFrame {
  apiKey: number;
  apiVersion: number;
  frame: Buffer;
}

const messageArbitraries = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

function requestArbitrary(
  apiKey: number,
  apiVersion: number,
): fc.Arbitrary<Record<string, unknown>> {
  const cacheKey = `${apiKey}/${apiVersion}`;
  let arbitrary = messageArbitraries.get(cacheKey);
  if (!arbitrary) {
    arbitrary = messageArbitrary(apiSpecs.get(apiKey)!.request, apiVersion);
    messageArbitraries.set(cacheKey, arbitrary);
  }
  return arbitrary;
}

/** A valid request frame of a random version of a random API, weighted to the common APIs. */
const generatedFrameArbitrary: fc.Arbitrary<GeneratedFrame> = fc
  .oneof(
    { arbitrary: fc.constantFrom(...FOCUS_API_KEYS), weight: 3 },
    { arbitrary: fc.constantFrom(...OTHER_API_KEYS), weight: 1 },
  )
  .chain((apiKey) => {
    const [min, max] = apiSpecs.get(apiKey)!.request.validVersions;
    return fc.tuple(fc.constant(apiKey), fc.integer({ min, max }));
  })
  .chain(([apiKey, apiVersion]) =>
    fc
      .tuple(
        requestArbitrary(apiKey, apiVersion),
        fc.integer(),
        fc.option(fc.string({ maxLength: 12 }), { nil: null }),
      )
      .map(([body, correlationId, clientId]) => ({
        apiKey,
        apiVersion,
        frame: unprefixed(
          encodeRequest(apiKey as ApiKeyNumber, apiVersion, correlationId, clientId, body as never),
        ),
      })),
  );

const CODECS: CompressionTypeId[] = [
  CompressionType.None,
  CompressionType.Gzip,
  CompressionType.Snappy,
  CompressionType.Lz4,
  CompressionType.Zstd,
];
/** Produce versions on both sides of the flexible boundary (v9). */
const PRODUCE_VERSIONS = [3, 7, 8, 9, 11];

/** Produce requests carrying real (compressed and uncompressed) batches, so mutations reach the record decoder. */
async function produceFramesWithRecords(): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  for (const compression of CODECS) {
    const batches = [
      await buildRecordBatch({
        compression,
        baseTimestamp: 1_700_000_000_000n,
        producerId: 7n,
        producerEpoch: 0,
        baseSequence: 0,
        records: [
          {
            key: Buffer.from('k1'),
            value: Buffer.from('first value'),
            headers: [{ key: 'h', value: Buffer.from('v') }],
          },
          { key: null, value: Buffer.from('second'), timestamp: 1_700_000_000_005n },
          { key: Buffer.from('k3'), value: null, headers: [{ key: 'trace', value: null }] },
          { value: Buffer.alloc(40, 0x61) },
        ],
      }),
      await buildRecordBatch({ compression, records: [{ value: Buffer.from('only') }] }),
    ];
    for (const version of PRODUCE_VERSIONS) {
      frames.push(
        unprefixed(
          encodeRequest(0, version, 42, 'fuzz-client', {
            transactionalId: null,
            acks: -1,
            timeoutMs: 1000,
            topicData: [
              {
                name: 'fuzz-topic',
                partitionData: [
                  // Two batches back to back in one partition, one alone in another.
                  { index: 0, records: Buffer.concat(batches) },
                  { index: 1, records: batches[1]! },
                ],
              },
            ],
          }),
        ),
      );
    }
  }
  return frames;
}

// ---- golden frames ------------------------------------------------------------------

interface GoldenFrame {
  file: string;
  frame: Buffer;
  /** Set when index.json says the file is a response of this API and version. */
  response?: { apiKey: number; apiVersion: number };
}

const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));

/**
 * The response entries of index.json, by relative file path. The index belongs to the
 * golden-frame producer; only `apiKey`, `apiVersion`, a file path and anything that says
 * "response" are read, and an index that cannot be read just means no response decoding.
 */
function goldenResponseEntries(): Map<string, { apiKey: number; apiVersion: number }> {
  const entries = new Map<string, { apiKey: number; apiVersion: number }>();
  const indexPath = join(GOLDEN_DIR, 'index.json');
  if (!existsSync(indexPath)) return entries;
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch {
    return entries;
  }
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const entry = node as Record<string, unknown>;
    const file = [entry.file, entry.path, entry.name].find(
      (v): v is string => typeof v === 'string' && v.endsWith('.bin'),
    );
    const isResponse = Object.values(entry).some(
      (v) => typeof v === 'string' && /^response$/i.test(v),
    );
    if (
      file !== undefined &&
      isResponse &&
      typeof entry.apiKey === 'number' &&
      typeof entry.apiVersion === 'number'
    ) {
      entries.set(file.replace(/\\/g, '/'), { apiKey: entry.apiKey, apiVersion: entry.apiVersion });
    }
    Object.values(entry).forEach(visit);
  };
  visit(index);
  return entries;
}

/** Every .bin under the golden directory, without its size prefix when it has one. */
function loadGoldenFrames(): GoldenFrame[] {
  if (!existsSync(GOLDEN_DIR)) return [];
  const responses = goldenResponseEntries();
  const files = (readdirSync(GOLDEN_DIR, { recursive: true }) as string[])
    .map((file) => file.replace(/\\/g, '/'))
    .filter((file) => file.endsWith('.bin'))
    .sort();
  return files.map((file) => {
    const bytes = readFileSync(join(GOLDEN_DIR, file));
    const prefixed = bytes.length >= 4 && bytes.readInt32BE(0) === bytes.length - 4;
    const frame = prefixed ? bytes.subarray(4) : bytes;
    const response =
      responses.get(file) ??
      [...responses].find(([path]) => file.endsWith(`/${path}`) || path.endsWith(`/${file}`))?.[1];
    return { file, frame, response };
  });
}

const goldenFrames = loadGoldenFrames();

// ---- the properties -----------------------------------------------------------------

describe('protocol decoder fuzzing', () => {
  test(
    'mutated frames of generated requests decode or fail with DecodeError, quickly',
    async () => {
      await fc.assert(
        fc.asyncProperty(generatedFrameArbitrary, mutationsArbitrary, async (seed, mutations) => {
          // The unmutated frame must decode, or the mutations would start from garbage.
          const original = decodeRequest(seed.frame);
          expect(original.apiKey).toBe(seed.apiKey);
          const decoded = decodeRequestChecked(applyAll(seed.frame, mutations));
          if (decoded !== null) await decodeProducedRecordsChecked(decoded);
        }),
        { numRuns: GENERATED_RUNS, interruptAfterTimeLimit: PROPERTY_TIME_LIMIT_MS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  describe('Produce requests with real record batches', () => {
    let seeds: Buffer[] = [];
    beforeAll(async () => {
      seeds = await produceFramesWithRecords();
    });

    test('the unmutated seeds decode down to every record', async () => {
      for (const seed of seeds) {
        const decoded = decodeRequest(seed);
        for (const partition of (decoded.body as ProduceRequest).topicData[0]!.partitionData) {
          for (const batch of readBatches(partition.records!)) {
            batch.verify();
            expect((await batch.decodeRecords()).length).toBe(batch.recordCount);
          }
        }
      }
    });

    test(
      'mutated, they fail only with DecodeError or CompressionError, in request and records',
      async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.nat().map((i) => seeds[i % seeds.length]!),
            mutationsArbitrary,
            async (seed, mutations) => {
              const decoded = decodeRequestChecked(applyAll(seed, mutations));
              if (decoded !== null) await decodeProducedRecordsChecked(decoded);
            },
          ),
          { numRuns: PRODUCE_WITH_RECORDS_RUNS, interruptAfterTimeLimit: PROPERTY_TIME_LIMIT_MS },
        );
      },
      TEST_TIMEOUT_MS,
    );
  });

  test(
    'mutated golden frames decode or fail with DecodeError, quickly',
    async () => {
      // The fixtures are committed: their absence is a failure, not a reason to skip.
      expect(goldenFrames.length).toBeGreaterThan(0);
      // The frames themselves first: whatever they hold, decoding must not crash.
      for (const golden of goldenFrames) {
        if (golden.response)
          decodeResponseChecked(golden.response.apiKey, golden.response.apiVersion, golden.frame);
        else decodeRequestChecked(golden.frame);
      }
      await fc.assert(
        fc.asyncProperty(
          fc.nat().map((i) => goldenFrames[i % goldenFrames.length]!),
          mutationsArbitrary,
          async (golden, mutations) => {
            const mutated = applyAll(golden.frame, mutations);
            const decoded = decodeRequestChecked(mutated);
            if (decoded !== null) await decodeProducedRecordsChecked(decoded);
            if (golden.response) {
              decodeResponseChecked(golden.response.apiKey, golden.response.apiVersion, mutated);
            }
          },
        ),
        {
          numRuns: Math.min(GOLDEN_MAX_RUNS, GOLDEN_RUNS_PER_FRAME * goldenFrames.length),
          interruptAfterTimeLimit: PROPERTY_TIME_LIMIT_MS,
        },
      );
    },
    TEST_TIMEOUT_MS,
  );
});

/**
 * The deterministic workload of the log crash test, shared by the child that appends
 * (test/harness/crash-appender.mjs) and the parent that checks what survived
 * (test/integration/log-crash.test.ts). Batch number `seq` of a run with `seed` always
 * has the same records, so the parent can regenerate the exact bytes the child appended.
 *
 * Plain JS with a .d.mts next to it: the child runs under plain node and imports the
 * compiled engine from dist/, while the parent is TypeScript run by vitest.
 */

/** Segment and index settings small enough that a short run rolls many segments. */
export const CRASH_LOG_CONFIG = Object.freeze({
  segmentBytes: 64 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 1024,
  retentionMs: -1,
  retentionBytes: -1,
  cleanupPolicy: Object.freeze(['delete']),
  deleteRetentionMs: 86_400_000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
  maxMessageBytes: 1024 * 1024,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  fileDeleteDelayMs: 0,
});

/** Base of the record timestamps; batch `seq` is stamped 10 ms after batch `seq - 1`. */
const BASE_TIMESTAMP = 1_700_000_000_000n;

/** A 32-bit hash of (seed, seq, salt): the PRNG state for one batch. */
function hash32(seed, seq, salt) {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(seq + 1, 0xc2b2ae35) ^ salt;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** xorshift32 stream. */
function prng(state) {
  let s = state || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/**
 * The BuildRecordBatchOptions of batch `seq`: 1-8 records, mostly small values, now and
 * then a value of 8-24 KiB so batches of very different sizes cross segment boundaries.
 * Every record's key and a header name the batch, which helps when a check fails.
 */
export function crashBatchOptions(seed, seq) {
  const next = prng(hash32(seed, seq, 0x51ed270b));
  const count = 1 + (next() % 8);
  const timestamp = BASE_TIMESTAMP + BigInt(seq) * 10n;
  const records = [];
  for (let i = 0; i < count; i++) {
    const big = next() % 40 === 0;
    const size = big ? 8192 + (next() % 16384) : 8 + (next() % 1200);
    const value = Buffer.allocUnsafe(size);
    let word = next();
    for (let j = 0; j < size; j++) {
      if ((j & 3) === 0) word = next();
      value[j] = word >>> ((j & 3) * 8);
    }
    records.push({
      key: Buffer.from(`b${seq}r${i}`),
      value,
      headers: [{ key: 'seq', value: Buffer.from(String(seq)) }],
      timestamp: timestamp + BigInt(i),
    });
  }
  return { records };
}

/**
 * Child process of the log crash test (test/integration/log-crash.test.ts): opens the
 * log after an unclean shutdown (recovering it), then appends the deterministic batches
 * of crash-workload.mjs forever, with several appends in flight so group commit batches
 * them, and flushes every few appends. The parent kills it with SIGKILL at a random moment.
 *
 * Argument: one JSON object
 *   { dir, seed, nextSeq, expectedLogEndOffset, recoveryPoint, epoch, flushEvery, maxInFlight }
 * (offsets as decimal strings). Protocol on stdout, one line each, written synchronously:
 *   R <logEndOffset>          recovered and about to append
 *   A <endOffset> <nextSeq>   every append up to endOffset (exclusive) was acknowledged
 *   F <recoveryPoint>         a flush completed: every offset below it is on disk
 *   E <message>               failure (the process then exits with code 1)
 *
 * Imports the compiled engine: run `npm run build` first.
 */
import { writeSync } from 'node:fs';
import { Log } from '../../dist/src/log/log.js';
import { buildUncompressedRecordBatch } from '../../dist/src/protocol/records/index.js';
import { CRASH_LOG_CONFIG, crashBatchOptions } from './crash-workload.mjs';

const line = (text) => writeSync(1, `${text}\n`);

function fail(err) {
  line(`E ${String(err?.stack ?? err).replace(/\n/g, ' | ')}`);
  process.exit(1);
}

process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

const args = JSON.parse(process.argv[2]);
const seed = args.seed;
const epoch = args.epoch;

const log = await Log.open({
  dir: args.dir,
  config: CRASH_LOG_CONFIG,
  hadCleanShutdown: false,
  recoveryPoint: BigInt(args.recoveryPoint),
});
if (log.logEndOffset !== BigInt(args.expectedLogEndOffset)) {
  fail(
    new Error(
      `recovered log end offset ${log.logEndOffset}, the parent verified ${args.expectedLogEndOffset}`,
    ),
  );
}
line(`R ${log.logEndOffset}`);

let seq = args.nextSeq;
let nextOffset = log.logEndOffset;
let sinceFlush = 0;
let flushing = null;
let wave = 0;

for (;;) {
  // 1..maxInFlight appends issued in one turn: the log commits them with one write.
  const size = 1 + ((Math.imul(wave++ + seq, 0x9e3779b1) >>> 0) % args.maxInFlight);
  const appends = [];
  const firstSeq = seq;
  for (let i = 0; i < size; i++) {
    const batch = buildUncompressedRecordBatch(crashBatchOptions(seed, seq++));
    appends.push(log.appendAsLeader(batch, epoch));
  }
  // A flush requested while appends are in flight runs between group commits.
  sinceFlush += size;
  if (sinceFlush >= args.flushEvery && flushing === null) {
    sinceFlush = 0;
    flushing = log.flush().then(() => {
      line(`F ${log.recoveryPoint}`);
      flushing = null;
    });
  }
  const results = await Promise.all(appends);
  for (let i = 0; i < results.length; i++) {
    if (results[i].firstOffset !== nextOffset) {
      fail(
        new Error(
          `batch ${firstSeq + i} got offset ${results[i].firstOffset}, expected ${nextOffset}`,
        ),
      );
    }
    nextOffset = results[i].lastOffset + 1n;
  }
  line(`A ${nextOffset} ${seq}`);
  if (flushing !== null && wave % 4 === 0) await flushing;
}

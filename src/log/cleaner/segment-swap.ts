import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../atomic-file.js';
import type { LogSegment } from '../log-segment.js';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  LOG_SUFFIX,
  parseOffsetFileName,
  segmentPaths,
  SWAP_SUFFIX,
} from '../segment-files.js';

/**
 * How compacted segments replace old ones without a crash ever losing data.
 *
 *  1. The cleaner writes `<base>.log.cleaned` and its indexes (`.index.cleaned`,
 *     `.timeindex.cleaned`) and fsyncs them; `<base>` is the first replaced segment's.
 *     A crash now leaves the old segments intact; load deletes `*.cleaned`.
 *  2. Under the log's exclusive lock the cleaned files become `*.swap`: the indexes, a
 *     directory fsync, then the log file and another fsync. The log file's rename is the
 *     commit point. Index `*.swap` files without their log file are from a swap that never
 *     committed: load deletes them (the old segment's own indexes are still in place).
 *  3. The old segments' files are renamed `*.deleted` (open handles keep serving readers
 *     until file.delete.delay.ms passes), then a directory fsync, so no old segment can
 *     outlive the new one's final name; load deletes `*.deleted`.
 *  4. The swap files take their final names: indexes, fsync, log file, fsync.
 *
 * Load finishes any committed swap the same way (step 4) and then drops every old
 * segment whose base offset lies inside the swapped-in segment's offsets. Because
 * indexes always move before their log file, a `<base>.log.swap` means the `<base>`
 * index files, final or still `.swap`, are the new segment's.
 */

export type SegmentFilePaths = Pick<ReturnType<typeof segmentPaths>, 'log' | 'index' | 'timeIndex'>;

function withSuffix(paths: SegmentFilePaths, suffix: string): SegmentFilePaths {
  return {
    log: paths.log + suffix,
    index: paths.index + suffix,
    timeIndex: paths.timeIndex + suffix,
  };
}

/** Where the cleaner writes the segment that will take `baseOffset`'s place. */
export function cleanedSegmentPaths(dir: string, baseOffset: bigint): SegmentFilePaths {
  return withSuffix(segmentPaths(dir, baseOffset), CLEANED_SUFFIX);
}

/** Step 2: the cleaned files become swap files; once this returns, the swap survives a crash. */
export async function commitCleanedSegment(dir: string, baseOffset: bigint): Promise<void> {
  const cleaned = cleanedSegmentPaths(dir, baseOffset);
  const swap = withSuffix(segmentPaths(dir, baseOffset), SWAP_SUFFIX);
  await rename(cleaned.index, swap.index);
  await rename(cleaned.timeIndex, swap.timeIndex);
  await syncDirectory(dir);
  await rename(cleaned.log, swap.log);
  await syncDirectory(dir);
}

/**
 * Step 3: renames the replaced segments' files to `*.deleted`, then closes and removes
 * them after `deleteDelayMs`. Each file handle is opened first, so readers that still
 * hold an old segment read its old bytes, not whatever later takes its file name.
 */
export async function retireSegments(
  dir: string,
  segments: readonly LogSegment[],
  deleteDelayMs: number,
): Promise<void> {
  const renamed: string[] = [];
  for (const segment of segments) {
    if (segment.size > 0) await segment.read(0, 1); // opens the handle
    for (const path of Object.values(segment.paths)) {
      try {
        await rename(path, path + DELETED_SUFFIX);
        renamed.push(path + DELETED_SUFFIX);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
  await syncDirectory(dir);
  const remove = async () => {
    for (const segment of segments) await segment.close();
    for (const path of renamed) await rm(path, { force: true });
  };
  if (deleteDelayMs <= 0) await remove();
  else setTimeout(() => void remove().catch(() => undefined), deleteDelayMs).unref();
}

/** Step 4: the swap files take their final names. */
export async function installSwappedSegment(dir: string, baseOffset: bigint): Promise<void> {
  const final = segmentPaths(dir, baseOffset);
  const swap = withSuffix(final, SWAP_SUFFIX);
  await rename(swap.index, final.index);
  await rename(swap.timeIndex, final.timeIndex);
  await syncDirectory(dir);
  await rename(swap.log, final.log);
  await syncDirectory(dir);
}

/** Removes the output of a pass that will not be swapped in. */
export async function discardCleanedSegment(dir: string, baseOffset: bigint): Promise<void> {
  for (const path of Object.values(cleanedSegmentPaths(dir, baseOffset)))
    await rm(path, { force: true });
}

/**
 * At load, before segments are opened: completes swaps that committed and drops the
 * index files of swaps that did not (see the protocol above). Returns the base offsets
 * of the segments swapped in; the caller removes the old segments whose base offsets
 * fall inside each one's offset range.
 */
export async function completeInterruptedSwaps(dir: string): Promise<Set<bigint>> {
  const names = await readdir(dir);
  const committed = new Set<bigint>();
  for (const name of names) {
    const parsed = parseOffsetFileName(name);
    if (parsed?.suffix === LOG_SUFFIX + SWAP_SUFFIX) committed.add(parsed.baseOffset);
  }
  let indexesMoved = false;
  for (const name of names) {
    const parsed = parseOffsetFileName(name);
    if (!parsed || !name.endsWith(SWAP_SUFFIX) || parsed.suffix === LOG_SUFFIX + SWAP_SUFFIX)
      continue;
    if (committed.has(parsed.baseOffset)) {
      await rename(join(dir, name), join(dir, name.slice(0, -SWAP_SUFFIX.length)));
      indexesMoved = true;
    } else {
      await rm(join(dir, name), { force: true });
    }
  }
  if (indexesMoved) await syncDirectory(dir);
  for (const baseOffset of committed) {
    const final = segmentPaths(dir, baseOffset).log;
    await rename(final + SWAP_SUFFIX, final);
  }
  if (committed.size > 0) await syncDirectory(dir);
  return committed;
}

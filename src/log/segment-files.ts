import { join } from 'node:path';

/** File names of a segment, as Kafka names them: the base offset as 20 digits plus a suffix. */
export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
/** Segment files scheduled for deletion. */
export const DELETED_SUFFIX = '.deleted';
/** Output of a compaction in progress. */
export const CLEANED_SUFFIX = '.cleaned';
/** Compacted files being swapped in. */
export const SWAP_SUFFIX = '.swap';

export function offsetFileName(baseOffset: bigint, suffix: string): string {
  return `${baseOffset.toString().padStart(20, '0')}${suffix}`;
}

export function segmentPaths(dir: string, baseOffset: bigint) {
  return {
    log: join(dir, offsetFileName(baseOffset, LOG_SUFFIX)),
    index: join(dir, offsetFileName(baseOffset, INDEX_SUFFIX)),
    timeIndex: join(dir, offsetFileName(baseOffset, TIME_INDEX_SUFFIX)),
    txnIndex: join(dir, offsetFileName(baseOffset, TXN_INDEX_SUFFIX)),
  };
}

export type SegmentPaths = ReturnType<typeof segmentPaths>;

/** The base offset a segment file name stands for, or null if it is not one. */
export function parseOffsetFileName(name: string): { baseOffset: bigint; suffix: string } | null {
  const match = /^(\d{20})(\.[a-z.]+)$/.exec(name);
  if (!match) return null;
  return { baseOffset: BigInt(match[1]), suffix: match[2] };
}

/** "<topic>-<partition>" directory name; topics may contain '-', the partition is the last part. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const match = /^(.+)-(\d+)$/.exec(name);
  if (!match) return null;
  return { topic: match[1], partition: Number(match[2]) };
}

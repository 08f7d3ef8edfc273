/**
 * Consumer lag: how many records of a partition a group has not consumed yet, i.e. the log end
 * offset minus the group's committed offset. Kafka's tools show no lag (rather than a guess)
 * when either side is unknown; a committed offset of -1 means "nothing committed".
 */

export const NO_COMMITTED_OFFSET = -1n;

/** `logEndOffset - committedOffset`, or null when either is unknown. */
export function partitionLag(
  committedOffset: bigint | null | undefined,
  logEndOffset: bigint | null | undefined,
): bigint | null {
  if (committedOffset === null || committedOffset === undefined) return null;
  if (committedOffset === NO_COMMITTED_OFFSET) return null;
  if (logEndOffset === null || logEndOffset === undefined) return null;
  return logEndOffset - committedOffset;
}

/** The sum of the known lags; null when none is known. */
export function totalLag(lags: Iterable<bigint | null>): bigint | null {
  let total: bigint | null = null;
  for (const lag of lags) {
    if (lag !== null) total = (total ?? 0n) + lag;
  }
  return total;
}

import { CompressionType, type TopicCompression } from '../../protocol/compression/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  downConvertBatches,
  UnsupportedLegacyCompressionError,
  type LegacyMagic,
} from '../../protocol/records/index.js';
import type { FetchPartitionRequest, FetchPartitionResult } from '../../replica/types.js';

/** Fetch v0-1 read message format v0, v2-3 read v1; v4+ read the stored v2 batches. */
const FIRST_VERSION_READING_MAGIC_1 = 2;
const FIRST_VERSION_READING_MAGIC_2 = 4;
/** Fetch v10 is the first whose clients can read zstd (KIP-110): nothing to convert from there. */
export const FIRST_FETCH_VERSION_WITHOUT_CONVERSION = 10;

/**
 * What Kafka's fetch handler does to each partition before answering an old client:
 * - a topic with compression.type=zstd answers UNSUPPORTED_COMPRESSION_TYPE below v10;
 * - below v4 the records are rewritten as a legacy message set (down-conversion), and a
 *   zstd batch among them turns the partition into UNSUPPORTED_COMPRESSION_TYPE.
 * Results are replaced, never changed: the originals still hold pooled read memory. Only
 * for versions below FIRST_FETCH_VERSION_WITHOUT_CONVERSION.
 */
export async function convertForFetchVersion(
  results: readonly FetchPartitionResult[],
  version: number,
  requested: readonly FetchPartitionRequest[],
  topicCompressionOf: (result: FetchPartitionResult) => TopicCompression | undefined,
): Promise<FetchPartitionResult[]> {
  const fetchOffsets = new Map(requested.map((p) => [`${p.topic}:${p.partition}`, p.fetchOffset]));
  const toMagic: LegacyMagic | undefined =
    version >= FIRST_VERSION_READING_MAGIC_2
      ? undefined
      : version >= FIRST_VERSION_READING_MAGIC_1
        ? 1
        : 0;
  return Promise.all(
    results.map(async (result) => {
      if (topicCompressionOf(result) === CompressionType.Zstd)
        return unsupportedCompression(result);
      if (toMagic === undefined || result.records.length === 0) return result;
      try {
        const fetchOffset = fetchOffsets.get(`${result.topic}:${result.partition}`) ?? 0n;
        const records = await downConvertBatches(result.records, toMagic, fetchOffset);
        return { ...result, records };
      } catch (err) {
        if (err instanceof UnsupportedLegacyCompressionError) return unsupportedCompression(result);
        throw err;
      }
    }),
  );
}

/** Kafka's partitionResponse for an error: nothing but the partition and the code. */
function unsupportedCompression(result: FetchPartitionResult): FetchPartitionResult {
  return {
    ...result,
    errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    records: Buffer.alloc(0),
    abortedTransactions: null,
  };
}

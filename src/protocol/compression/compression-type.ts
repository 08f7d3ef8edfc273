/** Codec ids as stored in bits 0-2 of a record batch's attributes. */
export const CompressionType = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;

export type CompressionTypeId = (typeof CompressionType)[keyof typeof CompressionType];

/** The codec names Kafka uses in configs (`compression.type`) and tools. */
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

const NAMES_BY_ID: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function isCompressionTypeId(value: number): value is CompressionTypeId {
  return Number.isInteger(value) && value >= 0 && value < NAMES_BY_ID.length;
}

export function compressionName(id: CompressionTypeId): CompressionName {
  const name = NAMES_BY_ID[id];
  if (name === undefined) throw new RangeError(`unknown compression type id ${String(id)}`);
  return name;
}

/**
 * Parses a producer-side `compression.type` (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
 * Case-sensitive, as Kafka's config validation is.
 */
export function compressionTypeFromName(name: string): CompressionTypeId {
  const id = NAMES_BY_ID.indexOf(name as CompressionName);
  if (id < 0) {
    throw new RangeError(
      `unknown compression type '${name}': expected one of ${NAMES_BY_ID.join(', ')}` +
        (name === 'producer' || name === 'uncompressed'
          ? ` ('${name}' is only valid as a topic or broker setting)`
          : ''),
    );
  }
  return id as CompressionTypeId;
}

/** What a topic or broker `compression.type` asks for: a codec, or keep the producer's. */
export type TopicCompression = CompressionTypeId | 'producer';

/**
 * Parses a topic- or broker-level `compression.type`. Kafka spells "no compression"
 * `uncompressed` there and adds `producer` (keep whatever the producer used); `none` is
 * accepted too so one spelling works everywhere.
 */
export function topicCompressionFromName(name: string): TopicCompression {
  if (name === 'producer') return 'producer';
  if (name === 'uncompressed') return CompressionType.None;
  try {
    return compressionTypeFromName(name);
  } catch {
    throw new RangeError(
      `unknown compression type '${name}': expected one of uncompressed, ${NAMES_BY_ID.join(', ')}, producer`,
    );
  }
}

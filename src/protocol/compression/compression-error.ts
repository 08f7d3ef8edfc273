import type { CompressionName } from './compression-type.js';

/**
 * Why a codec operation failed:
 * - `corrupt`: the input is not valid data for the codec (maps to CORRUPT_MESSAGE).
 * - `output-limit`: decoding would produce more than the allowed number of bytes.
 * - `unsupported`: a codec id or a codec feature this broker does not accept.
 * - `compress-failed`: the codec failed while compressing (an internal error).
 */
export type CompressionErrorReason = 'corrupt' | 'output-limit' | 'unsupported' | 'compress-failed';

/** Every failure of compress/decompress surfaces as this error, never as a crash. */
export class CompressionError extends Error {
  override readonly name = 'CompressionError';

  constructor(
    readonly codec: CompressionName | `id ${number}`,
    readonly reason: CompressionErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${codec}: ${message}`, options);
  }
}

/** Wraps whatever a native codec threw, keeping our own errors as they are. */
export function asCompressionError(
  codec: CompressionName,
  reason: CompressionErrorReason,
  action: string,
  error: unknown,
): CompressionError {
  if (error instanceof CompressionError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new CompressionError(codec, reason, `${action} failed: ${detail}`, { cause: error });
}

/**
 * `size` is either the exact decoded size or, when `sizeIsUpperBound`, the most the input's
 * structure allows it to decode to (codecs whose library cannot stop at a limit).
 */
export function outputLimitError(
  codec: CompressionName,
  size: number,
  maxOutputBytes: number,
  sizeIsUpperBound = false,
): CompressionError {
  const what = sizeIsUpperBound
    ? `may decompress to up to ${size} bytes`
    : `decompresses to ${size} bytes`;
  return new CompressionError(
    codec,
    'output-limit',
    `input ${what}, over the limit of ${maxOutputBytes} bytes`,
  );
}

/** Rejects a bad `maxOutputBytes` early, so a typo cannot turn the guard off. */
export function checkOutputLimit(maxOutputBytes: number): void {
  if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 0) {
    throw new RangeError(`maxOutputBytes must be a non-negative integer, got ${maxOutputBytes}`);
  }
}

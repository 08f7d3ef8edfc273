/** Thrown when bytes on the wire do not form a valid message; never a crash or a hang. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** Thrown when a value cannot be represented in the requested version. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
}

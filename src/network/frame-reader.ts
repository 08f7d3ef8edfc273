/**
 * Splits a TCP byte stream into Kafka request frames: a 4-byte big-endian size, then that
 * many bytes. Chunks are kept as a list and copied once, into the frame, only when a frame
 * spans several chunks; a frame inside one chunk is a zero-copy slice of it.
 */

/** Kafka's `socket.request.max.bytes` default. */
export const DEFAULT_SOCKET_REQUEST_MAX_BYTES = 104_857_600;

const SIZE_PREFIX_BYTES = 4;

/** A size prefix the broker refuses; the connection is closed, as Kafka's InvalidReceiveException does. */
export class FrameSizeError extends Error {
  override readonly name = 'FrameSizeError';

  constructor(
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(
      size > maxBytes
        ? `request size ${size} is larger than socket.request.max.bytes ${maxBytes}`
        : `invalid request size ${size}`,
    );
  }
}

export class FrameReader {
  private chunks: Buffer[] = [];
  /** Index of the first chunk still holding unread bytes. */
  private firstChunk = 0;
  /** Read position inside `chunks[firstChunk]`. */
  private offsetInFirstChunk = 0;
  private buffered = 0;
  /** Size of the frame whose prefix has been read, or -1 while the prefix is still pending. */
  private pendingFrameSize = -1;

  constructor(private readonly maxFrameBytes: number = DEFAULT_SOCKET_REQUEST_MAX_BYTES) {}

  /** Bytes received and not yet handed out (a size prefix already read no longer counts). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Appends received bytes. Throws FrameSizeError as soon as the next frame's size prefix
   * is known to be invalid, before any memory is set aside for that frame.
   */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.readSizePrefixIfPossible();
  }

  /** The next complete frame (without its size prefix), or null until one has fully arrived. */
  next(): Buffer | null {
    this.readSizePrefixIfPossible();
    if (this.pendingFrameSize < 0 || this.buffered < this.pendingFrameSize) return null;
    const frame = this.take(this.pendingFrameSize);
    this.pendingFrameSize = -1;
    return frame;
  }

  private readSizePrefixIfPossible(): void {
    if (this.pendingFrameSize >= 0 || this.buffered < SIZE_PREFIX_BYTES) return;
    const size = this.take(SIZE_PREFIX_BYTES).readInt32BE(0);
    if (size <= 0 || size > this.maxFrameBytes) throw new FrameSizeError(size, this.maxFrameBytes);
    this.pendingFrameSize = size;
  }

  /** Removes `length` buffered bytes (the caller checked they are there). */
  private take(length: number): Buffer {
    const first = this.chunks[this.firstChunk];
    const availableInFirst = first.length - this.offsetInFirstChunk;
    if (availableInFirst >= length) {
      const slice = first.subarray(this.offsetInFirstChunk, this.offsetInFirstChunk + length);
      this.consume(length);
      return slice;
    }
    const joined = Buffer.allocUnsafe(length);
    let written = 0;
    while (written < length) {
      const chunk = this.chunks[this.firstChunk];
      const count = Math.min(chunk.length - this.offsetInFirstChunk, length - written);
      chunk.copy(joined, written, this.offsetInFirstChunk, this.offsetInFirstChunk + count);
      written += count;
      this.consume(count);
    }
    return joined;
  }

  /** Advances past `length` bytes, all inside the first chunk. */
  private consume(length: number): void {
    this.offsetInFirstChunk += length;
    this.buffered -= length;
    if (this.offsetInFirstChunk < this.chunks[this.firstChunk].length) return;
    this.firstChunk += 1;
    this.offsetInFirstChunk = 0;
    if (this.firstChunk === this.chunks.length) {
      this.chunks = [];
      this.firstChunk = 0;
    } else if (this.firstChunk >= 1024) {
      // Drop consumed chunk references without shifting the array on every chunk.
      this.chunks = this.chunks.slice(this.firstChunk);
      this.firstChunk = 0;
    }
  }
}

/**
 * Receives size-prefixed response frames with the socket reading straight into a buffer
 * of each large frame's own size, as Kafka's NetworkReceive does: a 1 MiB fetch response
 * is never assembled from 64 KiB chunks afterwards. Size prefixes and small frames land in
 * a reused scratch buffer and are copied out.
 *
 * Drive it with net.Socket's `onread` option: `buffer: () => receiver.nextBuffer()`,
 * `callback: (count) => receiver.received(count)`.
 */

const SIZE_PREFIX_BYTES = 4;
const SCRATCH_BYTES = 64 * 1024;
/** A size prefix above this is taken as a broken stream, not allocated for. */
const MAX_FRAME_BYTES = 1024 * 1024 * 1024;

export class FrameSizeError extends Error {
  override readonly name = 'FrameSizeError';
}

export class FrameReceiver {
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  /** First byte in `scratch` not yet handed out. */
  private start = 0;
  /** End of the bytes received into `scratch`. */
  private end = 0;
  /** The large frame being read into directly, and how much of it has arrived. */
  private frame: Buffer | null = null;
  private filled = 0;

  constructor(private readonly deliver: (frame: Buffer) => void) {}

  /** Where the next socket read puts its bytes. */
  nextBuffer(): Buffer {
    if (this.frame !== null) return this.frame.subarray(this.filled);
    return this.scratch.subarray(this.end);
  }

  /**
   * Takes `count` bytes that a read placed in the last nextBuffer(); delivers every frame
   * they complete. Throws FrameSizeError on a size prefix below 4 or above 1 GiB.
   */
  received(count: number): void {
    if (this.frame !== null) {
      this.filled += count;
      if (this.filled === this.frame.length) {
        const frame = this.frame;
        this.frame = null;
        this.filled = 0;
        this.deliver(frame);
      }
      return;
    }
    this.end += count;
    this.takeFramesFromScratch();
  }

  private takeFramesFromScratch(): void {
    while (this.end - this.start >= SIZE_PREFIX_BYTES) {
      const size = this.scratch.readInt32BE(this.start);
      if (size < SIZE_PREFIX_BYTES || size > MAX_FRAME_BYTES) {
        throw new FrameSizeError(`invalid response size ${size}`);
      }
      const bodyStart = this.start + SIZE_PREFIX_BYTES;
      const available = this.end - bodyStart;
      if (available >= size) {
        this.start = bodyStart + size;
        this.deliver(Buffer.from(this.scratch.subarray(bodyStart, this.start)));
        continue;
      }
      if (SIZE_PREFIX_BYTES + size > this.scratch.length) {
        // Too large for scratch: the rest of it goes straight into its own buffer.
        this.frame = Buffer.allocUnsafe(size);
        this.scratch.copy(this.frame, 0, bodyStart, this.end);
        this.filled = available;
        this.start = this.end = 0;
        return;
      }
      break;
    }
    // Keep a partial frame at the front so the next read has room for the rest of it.
    if (this.start === this.end) {
      this.start = this.end = 0;
    } else if (this.start > 0) {
      this.scratch.copy(this.scratch, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
  }
}

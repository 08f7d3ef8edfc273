/**
 * Reusable memory for log reads that end in a socket write (fetch responses).
 *
 * A fresh 1 MiB buffer per read costs more than the read from the page cache: the
 * allocator maps new pages for it, the kernel faults and zeroes each one, and the garbage
 * collector later unmaps them. A buffer given back once the socket has taken its bytes
 * skips all of that on the next read.
 *
 * acquire() hands out a view of a pooled backing store; release() takes any view of one
 * and is a no-op for memory the pool did not create or already holds, so callers may pass
 * whatever a read returned (a tail-cache slice, an empty buffer). A view that is never
 * released is simply collected. The caller must not release while any view of the buffer
 * is still in use: the next acquire() overwrites it.
 *
 * Reads made ahead of a sequential reader (LogSegment) take their memory through
 * acquireAhead(), which keeps all of them within a byte limit by dropping the oldest.
 */

const MIN_CLASS_BYTES = 64 * 1024;
/** Reads larger than this are not pooled (Kafka's fetch default is 1 MiB per partition). */
const MAX_CLASS_BYTES = 16 * 1024 * 1024;

export class ReadBufferPool {
  /** Every backing store this pool made (weakly: dropped ones are collected). */
  private readonly created = new WeakSet<ArrayBuffer>();
  /** Backing stores currently in a free list. */
  private readonly idle = new WeakSet<ArrayBuffer>();
  private readonly free = new Map<number, Buffer[]>();
  private idleBytes = 0;
  /** Reads made ahead and not yet taken, oldest first, with their capacity and their drop. */
  private readonly aheads = new Map<object, { bytes: number; drop: () => void }>();
  private aheadBytes = 0;

  /**
   * @param maxIdleBytes memory kept for reuse; beyond it, released buffers are dropped.
   * @param maxAheadBytes memory reads made ahead may hold at once.
   */
  constructor(
    private readonly maxIdleBytes: number,
    private readonly maxAheadBytes = maxIdleBytes,
  ) {}

  /**
   * Memory for the read made ahead that `owner` stands for, or null when reads of this size
   * are not pooled. Older reads ahead are dropped (their `drop` called) to stay within the
   * limit. The owner calls endAhead() once the read is taken or dropped.
   */
  acquireAhead(owner: object, size: number, drop: () => void): Buffer | null {
    const capacity = classFor(size);
    if (capacity === null || capacity > this.maxAheadBytes) return null;
    for (const [older, entry] of this.aheads) {
      if (this.aheadBytes + capacity <= this.maxAheadBytes) break;
      this.endAhead(older);
      entry.drop();
    }
    this.aheads.set(owner, { bytes: capacity, drop });
    this.aheadBytes += capacity;
    return this.acquire(size);
  }

  /** The read made ahead for `owner` no longer counts against the limit. */
  endAhead(owner: object): void {
    const entry = this.aheads.get(owner);
    if (entry === undefined) return;
    this.aheads.delete(owner);
    this.aheadBytes -= entry.bytes;
  }

  /** A buffer of exactly `size` bytes, its contents undefined. */
  acquire(size: number): Buffer {
    const capacity = classFor(size);
    if (capacity === null) return Buffer.allocUnsafe(size);
    const reused = this.free.get(capacity)?.pop();
    if (reused !== undefined) {
      this.idle.delete(reused.buffer as ArrayBuffer);
      this.idleBytes -= capacity;
      return reused.subarray(0, size);
    }
    const fresh = Buffer.allocUnsafeSlow(capacity);
    this.created.add(fresh.buffer as ArrayBuffer);
    return fresh.subarray(0, size);
  }

  /** Gives back the buffer `view` belongs to; see the class comment for when that is safe. */
  release(view: Buffer): void {
    const backing = view.buffer as ArrayBuffer;
    if (!this.created.has(backing) || this.idle.has(backing)) return;
    const capacity = backing.byteLength;
    if (this.idleBytes + capacity > this.maxIdleBytes) return;
    this.idle.add(backing);
    this.idleBytes += capacity;
    let list = this.free.get(capacity);
    if (list === undefined) this.free.set(capacity, (list = []));
    list.push(Buffer.from(backing));
  }

  get idleByteCount(): number {
    return this.idleBytes;
  }

  get aheadByteCount(): number {
    return this.aheadBytes;
  }
}

/** The power of two at or above `size` (at least 64 KiB), or null when not pooled. */
function classFor(size: number): number | null {
  if (size > MAX_CLASS_BYTES) return null;
  let capacity = MIN_CLASS_BYTES;
  while (capacity < size) capacity *= 2;
  return capacity;
}

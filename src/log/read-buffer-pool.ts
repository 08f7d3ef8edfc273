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

  /** @param maxIdleBytes memory kept for reuse; beyond it, released buffers are dropped. */
  constructor(private readonly maxIdleBytes: number) {}

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
}

/** The power of two at or above `size` (at least 64 KiB), or null when not pooled. */
function classFor(size: number): number | null {
  if (size > MAX_CLASS_BYTES) return null;
  let capacity = MIN_CLASS_BYTES;
  while (capacity < size) capacity *= 2;
  return capacity;
}

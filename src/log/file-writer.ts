import { writev, writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/**
 * How segment appends reach their file.
 *
 * A write into the page cache is a memory copy: a few microseconds per 16 KiB. Handed to
 * libuv's thread pool it costs more than that in hand-over (a worker woken, then the event
 * loop), and on a small machine those threads compete with the event loop for the same
 * cores. So writes are made synchronously, as Kafka's request threads make theirs, up to
 * `syncBytesPerTurn` bytes per event-loop turn; beyond that (many partitions committing at
 * once, or one large write) they go to the thread pool, where they can also run in parallel.
 * A synchronous write that takes longer than `slowSyncWriteMs` (the kernel throttling dirty
 * pages, a slow disk) sends every write through the thread pool for `asyncPeriodMs`, so the
 * event loop keeps serving other requests while the disk catches up.
 */
export interface FileWriterOptions {
  syncBytesPerTurn: number;
  slowSyncWriteMs: number;
  asyncPeriodMs: number;
  /** Milliseconds, monotonic; performance.now by default. */
  now?: () => number;
}

export class FileWriter {
  private readonly now: () => number;
  private asyncUntil = -Infinity;
  private syncBytesThisTurn = 0;
  private turnEndScheduled = false;

  constructor(private readonly options: FileWriterOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether a write of `bytes` made now would be synchronous. */
  writesSynchronously(bytes: number): boolean {
    return (
      this.syncBytesThisTurn + bytes <= this.options.syncBytesPerTurn &&
      this.now() >= this.asyncUntil
    );
  }

  /**
   * Writes all of `buffers` (`bytes` in total) at `position`: returns nothing when the write
   * was made synchronously, else a promise of its end.
   */
  writeAll(
    handle: FileHandle,
    position: number,
    buffers: Buffer[],
    bytes: number,
  ): Promise<void> | undefined {
    if (!this.writesSynchronously(bytes)) return writeFully(handle, position, buffers, bytes);
    this.countSyncBytes(bytes);
    let written = 0;
    while (written < bytes) {
      const pending = written === 0 ? buffers : sliceBuffers(buffers, written);
      const count = this.writeSync(handle, pending, position + written);
      if (count <= 0) throw new Error(`short write at position ${position + written}`);
      written += count;
    }
    return undefined;
  }

  private countSyncBytes(bytes: number): void {
    this.syncBytesThisTurn += bytes;
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    // Commits run in setImmediate callbacks; one scheduled now runs in the next turn.
    setImmediate(() => {
      this.syncBytesThisTurn = 0;
      this.turnEndScheduled = false;
    });
  }

  private writeSync(handle: FileHandle, buffers: Buffer[], position: number): number {
    const start = this.now();
    const count = writevSync(handle.fd, buffers, position);
    const end = this.now();
    if (end - start > this.options.slowSyncWriteMs)
      this.asyncUntil = end + this.options.asyncPeriodMs;
    return count;
  }
}

/** Shared by every log of the process: they share the machine's disks. */
export const segmentFileWriter = new FileWriter({
  // About 100 µs of copying: the longest the event loop waits for writes in one turn.
  syncBytesPerTurn: 512 * 1024,
  // A page-cache write of 1 MiB takes well under a millisecond; 20 means the kernel made
  // the process wait (dirty-page throttling, reclaim), not a busy moment on a shared host.
  slowSyncWriteMs: 20,
  asyncPeriodMs: 5_000,
});

/**
 * Writes all of `buffers` (`bytes` in total) at `position`, through the thread pool. It
 * uses fs.writev's callback: a segment append makes one such write per commit, and the
 * callback form costs the event loop less than FileHandle's promise form. The caller keeps
 * the handle open until the promise settles.
 */
export function writeFully(
  handle: FileHandle,
  position: number,
  buffers: Buffer[],
  bytes: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let written = 0;
    const next = (pending: Buffer[]) =>
      writev(handle.fd, pending, position + written, (err, count) => {
        if (err) return reject(err);
        if (count <= 0) return reject(new Error(`short write at position ${position + written}`));
        written += count;
        if (written < bytes) next(sliceBuffers(buffers, written));
        else resolve();
      });
    if (bytes > 0) next(buffers);
    else resolve();
  });
}

/** `buffers` without their first `skip` bytes. */
export function sliceBuffers(buffers: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

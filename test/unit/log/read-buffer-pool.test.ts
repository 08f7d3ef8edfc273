import { describe, expect, it } from 'vitest';
import { ReadBufferPool } from '../../../src/log/read-buffer-pool.js';

describe('ReadBufferPool', () => {
  it('hands out buffers of the asked size and reuses a released one of the same class', () => {
    const pool = new ReadBufferPool(8 << 20);
    const a = pool.acquire(1_000_000);
    expect(a.length).toBe(1_000_000);
    pool.release(a.subarray(10, 20));
    expect(pool.idleByteCount).toBe(1 << 20);
    const b = pool.acquire(700_000);
    expect(b.length).toBe(700_000);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.idleByteCount).toBe(0);
  });

  it('keeps a buffer released twice only once', () => {
    const pool = new ReadBufferPool(8 << 20);
    const a = pool.acquire(100_000);
    pool.release(a);
    pool.release(a);
    expect(pool.idleByteCount).toBe(128 * 1024);
    const b = pool.acquire(100_000);
    const c = pool.acquire(100_000);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
  });

  it('ignores memory it did not create', () => {
    const pool = new ReadBufferPool(8 << 20);
    const foreign = Buffer.allocUnsafeSlow(1 << 20);
    pool.release(foreign);
    pool.release(Buffer.alloc(0));
    pool.release(Buffer.from('small'));
    expect(pool.idleByteCount).toBe(0);
    expect(pool.acquire(1 << 20).buffer).not.toBe(foreign.buffer);
  });

  it('drops released buffers beyond its idle limit', () => {
    const pool = new ReadBufferPool(1 << 20);
    const a = pool.acquire(1 << 20);
    const b = pool.acquire(1 << 20);
    pool.release(a);
    pool.release(b);
    expect(pool.idleByteCount).toBe(1 << 20);
  });

  it('does not pool reads larger than 16 MiB', () => {
    const pool = new ReadBufferPool(64 << 20);
    const big = pool.acquire(17 << 20);
    expect(big.length).toBe(17 << 20);
    pool.release(big);
    expect(pool.idleByteCount).toBe(0);
  });

  it('keeps reads made ahead within their limit by dropping the oldest', () => {
    const pool = new ReadBufferPool(1 << 20, 256 * 1024);
    const dropped: string[] = [];
    const owners = ['a', 'b', 'c', 'd'].map((name) => ({ name }));
    for (const owner of owners.slice(0, 2)) {
      expect(pool.acquireAhead(owner, 100_000, () => dropped.push(owner.name))!.length).toBe(
        100_000,
      );
    }
    expect(pool.aheadByteCount).toBe(256 * 1024);
    // A third of 128 KiB needs room: the oldest goes.
    pool.acquireAhead(owners[2], 100_000, () => dropped.push('c'));
    expect(dropped).toEqual(['a']);
    expect(pool.aheadByteCount).toBe(256 * 1024);
    // Taken reads no longer count and are never dropped.
    pool.endAhead(owners[1]);
    pool.acquireAhead(owners[3], 100_000, () => dropped.push('d'));
    expect(dropped).toEqual(['a']);
    expect(pool.aheadByteCount).toBe(256 * 1024);
    // Larger than the whole limit: not read ahead at all.
    expect(pool.acquireAhead({}, 300_000, () => undefined)).toBeNull();
    expect(dropped).toEqual(['a']);
  });
});

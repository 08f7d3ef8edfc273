import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FileWriter, sliceBuffers } from '../../../src/log/file-writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A writer on a hand-moved clock that advances `step` ms at every reading. */
function writerWithClock() {
  const clock = { ms: 0, step: 0 };
  const writer = new FileWriter({
    syncBytesPerTurn: 1024,
    slowSyncWriteMs: 5,
    asyncPeriodMs: 1000,
    now: () => (clock.ms += clock.step),
  });
  return { writer, clock };
}

describe('segment file writer', () => {
  test('small writes land before the call returns; large ones go through the thread pool', async () => {
    const writer = new FileWriter({
      syncBytesPerTurn: 1024,
      slowSyncWriteMs: 50,
      asyncPeriodMs: 1000,
    });
    const path = join(dir, 'f');
    const handle = await open(path, 'w+');
    try {
      const small = [Buffer.from('ab'), Buffer.from('cd')];
      const smallWrite = writer.writeAll(handle, 0, small, 4);
      expect(readFileSync(path, 'latin1')).toBe('abcd');
      await smallWrite;

      const large = [Buffer.alloc(2048, 'x')];
      expect(writer.writesSynchronously(2048)).toBe(false);
      await writer.writeAll(handle, 4, large, 2048);
      expect((await readFile(path)).subarray(4)).toEqual(large[0]);
    } finally {
      await handle.close();
    }
  });

  test('synchronous bytes are budgeted per event-loop turn', async () => {
    const writer = new FileWriter({
      syncBytesPerTurn: 1024,
      slowSyncWriteMs: 50,
      asyncPeriodMs: 1000,
    });
    const handle = await open(join(dir, 'f'), 'w+');
    try {
      const part = [Buffer.alloc(600, 'y')];
      const first = writer.writeAll(handle, 0, part, 600);
      expect(writer.writesSynchronously(600)).toBe(false);
      expect(writer.writesSynchronously(424)).toBe(true);
      await first;
      await new Promise((resolve) => setImmediate(resolve));
      expect(writer.writesSynchronously(600)).toBe(true);
    } finally {
      await handle.close();
    }
  });

  test('a slow synchronous write sends writes to the thread pool for a while', async () => {
    const { writer, clock } = writerWithClock();
    expect(writer.writesSynchronously(10)).toBe(true);
    const handle = await open(join(dir, 'f'), 'w+');
    try {
      clock.step = 20;
      await writer.writeAll(handle, 0, [Buffer.from('slow')], 4);
      clock.step = 0;
      expect(writer.writesSynchronously(10)).toBe(false);
      clock.ms += 999;
      expect(writer.writesSynchronously(10)).toBe(false);
      clock.ms += 2;
      expect(writer.writesSynchronously(10)).toBe(true);
      expect(writer.writesSynchronously(1025)).toBe(false);
    } finally {
      await handle.close();
    }
  });

  test('a fast synchronous write keeps writing synchronously', async () => {
    const { writer, clock } = writerWithClock();
    const handle = await open(join(dir, 'f'), 'w+');
    try {
      clock.step = 2;
      await writer.writeAll(handle, 0, [Buffer.from('fast')], 4);
      expect(writer.writesSynchronously(10)).toBe(true);
    } finally {
      await handle.close();
    }
  });

  test('sliceBuffers drops leading bytes across buffers', () => {
    const parts = [Buffer.from('ab'), Buffer.from('cde'), Buffer.from('f')];
    expect(Buffer.concat(sliceBuffers(parts, 3)).toString()).toBe('def');
    expect(sliceBuffers(parts, 2)[0]).toBe(parts[1]);
    expect(sliceBuffers(parts, 6)).toEqual([]);
  });
});

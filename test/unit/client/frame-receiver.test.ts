import { describe, expect, it } from 'vitest';
import { FrameReceiver, FrameSizeError } from '../../../src/client/frame-receiver.js';

/** Size-prefixed frames of the given sizes, each filled with a byte pattern of its own. */
function framesOf(sizes: number[]): { stream: Buffer; frames: Buffer[] } {
  const frames = sizes.map((size, n) => {
    const frame = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) frame[i] = (i * 7 + n * 13) & 0xff;
    return frame;
  });
  const parts = frames.flatMap((frame) => {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(frame.length);
    return [prefix, frame];
  });
  return { stream: Buffer.concat(parts), frames };
}

/** Plays `stream` into the receiver as a socket would, at most `readSize(i)` bytes per read. */
function feed(receiver: FrameReceiver, stream: Buffer, readSize: (read: number) => number): void {
  let at = 0;
  for (let read = 0; at < stream.length; read++) {
    const target = receiver.nextBuffer();
    if (target.length === 0) throw new Error('nextBuffer() left no room to read into');
    const count = Math.min(target.length, readSize(read), stream.length - at);
    stream.copy(target, 0, at, at + count);
    at += count;
    receiver.received(count);
  }
}

describe('FrameReceiver', () => {
  const small = [4, 100, 70_000, 65_532, 65_531, 5, 9];
  const large = [4, 100, 70_000, 65_532, 65_531, 5, 1_048_576, 9, 200_000, 4];

  it.each([
    ['one byte', small, () => 1],
    ['3 bytes', small, () => 3],
    ['64 KiB', large, () => 65_536],
    ['varying', large, (read: number) => [1, 5, 4093, 65_536, 17, 300_000][read % 6]],
  ])('delivers every frame intact, reads of %s', (_name, sizes, readSize) => {
    const { stream, frames } = framesOf(sizes);
    const delivered: Buffer[] = [];
    const receiver = new FrameReceiver((frame) => delivered.push(frame));
    feed(receiver, stream, readSize);
    expect(delivered.length).toBe(frames.length);
    delivered.forEach((frame, i) => expect(frame.equals(frames[i])).toBe(true));
  });

  it('hands out frames that later reads do not overwrite', () => {
    const { stream, frames } = framesOf([10, 20, 30]);
    const delivered: Buffer[] = [];
    const receiver = new FrameReceiver((frame) => delivered.push(frame));
    feed(receiver, stream, () => 11);
    feed(receiver, framesOf([40, 50]).stream, () => 65_536);
    delivered.slice(0, 3).forEach((frame, i) => expect(frame.equals(frames[i])).toBe(true));
  });

  it('reads a large frame straight into its own buffer', () => {
    const { stream, frames } = framesOf([1_000_000]);
    const delivered: Buffer[] = [];
    const receiver = new FrameReceiver((frame) => delivered.push(frame));
    receiver.nextBuffer();
    stream.copy(receiver.nextBuffer(), 0, 0, 65_536);
    receiver.received(65_536);
    const target = receiver.nextBuffer();
    expect(target.length).toBe(1_000_000 - 65_532);
    stream.copy(target, 0, 65_536);
    receiver.received(target.length);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].buffer).toBe(target.buffer);
    expect(delivered[0].equals(frames[0])).toBe(true);
  });

  it.each([-1, 3, 0x7fffffff])('rejects the size prefix %i without allocating for it', (size) => {
    const receiver = new FrameReceiver(() => undefined);
    const target = receiver.nextBuffer();
    target.writeInt32BE(size);
    expect(() => receiver.received(4)).toThrow(FrameSizeError);
  });
});

import { describe, expect, it } from 'vitest';
import { FrameReader, FrameSizeError } from '../../../src/network/frame-reader.js';
import { rawFrame } from '../../harness/wire-client.js';

function payload(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed + i * 31) & 0xff;
  return bytes;
}

function drain(reader: FrameReader): Buffer[] {
  const frames: Buffer[] = [];
  for (let frame = reader.next(); frame !== null; frame = reader.next()) frames.push(frame);
  return frames;
}

describe('FrameReader', () => {
  const payloads = [payload(1, 1), payload(8, 2), payload(300, 3), payload(70_000, 4)];
  const stream = Buffer.concat(payloads.map(rawFrame));

  it('reads frames merged into one chunk', () => {
    const reader = new FrameReader();
    reader.push(stream);
    expect(drain(reader)).toEqual(payloads);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('reads frames split into single bytes, including the size prefixes', () => {
    const reader = new FrameReader();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      reader.push(stream.subarray(i, i + 1));
      frames.push(...drain(reader));
    }
    expect(frames).toEqual(payloads);
  });

  it.each([3, 7, 1000, 65_536])('reads frames split into chunks of %i bytes', (chunkSize) => {
    const reader = new FrameReader();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i += chunkSize) {
      reader.push(stream.subarray(i, i + chunkSize));
      frames.push(...drain(reader));
    }
    expect(frames).toEqual(payloads);
  });

  it('hands out a frame inside one chunk as a slice of it, without copying', () => {
    const chunk = rawFrame(payload(100, 9));
    const reader = new FrameReader();
    reader.push(chunk);
    const frame = reader.next()!;
    expect(frame.buffer).toBe(chunk.buffer);
    expect(frame.byteOffset).toBe(chunk.byteOffset + 4);
  });

  it('returns null until the frame is complete', () => {
    const reader = new FrameReader();
    const frame = rawFrame(payload(10, 5));
    reader.push(frame.subarray(0, 9));
    expect(reader.next()).toBeNull();
    reader.push(frame.subarray(9));
    expect(reader.next()).toEqual(payload(10, 5));
    expect(reader.next()).toBeNull();
  });

  it('accepts a frame of exactly the maximum size', () => {
    const reader = new FrameReader(16);
    reader.push(rawFrame(payload(16, 6)));
    expect(reader.next()).toEqual(payload(16, 6));
  });

  it.each([
    ['larger than the maximum', 17],
    ['negative', -1],
    ['the most negative int32', -0x8000_0000],
    ['zero', 0],
  ])('refuses a size prefix that is %s as soon as its 4 bytes arrive', (_label, size) => {
    const reader = new FrameReader(16);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size, 0);
    reader.push(prefix.subarray(0, 3));
    let thrown: unknown;
    try {
      reader.push(prefix.subarray(3));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FrameSizeError);
    expect((thrown as FrameSizeError).size).toBe(size);
  });

  it('refuses an oversized frame that follows a good one when it reaches the head', () => {
    const reader = new FrameReader(16);
    const tooLarge = Buffer.alloc(4);
    tooLarge.writeInt32BE(1_000_000_000, 0);
    reader.push(Buffer.concat([rawFrame(payload(4, 1)), tooLarge]));
    expect(reader.next()).toEqual(payload(4, 1));
    expect(() => reader.next()).toThrow(FrameSizeError);
  });

  it('does not keep growing memory over many frames (consumed chunks are released)', () => {
    const reader = new FrameReader();
    const frame = rawFrame(payload(10, 1));
    for (let i = 0; i < 5_000; i++) {
      reader.push(frame.subarray(0, 5));
      reader.push(frame.subarray(5));
      expect(reader.next()).toEqual(payload(10, 1));
    }
    expect(reader.bufferedBytes).toBe(0);
  });
});

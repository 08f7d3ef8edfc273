import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/protocol/primitives/decode-error.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';

function encodedVarlong(value: bigint): Buffer {
  return Buffer.concat(new Writer().varlong(value).toBuffers());
}

describe('varlongNumber', () => {
  it('reads every safe integer as varlong does, on both sides of the 7-byte fast path', () => {
    const edges = [
      0n,
      1n,
      -1n,
      63n,
      -64n,
      64n,
      2n ** 48n - 1n,
      -(2n ** 48n),
      2n ** 48n,
      -(2n ** 48n) - 1n,
    ];
    const limits = [BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MIN_SAFE_INTEGER)];
    for (const value of [...edges, ...limits]) {
      const bytes = encodedVarlong(value);
      expect(new Reader(bytes).varlongNumber()).toBe(Number(value));
      const reader = new Reader(bytes);
      reader.varlongNumber();
      expect(reader.offset).toBe(bytes.length);
    }
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(new Reader(encodedVarlong(BigInt(n))).varlongNumber()).toBe(n);
      }),
    );
  });

  it('refuses values beyond the safe range and truncated input', () => {
    expect(() => new Reader(encodedVarlong(2n ** 53n)).varlongNumber()).toThrow(DecodeError);
    expect(() => new Reader(encodedVarlong(2n ** 40n).subarray(0, 3)).varlongNumber()).toThrow(
      DecodeError,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { partitionLag, totalLag } from '../../../src/client/group-lag.js';

describe('partitionLag', () => {
  it('is the log end offset minus the committed offset', () => {
    expect(partitionLag(3n, 10n)).toBe(7n);
    expect(partitionLag(10n, 10n)).toBe(0n);
    expect(partitionLag(0n, 2n ** 40n)).toBe(2n ** 40n);
  });

  it('is unknown without a committed offset (null or -1) or without a log end offset', () => {
    expect(partitionLag(null, 10n)).toBeNull();
    expect(partitionLag(undefined, 10n)).toBeNull();
    expect(partitionLag(-1n, 10n)).toBeNull();
    expect(partitionLag(5n, null)).toBeNull();
  });

  it('can be negative when the log was truncated below the committed offset', () => {
    expect(partitionLag(12n, 10n)).toBe(-2n);
  });
});

describe('totalLag', () => {
  it('sums the known lags and is null when none is known', () => {
    expect(totalLag([1n, null, 4n])).toBe(5n);
    expect(totalLag([null, null])).toBeNull();
    expect(totalLag([])).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';

import { ErrorCode, KafkaError, errorInfo, errorsByCode } from '../../../src/protocol/errors.js';

describe('Kafka error table', () => {
  it.each([
    [0, 'NONE', false],
    [-1, 'UNKNOWN_SERVER_ERROR', false],
    [1, 'OFFSET_OUT_OF_RANGE', false],
    [2, 'CORRUPT_MESSAGE', true],
    [3, 'UNKNOWN_TOPIC_OR_PARTITION', true],
    [6, 'NOT_LEADER_OR_FOLLOWER', true],
    [10, 'MESSAGE_TOO_LARGE', false],
    [35, 'UNSUPPORTED_VERSION', false],
    [41, 'NOT_CONTROLLER', true],
    [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', false],
    [46, 'DUPLICATE_SEQUENCE_NUMBER', false],
    [47, 'INVALID_PRODUCER_EPOCH', false],
    [56, 'KAFKA_STORAGE_ERROR', true],
    [76, 'UNSUPPORTED_COMPRESSION_TYPE', false],
    [87, 'INVALID_RECORD', false],
    [100, 'UNKNOWN_TOPIC_ID', true],
    [127, 'VOTER_NOT_FOUND', false],
  ] as const)('code %i is %s (retriable: %s)', (code, name, retriable) => {
    const info = errorInfo(code);
    expect(info.code).toBe(code);
    expect(info.name).toBe(name);
    expect(info.retriable).toBe(retriable);
    expect(ErrorCode[name]).toBe(code);
  });

  it('has a description for every error except NONE', () => {
    for (const info of errorsByCode.values()) {
      if (info.code === ErrorCode.NONE) expect(info.message).toBe('');
      else expect(info.message.length).toBeGreaterThan(0);
    }
  });

  it('keeps ErrorCode and errorsByCode in agreement', () => {
    const entries = Object.entries(ErrorCode);
    expect(entries.length).toBe(errorsByCode.size);
    for (const [name, code] of entries) expect(errorsByCode.get(code)?.name).toBe(name);
  });

  it('has unique codes and unique names', () => {
    const codes = Object.values(ErrorCode);
    const names = [...errorsByCode.values()].map((info) => info.name);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(names).size).toBe(names.length);
  });

  it('has no gaps between -1 and the highest code', () => {
    // The reference protocol.html does not embed the table (it is an unexpanded include of a
    // generated page); Kafka's table itself is contiguous from -1 to its highest code, which
    // for this table is 133 (Kafka 4.1).
    const codes = [...errorsByCode.keys()].sort((a, b) => a - b);
    expect(codes[0]).toBe(-1);
    expect(codes.at(-1)).toBe(133);
    codes.forEach((code, index) => expect(code).toBe(index - 1));
  });

  it('synthesizes an info for unknown codes', () => {
    expect(errorInfo(9999)).toEqual({
      code: 9999,
      name: 'UNKNOWN_ERROR_9999',
      retriable: false,
      message: 'Unknown error code 9999.',
    });
    expect(errorInfo(-7).name).toBe('UNKNOWN_ERROR_-7');
  });
});

describe('KafkaError', () => {
  it('carries the code and exposes its table entry', () => {
    const error = new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KafkaError');
    expect(error.code).toBe(6);
    expect(error.info.name).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(error.retriable).toBe(true);
    expect(error.message).toContain('NOT_LEADER_OR_FOLLOWER');
  });

  it('keeps a caller-supplied message', () => {
    const error = new KafkaError(
      ErrorCode.MESSAGE_TOO_LARGE,
      'batch of 2 MiB exceeds max.message.bytes',
    );
    expect(error.message).toBe('batch of 2 MiB exceeds max.message.bytes');
    expect(error.retriable).toBe(false);
  });

  it('handles codes the table does not know', () => {
    const error = new KafkaError(500);
    expect(error.info.name).toBe('UNKNOWN_ERROR_500');
    expect(error.retriable).toBe(false);
  });
});

/**
 * Writes a log with the engine, then reads its files back with independent code (nothing
 * from src/ is used to parse) and checks them against Kafka's documented on-disk format:
 * segment file names, v2 record batch framing and CRC-32C, 8-byte offset index entries,
 * 12-byte time index entries and the leader-epoch-checkpoint text file.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { Log } from '../../../src/log/log.js';
import { buildRecordBatch } from '../../../src/protocol/records/index.js';
import { ManualClock, testLogConfig } from '../../harness/log-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'on-disk-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------
// Independent decoding

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit via a table. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32cOf(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

class Cursor {
  constructor(
    private readonly buf: Buffer,
    public at = 0,
  ) {}
  uvarint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.buf[this.at++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  /** Zig-zag varint/varlong. */
  varint(): bigint {
    const raw = this.uvarint();
    return (raw >> 1n) ^ -(raw & 1n);
  }
  bytes(): Buffer | null {
    const length = Number(this.varint());
    if (length < 0) return null;
    const out = this.buf.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
}

interface ParsedRecord {
  attributes: number;
  timestampDelta: bigint;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: [string, Buffer | null][];
}

function parseRecords(area: Buffer, count: number): ParsedRecord[] {
  const cursor = new Cursor(area);
  const out: ParsedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = Number(cursor.varint());
    const end = cursor.at + length;
    const attributes = area.readInt8(cursor.at++);
    const timestampDelta = cursor.varint();
    const offsetDelta = Number(cursor.varint());
    const key = cursor.bytes();
    const value = cursor.bytes();
    const headerCount = Number(cursor.varint());
    const headers: [string, Buffer | null][] = [];
    for (let h = 0; h < headerCount; h++) {
      headers.push([cursor.bytes()!.toString('utf8'), cursor.bytes()]);
    }
    expect(cursor.at).toBe(end);
    out.push({ attributes, timestampDelta, offsetDelta, key, value, headers });
  }
  expect(cursor.at).toBe(area.length);
  return out;
}

interface ParsedBatch {
  position: number;
  size: number;
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  records: ParsedRecord[];
}

/** A .log file: v2 batches back to back, nothing else. */
function parseLogFile(file: Buffer): ParsedBatch[] {
  const batches: ParsedBatch[] = [];
  let position = 0;
  while (position < file.length) {
    expect(file.length - position).toBeGreaterThanOrEqual(61);
    const b = file.subarray(position);
    const batchLength = b.readInt32BE(8);
    const size = 12 + batchLength;
    expect(size).toBeLessThanOrEqual(b.length);
    const batch = b.subarray(0, size);
    const attributes = batch.readInt16BE(21);
    const recordCount = batch.readInt32BE(57);
    let area = batch.subarray(61);
    if ((attributes & 0x07) === 1) area = gunzipSync(area);
    else expect(attributes & 0x07).toBe(0);
    batches.push({
      position,
      size,
      baseOffset: batch.readBigInt64BE(0),
      batchLength,
      partitionLeaderEpoch: batch.readInt32BE(12),
      magic: batch.readInt8(16),
      crc: batch.readUInt32BE(17),
      attributes,
      lastOffsetDelta: batch.readInt32BE(23),
      baseTimestamp: batch.readBigInt64BE(27),
      maxTimestamp: batch.readBigInt64BE(35),
      producerId: batch.readBigInt64BE(43),
      producerEpoch: batch.readInt16BE(51),
      baseSequence: batch.readInt32BE(53),
      recordCount,
      records: parseRecords(area, recordCount),
    });
    // The CRC covers attributes through the end of the batch.
    expect(crc32cOf(batch.subarray(21))).toBe(batches[batches.length - 1].crc);
    position += size;
  }
  return batches;
}

function parseOffsetIndex(file: Buffer): [number, number][] {
  expect(file.length % 8).toBe(0);
  return Array.from({ length: file.length / 8 }, (_, i) => [
    file.readInt32BE(i * 8),
    file.readInt32BE(i * 8 + 4),
  ]);
}

function parseTimeIndex(file: Buffer): [bigint, number][] {
  expect(file.length % 12).toBe(0);
  return Array.from({ length: file.length / 12 }, (_, i) => [
    file.readBigInt64BE(i * 12),
    file.readInt32BE(i * 12 + 8),
  ]);
}

// ---------------------------------------------------------------------------------------

interface Written {
  epoch: number;
  compression: 0 | 1;
  producer?: { id: bigint; epoch: number; sequence: number };
  records: {
    key: Buffer | null;
    value: Buffer | null;
    headers: [string, Buffer | null][];
    timestamp: bigint;
  }[];
  firstOffset?: bigint;
}

const T0 = 1_718_000_000_000n;

function workload(): Written[] {
  const out: Written[] = [];
  for (let i = 0; i < 30; i++) {
    const count = 1 + (i % 4);
    out.push({
      epoch: i < 10 ? 0 : i < 22 ? 2 : 5,
      compression: i % 7 === 3 ? 1 : 0,
      producer: i % 5 === 1 ? { id: 4000n + BigInt(i), epoch: 3, sequence: i * 10 } : undefined,
      records: Array.from({ length: count }, (_, j) => ({
        key: j % 2 === 0 ? Buffer.from(`key-${i}-${j}`) : null,
        value: j === 3 ? null : Buffer.alloc(20 + ((i * 7 + j * 13) % 90), 0x41 + j),
        headers:
          j === 1
            ? [
                ['h', Buffer.from('v')],
                ['empty', null],
              ]
            : [],
        // Not monotonic inside batches; the batch max is what the indexes see.
        timestamp: T0 + BigInt(i * 1000 + ((j * 337) % 900)),
      })),
    });
  }
  return out;
}

const INTERVAL = 300;

test('segment files, batches, indexes and the epoch checkpoint follow Kafka’s format', async () => {
  const clock = new ManualClock(Number(T0) + 10_000_000);
  const log = await Log.open({
    dir,
    config: testLogConfig({ segmentBytes: 1500, indexIntervalBytes: INTERVAL }),
    clock,
  });
  const written = workload();
  for (const w of written) {
    const bytes = await buildRecordBatch({
      compression: w.compression,
      producerId: w.producer?.id,
      producerEpoch: w.producer?.epoch,
      baseSequence: w.producer?.sequence,
      records: w.records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers.map(([key, value]) => ({ key, value })),
        timestamp: r.timestamp,
      })),
    });
    w.firstOffset = (await log.appendAsLeader(bytes, w.epoch)).firstOffset;
  }
  await log.roll(); // leave an empty active segment
  const logEnd = log.logEndOffset;
  await log.close();

  // File names: 20-digit zero-padded base offsets with .log, .index and .timeindex.
  const names = (await readdir(dir)).sort();
  const segmentNames = names.filter((n) => n !== 'leader-epoch-checkpoint');
  expect(names).toContain('leader-epoch-checkpoint');
  for (const name of segmentNames) expect(name).toMatch(/^\d{20}\.(log|index|timeindex)$/);
  const baseOffsets = segmentNames
    .filter((n) => n.endsWith('.log'))
    .map((n) => BigInt(n.slice(0, 20)))
    .sort((a, b) => (a < b ? -1 : 1));
  expect(baseOffsets.length).toBeGreaterThan(3);
  expect(baseOffsets[0]).toBe(0n);
  expect(baseOffsets[baseOffsets.length - 1]).toBe(logEnd);
  for (const base of baseOffsets) {
    const stem = base.toString().padStart(20, '0');
    expect(segmentNames).toEqual(
      expect.arrayContaining([`${stem}.log`, `${stem}.index`, `${stem}.timeindex`]),
    );
  }
  expect(segmentNames.length).toBe(baseOffsets.length * 3);

  const allBatches: ParsedBatch[] = [];
  let indexEntriesSeen = 0;
  for (const base of baseOffsets) {
    const stem = join(dir, base.toString().padStart(20, '0'));
    const logFile = await readFile(`${stem}.log`);
    const batches = parseLogFile(logFile);
    if (base === logEnd) {
      // The empty active segment: every file is empty.
      expect(logFile.length).toBe(0);
      expect((await readFile(`${stem}.index`)).length).toBe(0);
      expect((await readFile(`${stem}.timeindex`)).length).toBe(0);
      continue;
    }
    expect(batches[0].baseOffset).toBe(base);
    allBatches.push(...batches);

    // .index: (relative offset, position) every INTERVAL bytes, at real batch starts.
    const offsetEntries = parseOffsetIndex(await readFile(`${stem}.index`));
    const expectedOffsetEntries: [number, number][] = [];
    const expectedTimeEntries: [bigint, number][] = [];
    let since = 0;
    let maxTs = -1n;
    let maxTsOffset = base;
    const appendTime = (ts: bigint, offset: bigint) => {
      const last = expectedTimeEntries[expectedTimeEntries.length - 1];
      if (ts > (last ? last[0] : -1n)) expectedTimeEntries.push([ts, Number(offset - base)]);
    };
    for (const b of batches) {
      const lastOffset = b.baseOffset + BigInt(b.lastOffsetDelta);
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp;
        maxTsOffset = lastOffset;
      }
      if (since > INTERVAL) {
        expectedOffsetEntries.push([Number(lastOffset - base), b.position]);
        appendTime(maxTs, maxTsOffset);
        since = 0;
      }
      since += b.size;
    }
    appendTime(maxTs, maxTsOffset); // the entry written when the segment stops being active
    expect(offsetEntries).toEqual(expectedOffsetEntries);
    indexEntriesSeen += offsetEntries.length;
    for (const [rel, position] of offsetEntries) {
      const at = batches.find((b) => b.position === position);
      expect(at).toBeDefined();
      expect(at!.baseOffset + BigInt(at!.lastOffsetDelta)).toBe(base + BigInt(rel));
    }
    for (let i = 1; i < offsetEntries.length; i++) {
      expect(offsetEntries[i][0]).toBeGreaterThan(offsetEntries[i - 1][0]);
      expect(offsetEntries[i][1]).toBeGreaterThan(offsetEntries[i - 1][1]);
    }

    // .timeindex: (timestamp, relative offset), both increasing; the last is the segment max.
    const timeEntries = parseTimeIndex(await readFile(`${stem}.timeindex`));
    expect(timeEntries).toEqual(expectedTimeEntries);
    for (let i = 1; i < timeEntries.length; i++) {
      expect(timeEntries[i][0]).toBeGreaterThan(timeEntries[i - 1][0]);
      expect(timeEntries[i][1]).toBeGreaterThanOrEqual(timeEntries[i - 1][1]);
    }
    expect(timeEntries[timeEntries.length - 1]).toEqual([maxTs, Number(maxTsOffset - base)]);
  }

  expect(indexEntriesSeen).toBeGreaterThan(baseOffsets.length);

  // .log contents: exactly the appended batches, with the assigned offsets and epochs.
  expect(allBatches.length).toBe(written.length);
  let nextOffset = 0n;
  written.forEach((w, i) => {
    const b = allBatches[i];
    expect(b.baseOffset).toBe(nextOffset);
    expect(b.baseOffset).toBe(w.firstOffset);
    expect(b.batchLength).toBe(b.size - 12);
    expect(b.partitionLeaderEpoch).toBe(w.epoch);
    expect(b.magic).toBe(2);
    expect(b.attributes).toBe(w.compression); // CreateTime, not transactional, not control
    expect(b.lastOffsetDelta).toBe(w.records.length - 1);
    expect(b.recordCount).toBe(w.records.length);
    const timestamps = w.records.map((r) => r.timestamp);
    expect(b.baseTimestamp).toBe(timestamps[0]);
    expect(b.maxTimestamp).toBe(timestamps.reduce((a, c) => (c > a ? c : a)));
    expect(b.producerId).toBe(w.producer?.id ?? -1n);
    expect(b.producerEpoch).toBe(w.producer?.epoch ?? -1);
    expect(b.baseSequence).toBe(w.producer?.sequence ?? -1);
    b.records.forEach((r, j) => {
      expect(r.attributes).toBe(0);
      expect(r.offsetDelta).toBe(j);
      expect(b.baseTimestamp + r.timestampDelta).toBe(w.records[j].timestamp);
      expect(r.key).toEqual(w.records[j].key);
      expect(r.value).toEqual(w.records[j].value);
      expect(r.headers).toEqual(w.records[j].headers);
    });
    nextOffset += BigInt(w.records.length);
  });
  expect(nextOffset).toBe(logEnd);

  // leader-epoch-checkpoint: version 0, the entry count, then "<epoch> <start offset>".
  const firstOf = (epoch: number) => written.find((w) => w.epoch === epoch)!.firstOffset;
  expect(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe(
    `0\n3\n0 ${firstOf(0)}\n2 ${firstOf(2)}\n5 ${firstOf(5)}\n`,
  );
});

test('LogAppendTime batches carry the broker time, the timestamp-type bit and a fresh CRC', async () => {
  const clock = new ManualClock(1_800_000_000_000);
  const log = await Log.open({
    dir,
    config: testLogConfig({ messageTimestampType: 'LogAppendTime' }),
    clock,
  });
  for (let i = 0; i < 3; i++) {
    await log.appendAsLeader(
      await buildRecordBatch({
        records: [
          { value: Buffer.from(`a${i}`), timestamp: T0 + BigInt(i) },
          { value: Buffer.from(`b${i}`), timestamp: T0 + BigInt(i) + 5n },
        ],
      }),
      1,
    );
    clock.advance(250);
  }
  await log.close();
  const batches = parseLogFile(await readFile(join(dir, `${'0'.padStart(20, '0')}.log`)));
  expect(batches.map((b) => [b.baseOffset, b.attributes & 0x08, b.maxTimestamp])).toEqual([
    [0n, 0x08, 1_800_000_000_000n],
    [2n, 0x08, 1_800_000_000_250n],
    [4n, 0x08, 1_800_000_000_500n],
  ]);
  const timeEntries = parseTimeIndex(
    await readFile(join(dir, `${'0'.padStart(20, '0')}.timeindex`)),
  );
  expect(timeEntries[timeEntries.length - 1]).toEqual([1_800_000_000_500n, 5]);
});

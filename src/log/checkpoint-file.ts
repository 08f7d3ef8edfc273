import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from './atomic-file.js';

/**
 * Kafka's checkpoint text format: a version line, a count line, then one entry per line
 * with space-separated fields (e.g. "topic partition offset" or "epoch startOffset").
 */
const CHECKPOINT_VERSION = 0;

export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';
}

export async function writeCheckpoint(
  path: string,
  entries: readonly (readonly (string | number | bigint)[])[],
): Promise<void> {
  const lines = [
    String(CHECKPOINT_VERSION),
    String(entries.length),
    ...entries.map((e) => e.join(' ')),
  ];
  await writeFileAtomically(path, `${lines.join('\n')}\n`);
}

/** Reads a checkpoint; a missing file is an empty checkpoint. */
export async function readCheckpoint(path: string, fieldsPerEntry: number): Promise<string[][]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (Number(lines[0]) !== CHECKPOINT_VERSION) {
    throw new CheckpointFormatError(
      `${path}: unknown checkpoint version ${JSON.stringify(lines[0])}`,
    );
  }
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0 || count !== lines.length - 2) {
    throw new CheckpointFormatError(
      `${path}: expected ${lines[1]} entries, found ${lines.length - 2}`,
    );
  }
  return lines.slice(2).map((line) => {
    const fields = line.split(' ');
    if (fields.length !== fieldsPerEntry) {
      throw new CheckpointFormatError(`${path}: malformed entry ${JSON.stringify(line)}`);
    }
    return fields;
  });
}

/** Per-partition offsets, keyed "topic-partition" ("recovery-point-offset-checkpoint" and friends). */
export async function readOffsetCheckpoint(path: string): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const [topic, partition, offset] of await readCheckpoint(path, 3)) {
    out.set(`${topic}-${partition}`, BigInt(offset));
  }
  return out;
}

export async function writeOffsetCheckpoint(
  path: string,
  offsets: Iterable<{ topic: string; partition: number; offset: bigint }>,
): Promise<void> {
  await writeCheckpoint(
    path,
    [...offsets].map((o) => [o.topic, o.partition, o.offset]),
  );
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import {
  QuorumStateFileError,
  formatQuorumState,
  readQuorumState,
  writeQuorumState,
} from '../../../src/metadata/quorum-state-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quorum-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a missing file is no state', async () => {
  expect(await readQuorumState(join(dir, 'quorum-state'))).toBeNull();
});

test('writes version 0 and reads it back', async () => {
  const path = join(dir, 'quorum-state');
  const state = { leaderEpoch: 7, leaderId: 3, votedId: -1, voters: [1, 2, 3] };
  await writeQuorumState(path, state);
  expect(await readQuorumState(path)).toEqual(state);
  expect(JSON.parse(formatQuorumState(state))).toEqual({
    clusterId: '',
    leaderId: 3,
    leaderEpoch: 7,
    votedId: -1,
    appliedOffset: 0,
    currentVoters: [{ voterId: 1 }, { voterId: 2 }, { voterId: 3 }],
    data_version: 0,
  });
});

test("reads Kafka's version 1 (kraft.version 1)", async () => {
  const path = join(dir, 'quorum-state');
  await writeFile(
    path,
    '{"leaderId":-1,"leaderEpoch":2,"votedId":1,"votedDirectoryId":"J8aAPcfLQt2bqs1JT_rMgQ","data_version":1}',
  );
  expect(await readQuorumState(path)).toEqual({
    leaderEpoch: 2,
    leaderId: -1,
    votedId: 1,
    voters: [],
  });
});

test('refuses files that are not a quorum state', async () => {
  const path = join(dir, 'quorum-state');
  await writeFile(path, 'not json');
  await expect(readQuorumState(path)).rejects.toBeInstanceOf(QuorumStateFileError);
  await writeFile(path, '{"leaderEpoch":2}');
  await expect(readQuorumState(path)).rejects.toThrow(/quorum state/);
  await writeFile(path, '{"leaderEpoch":2,"data_version":9}');
  await expect(readQuorumState(path)).rejects.toBeInstanceOf(QuorumStateFileError);
});

/**
 * The `quorum-state` file in `__cluster_metadata-0/`: the election state a voter persists on
 * every state change (Kafka's FileQuorumStateStore). It is one line of JSON, the
 * QuorumStateData fields of the data version plus `data_version`:
 *
 *   version 0 (kraft.version 0, a static voter set):
 *   {"clusterId":"","leaderId":1,"leaderEpoch":2,"votedId":-1,"appliedOffset":0,
 *    "currentVoters":[{"voterId":1}],"data_version":0}
 *
 *   version 1 (kraft.version 1): {"leaderId":-1,"leaderEpoch":2,"votedId":1,
 *    "votedDirectoryId":"J8aAPcfLQt2bqs1JT_rMgQ","data_version":1}
 *
 * Both versions are read; version 0 is written, as Kafka does for a static quorum
 * (controller.quorum.voters). Written atomically (temp file, fsync, rename).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomically } from '../log/atomic-file.js';

export const QUORUM_STATE_FILE = 'quorum-state';

export interface ElectionState {
  leaderEpoch: number;
  /** -1 when no leader is known. */
  leaderId: number;
  /** -1 when this voter has not voted in the epoch. */
  votedId: number;
  /** The voter set (version 0 only; empty when read from version 1). */
  voters: number[];
}

const int32 = z.number().int().min(-2147483648).max(2147483647);

const QUORUM_STATE_SCHEMA = z.object({
  data_version: z.union([z.literal(0), z.literal(1)]),
  leaderId: int32.default(-1),
  leaderEpoch: int32.default(-1),
  votedId: int32.default(-1),
  currentVoters: z
    .array(z.object({ voterId: int32 }))
    .nullable()
    .default(null),
});

export class QuorumStateFileError extends Error {
  override readonly name = 'QuorumStateFileError';
}

/** The persisted election state, or null when the file does not exist. */
export async function readQuorumState(path: string): Promise<ElectionState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const line = text.split('\n', 1)[0];
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    throw new QuorumStateFileError(`${path} is not JSON: ${(err as Error).message}`);
  }
  const parsed = QUORUM_STATE_SCHEMA.safeParse(json);
  if (!parsed.success) {
    throw new QuorumStateFileError(
      `${path} is not a quorum state: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  const state = parsed.data;
  return {
    leaderEpoch: state.leaderEpoch,
    leaderId: state.leaderId,
    votedId: state.votedId,
    voters: (state.currentVoters ?? []).map((voter) => voter.voterId),
  };
}

/** Kafka's QuorumStateDataJsonConverter output for data version 0, plus data_version. */
export function formatQuorumState(state: ElectionState): string {
  return JSON.stringify({
    clusterId: '',
    leaderId: state.leaderId,
    leaderEpoch: state.leaderEpoch,
    votedId: state.votedId,
    appliedOffset: 0,
    currentVoters: state.voters.map((voterId) => ({ voterId })),
    data_version: 0,
  });
}

export async function writeQuorumState(path: string, state: ElectionState): Promise<void> {
  await writeFileAtomically(path, formatQuorumState(state));
}

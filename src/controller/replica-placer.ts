/**
 * Replica placement for new partitions: a rack-unaware simplification of Kafka's
 * StripedReplicaPlacer. Brokers are taken in id order, unfenced ones first; partition p
 * starts at a random offset (drawn once per placement) plus p, so leaders stripe evenly over
 * the brokers, and each partition's followers are the brokers after its leader in that
 * order. Fenced brokers only receive replicas when the unfenced ones are too few, and never
 * lead. Racks are ignored for now.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';

export interface PlacementSpec {
  /** Id of the first partition to place (the existing count, for CreatePartitions). */
  readonly startPartition: number;
  readonly numPartitions: number;
  readonly replicationFactor: number;
}

export interface UsableBroker {
  readonly id: number;
  readonly fenced: boolean;
}

/** Kafka's InvalidReplicationFactorException, as the placer raises it. */
function invalidReplicationFactor(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, message);
}

/** Checks Kafka's placer preconditions, with its messages. */
export function checkPlacement(replicationFactor: number, brokers: readonly UsableBroker[]): void {
  if (replicationFactor <= 0) {
    throw invalidReplicationFactor(
      `Invalid replication factor ${replicationFactor}: the replication factor must be positive.`,
    );
  }
  if (!brokers.some((broker) => !broker.fenced)) {
    throw invalidReplicationFactor('All brokers are currently fenced.');
  }
  if (replicationFactor > brokers.length) {
    throw invalidReplicationFactor(
      `The target replication factor of ${replicationFactor} cannot be reached because only ${brokers.length} broker(s) are registered.`,
    );
  }
}

/**
 * The replicas of each new partition, leader first. `random` returns [0, 1) and picks the
 * starting offset, so repeated placements spread leadership.
 */
export function placeReplicas(
  spec: PlacementSpec,
  brokers: readonly UsableBroker[],
  random: () => number,
): number[][] {
  checkPlacement(spec.replicationFactor, brokers);
  const byId = (a: UsableBroker, b: UsableBroker) => a.id - b.id;
  const unfenced = brokers.filter((broker) => !broker.fenced).sort(byId);
  const fenced = brokers.filter((broker) => broker.fenced).sort(byId);
  const start = Math.floor(random() * unfenced.length) % unfenced.length;
  const placements: number[][] = [];
  for (let i = 0; i < spec.numPartitions; i++) {
    const leaderIndex = (start + spec.startPartition + i) % unfenced.length;
    const replicas: number[] = [];
    for (let r = 0; r < unfenced.length && replicas.length < spec.replicationFactor; r++) {
      replicas.push(unfenced[(leaderIndex + r) % unfenced.length].id);
    }
    for (let f = 0; f < fenced.length && replicas.length < spec.replicationFactor; f++) {
      replicas.push(fenced[(i + f) % fenced.length].id);
    }
    placements.push(replicas);
  }
  return placements;
}

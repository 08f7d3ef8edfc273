/**
 * The consumer embedded protocol (protocol type "consumer"): the bytes a classic group keeps
 * per member as its subscription (JoinGroup metadata) and its assignment (SyncGroup), which
 * DescribeGroups hands back unchanged. Each is an int16 version followed by the struct of that
 * version. As Kafka's ConsumerProtocol does, a version newer than the newest known one is read
 * with the newest known layout (later versions only append fields), and a negative version is
 * refused.
 */
import { codecFor, encodeMessage } from '../protocol/codec/compile.js';
import { DecodeError } from '../protocol/primitives/decode-error.js';
import { Reader } from '../protocol/primitives/reader.js';
import type { MessageSpec } from '../protocol/messages/spec.js';
import {
  ConsumerProtocolAssignmentSpec,
  type ConsumerProtocolAssignment,
} from '../protocol/messages/generated/consumer-protocol-assignment.js';
import {
  ConsumerProtocolSubscriptionSpec,
  type ConsumerProtocolSubscription,
} from '../protocol/messages/generated/consumer-protocol-subscription.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerAssignment {
  /** The version the bytes declared (may be newer than the layout they were read with). */
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

export interface ConsumerSubscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  ownedPartitions: TopicPartitions[];
  generationId: number;
  rackId: string | null;
}

const VERSION_PREFIX_BYTES = 2;

function decodeVersioned<T>(spec: MessageSpec, what: string, bytes: Buffer): [number, T] {
  if (bytes.length < VERSION_PREFIX_BYTES) {
    throw new DecodeError(`${what} of ${bytes.length} bytes has no version`);
  }
  const version = bytes.readInt16BE(0);
  if (version < spec.validVersions[0]) {
    throw new DecodeError(`Unsupported ${what} version: ${version}`);
  }
  const layout = Math.min(version, spec.validVersions[1]);
  const body = codecFor<T>(spec, layout).decode(new Reader(bytes, VERSION_PREFIX_BYTES));
  return [version, body];
}

function withVersionPrefix(version: number, body: Buffer): Buffer {
  const prefix = Buffer.alloc(VERSION_PREFIX_BYTES);
  prefix.writeInt16BE(version, 0);
  return Buffer.concat([prefix, body]);
}

/**
 * A member's assignment; empty bytes (a member that has not been through SyncGroup yet) are an
 * empty assignment, as Kafka's admin client reads them.
 */
export function decodeConsumerAssignment(bytes: Buffer): ConsumerAssignment {
  if (bytes.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const [version, body] = decodeVersioned<ConsumerProtocolAssignment>(
    ConsumerProtocolAssignmentSpec,
    'assignment',
    bytes,
  );
  return { version, assignedPartitions: body.assignedPartitions, userData: body.userData };
}

export function decodeConsumerSubscription(bytes: Buffer): ConsumerSubscription {
  const [version, body] = decodeVersioned<ConsumerProtocolSubscription>(
    ConsumerProtocolSubscriptionSpec,
    'subscription',
    bytes,
  );
  return { version, ...body };
}

export function encodeConsumerAssignment(
  assignment: { assignedPartitions: readonly TopicPartitions[]; userData?: Buffer | null },
  version = ConsumerProtocolAssignmentSpec.validVersions[1],
): Buffer {
  const body = encodeMessage<ConsumerProtocolAssignment>(ConsumerProtocolAssignmentSpec, version, {
    assignedPartitions: assignment.assignedPartitions,
    userData: assignment.userData ?? null,
  });
  return withVersionPrefix(version, body);
}

export function encodeConsumerSubscription(
  subscription: {
    topics: readonly string[];
    userData?: Buffer | null;
    ownedPartitions?: readonly TopicPartitions[];
    generationId?: number;
    rackId?: string | null;
  },
  version = ConsumerProtocolSubscriptionSpec.validVersions[1],
): Buffer {
  const body = encodeMessage<ConsumerProtocolSubscription>(
    ConsumerProtocolSubscriptionSpec,
    version,
    {
      topics: subscription.topics,
      userData: subscription.userData ?? null,
      ownedPartitions: version >= 1 ? (subscription.ownedPartitions ?? []) : [],
      generationId: version >= 2 ? (subscription.generationId ?? -1) : -1,
      rackId: version >= 3 ? (subscription.rackId ?? null) : null,
    },
  );
  return withVersionPrefix(version, body);
}

/** The assignment as a flat, sorted list of topic-partitions. */
export function assignedTopicPartitions(
  assignment: Pick<ConsumerAssignment, 'assignedPartitions'>,
): { topic: string; partition: number }[] {
  return assignment.assignedPartitions
    .flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/**
 * Kafka protocol error codes: the numeric code every response carries, Kafka's name for it,
 * whether clients treat it as retriable, and a short default description.
 *
 * Codes, names and the retriable flag follow Apache Kafka's error table (the Errors enum the
 * protocol guide's table is generated from). Codes -1..127 are the Kafka 3.9 table that the
 * reference protocol messages correspond to; 128..133 were added by Kafka 4.0/4.1 and are
 * included so responses to newer clients can name them. Codes are part of the wire format and
 * never change; unknown codes are still representable through `errorInfo`.
 */

export interface KafkaErrorInfo {
  code: number;
  name: string;
  retriable: boolean;
  message: string;
}

type ErrorRow = readonly [name: string, code: number, retriable: boolean, message: string];

/** One row per code, in code order. The only place error facts are written down (kept one row per line). */
// prettier-ignore
const ERROR_TABLE = [
  ['UNKNOWN_SERVER_ERROR', -1, false, 'The server hit an unexpected error while processing the request.'],
  ['NONE', 0, false, ''],
  ['OFFSET_OUT_OF_RANGE', 1, false, 'The requested offset is outside the range of offsets the server holds.'],
  ['CORRUPT_MESSAGE', 2, true, 'The message failed its CRC check, has an invalid size, has a null key on a compacted topic, or is otherwise corrupt.'],
  ['UNKNOWN_TOPIC_OR_PARTITION', 3, true, 'This server does not host the topic-partition.'],
  ['INVALID_FETCH_SIZE', 4, false, 'The requested fetch size is not valid.'],
  ['LEADER_NOT_AVAILABLE', 5, true, 'The topic-partition has no leader right now because a leader election is in progress.'],
  ['NOT_LEADER_OR_FOLLOWER', 6, true, 'This broker is not the leader of the partition (for leader-only requests) or not a replica of it (for requests any replica may serve).'],
  ['REQUEST_TIMED_OUT', 7, true, 'The request timed out.'],
  ['BROKER_NOT_AVAILABLE', 8, false, 'The broker is not available.'],
  ['REPLICA_NOT_AVAILABLE', 9, true, 'The replica is not available for the topic-partition; leader- or follower-only requests get NOT_LEADER_OR_FOLLOWER instead when this broker holds no replica.'],
  ['MESSAGE_TOO_LARGE', 10, false, 'The request contained a message larger than the largest message size the server accepts.'],
  ['STALE_CONTROLLER_EPOCH', 11, false, 'The controller has moved to another broker.'],
  ['OFFSET_METADATA_TOO_LARGE', 12, false, 'The metadata attached to the committed offset is too large.'],
  ['NETWORK_EXCEPTION', 13, true, 'The server closed the connection before a response arrived.'],
  ['COORDINATOR_LOAD_IN_PROGRESS', 14, true, 'The coordinator is still loading its state and cannot serve requests yet.'],
  ['COORDINATOR_NOT_AVAILABLE', 15, true, 'The coordinator is not available.'],
  ['NOT_COORDINATOR', 16, true, 'This broker is not the right coordinator.'],
  ['INVALID_TOPIC_EXCEPTION', 17, false, 'The request tried to operate on an invalid topic.'],
  ['RECORD_LIST_TOO_LARGE', 18, false, 'The request contained a record batch larger than the configured segment size.'],
  ['NOT_ENOUGH_REPLICAS', 19, true, 'The write was rejected because fewer in-sync replicas exist than required.'],
  ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 20, true, 'The write was appended to the log, but to fewer in-sync replicas than required.'],
  ['INVALID_REQUIRED_ACKS', 21, false, 'The produce request asked for an invalid acks value.'],
  ['ILLEGAL_GENERATION', 22, false, 'The group generation id is not valid.'],
  ['INCONSISTENT_GROUP_PROTOCOL', 23, false, "The member's protocols do not match those of the existing members, or the first member joined with an empty protocol type or list."],
  ['INVALID_GROUP_ID', 24, false, 'The group id is not valid.'],
  ['UNKNOWN_MEMBER_ID', 25, false, 'The coordinator does not know this member.'],
  ['INVALID_SESSION_TIMEOUT', 26, false, 'The session timeout is outside the range allowed by group.min.session.timeout.ms and group.max.session.timeout.ms.'],
  ['REBALANCE_IN_PROGRESS', 27, false, 'The group is rebalancing; the member has to rejoin.'],
  ['INVALID_COMMIT_OFFSET_SIZE', 28, false, 'The size of the committed offset data is not valid.'],
  ['TOPIC_AUTHORIZATION_FAILED', 29, false, 'Not authorized to access the topic.'],
  ['GROUP_AUTHORIZATION_FAILED', 30, false, 'Not authorized to access the group.'],
  ['CLUSTER_AUTHORIZATION_FAILED', 31, false, 'Not authorized for the cluster operation.'],
  ['INVALID_TIMESTAMP', 32, false, 'The message timestamp is outside the acceptable range.'],
  ['UNSUPPORTED_SASL_MECHANISM', 33, false, 'The broker does not support the requested SASL mechanism.'],
  ['ILLEGAL_SASL_STATE', 34, false, 'The request is not valid in the current SASL state.'],
  ['UNSUPPORTED_VERSION', 35, false, 'This version of the API is not supported.'],
  ['TOPIC_ALREADY_EXISTS', 36, false, 'A topic with this name already exists.'],
  ['INVALID_PARTITIONS', 37, false, 'The number of partitions is less than 1.'],
  ['INVALID_REPLICATION_FACTOR', 38, false, 'The replication factor is less than 1 or more than the number of available brokers.'],
  ['INVALID_REPLICA_ASSIGNMENT', 39, false, 'The replica assignment is not valid.'],
  ['INVALID_CONFIG', 40, false, 'The configuration is not valid.'],
  ['NOT_CONTROLLER', 41, true, 'This is not the active controller of the cluster.'],
  ['INVALID_REQUEST', 42, false, 'The request is malformed or was sent to an incompatible broker; the broker log has details.'],
  ['UNSUPPORTED_FOR_MESSAGE_FORMAT', 43, false, "The broker's message format version does not support the request."],
  ['POLICY_VIOLATION', 44, false, 'The request parameters violate the configured policy.'],
  ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45, false, 'The broker received a sequence number out of order.'],
  ['DUPLICATE_SEQUENCE_NUMBER', 46, false, 'The broker received a sequence number it has already seen.'],
  ['INVALID_PRODUCER_EPOCH', 47, false, 'The producer used an epoch older than the current one.'],
  ['INVALID_TXN_STATE', 48, false, 'The transactional operation is not valid in the current transaction state.'],
  ['INVALID_PRODUCER_ID_MAPPING', 49, false, 'The producer id is not the one currently assigned to this transactional id.'],
  ['INVALID_TRANSACTION_TIMEOUT', 50, false, 'The transaction timeout exceeds the broker maximum (transaction.max.timeout.ms).'],
  ['CONCURRENT_TRANSACTIONS', 51, true, 'Another operation on the same transaction is still in progress.'],
  ['TRANSACTION_COORDINATOR_FENCED', 52, false, 'The transaction coordinator that sent the marker is no longer the current coordinator for the producer.'],
  ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53, false, 'Not authorized to use the transactional id.'],
  ['SECURITY_DISABLED', 54, false, 'Security features are turned off.'],
  ['OPERATION_NOT_ATTEMPTED', 55, false, 'The broker skipped this operation, typically because another operation in the same batched request failed.'],
  ['KAFKA_STORAGE_ERROR', 56, true, 'A disk error occurred while accessing a log file.'],
  ['LOG_DIR_NOT_FOUND', 57, false, 'The requested log directory is not in the broker configuration.'],
  ['SASL_AUTHENTICATION_FAILED', 58, false, 'SASL authentication failed.'],
  ['UNKNOWN_PRODUCER_ID', 59, false, 'The broker has no state for this producer id, for example because all of its records were removed by retention.'],
  ['REASSIGNMENT_IN_PROGRESS', 60, false, 'A partition reassignment is in progress.'],
  ['DELEGATION_TOKEN_AUTH_DISABLED', 61, false, 'Delegation tokens are not enabled.'],
  ['DELEGATION_TOKEN_NOT_FOUND', 62, false, 'The delegation token does not exist on the server.'],
  ['DELEGATION_TOKEN_OWNER_MISMATCH', 63, false, 'The principal is not a valid owner or renewer of the token.'],
  ['DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', 64, false, 'Delegation token requests are not allowed on plaintext or one-way TLS channels, nor on connections authenticated with a delegation token.'],
  ['DELEGATION_TOKEN_AUTHORIZATION_FAILED', 65, false, 'Not authorized for the delegation token operation.'],
  ['DELEGATION_TOKEN_EXPIRED', 66, false, 'The delegation token has expired.'],
  ['INVALID_PRINCIPAL_TYPE', 67, false, 'The principal type is not supported.'],
  ['NON_EMPTY_GROUP', 68, false, 'The group still has members.'],
  ['GROUP_ID_NOT_FOUND', 69, false, 'The group does not exist.'],
  ['FETCH_SESSION_ID_NOT_FOUND', 70, true, 'The fetch session id is unknown.'],
  ['INVALID_FETCH_SESSION_EPOCH', 71, true, 'The fetch session epoch is not valid.'],
  ['LISTENER_NOT_FOUND', 72, true, 'The leader has no listener matching the listener the metadata request arrived on.'],
  ['TOPIC_DELETION_DISABLED', 73, false, 'Topic deletion is turned off.'],
  ['FENCED_LEADER_EPOCH', 74, true, "The request's leader epoch is older than the broker's."],
  ['UNKNOWN_LEADER_EPOCH', 75, true, "The request's leader epoch is newer than the broker's."],
  ['UNSUPPORTED_COMPRESSION_TYPE', 76, false, "The client does not support the partition's compression type."],
  ['STALE_BROKER_EPOCH', 77, false, 'The broker epoch has changed.'],
  ['OFFSET_NOT_AVAILABLE', 78, true, 'The new leader has not caught up its high watermark yet, so offsets cannot be guaranteed to increase monotonically.'],
  ['MEMBER_ID_REQUIRED', 79, false, 'The member must obtain a member id before joining the group.'],
  ['PREFERRED_LEADER_NOT_AVAILABLE', 80, true, 'The preferred leader is not available.'],
  ['GROUP_MAX_SIZE_REACHED', 81, false, 'The group already has its maximum number of members.'],
  ['FENCED_INSTANCE_ID', 82, false, 'Another member with the same group.instance.id but a different member.id fenced this static member.'],
  ['ELIGIBLE_LEADERS_NOT_AVAILABLE', 83, true, 'No eligible leader is available for the topic-partition.'],
  ['ELECTION_NOT_NEEDED', 84, true, 'The topic-partition does not need a leader election.'],
  ['NO_REASSIGNMENT_IN_PROGRESS', 85, false, 'No partition reassignment is in progress.'],
  ['GROUP_SUBSCRIBED_TO_TOPIC', 86, false, "A topic's offsets cannot be deleted while the group is subscribed to it."],
  ['INVALID_RECORD', 87, false, 'The broker rejected the record because it failed validation.'],
  ['UNSTABLE_OFFSET_COMMIT', 88, true, 'Unstable offsets must be resolved first.'],
  ['THROTTLING_QUOTA_EXCEEDED', 89, true, 'The throttling quota was exceeded.'],
  ['PRODUCER_FENCED', 90, false, 'A newer producer with the same transactional id has fenced this one.'],
  ['RESOURCE_NOT_FOUND', 91, false, 'The request referred to a resource that does not exist.'],
  ['DUPLICATE_RESOURCE', 92, false, 'The request referred to the same resource more than once.'],
  ['UNACCEPTABLE_CREDENTIAL', 93, false, 'The requested credential does not meet the acceptance criteria.'],
  ['INCONSISTENT_VOTER_SET', 94, false, 'The sender or the receiver of a voter-only request is not one of the expected voters.'],
  ['INVALID_UPDATE_VERSION', 95, false, 'The update version is not valid.'],
  ['FEATURE_UPDATE_FAILED', 96, false, 'The finalized features could not be updated because of an unexpected server error.'],
  ['PRINCIPAL_DESERIALIZATION_FAILURE', 97, false, 'The forwarded request principal could not be deserialized, which points at a broker security setup problem.'],
  ['SNAPSHOT_NOT_FOUND', 98, false, 'The requested snapshot does not exist.'],
  ['POSITION_OUT_OF_RANGE', 99, false, 'The requested position is negative or beyond the end of the snapshot.'],
  ['UNKNOWN_TOPIC_ID', 100, true, 'This server does not host a topic with this id.'],
  ['DUPLICATE_BROKER_REGISTRATION', 101, false, 'This broker id is already registered.'],
  ['BROKER_ID_NOT_REGISTERED', 102, false, 'This broker id is not registered.'],
  ['INCONSISTENT_TOPIC_ID', 103, true, "The request's topic id does not match the log's topic id."],
  ['INCONSISTENT_CLUSTER_ID', 104, false, "The request's cluster id does not match the server's."],
  ['TRANSACTIONAL_ID_NOT_FOUND', 105, false, 'The transactional id does not exist.'],
  ['FETCH_SESSION_TOPIC_ID_ERROR', 106, true, 'The fetch session used topic ids inconsistently.'],
  ['INELIGIBLE_REPLICA', 107, false, 'The proposed ISR contains a replica that is not eligible.'],
  ['NEW_LEADER_ELECTED', 108, false, 'The partition state was updated, but the leader changed as part of it.'],
  ['OFFSET_MOVED_TO_TIERED_STORAGE', 109, false, 'The requested offset has moved to tiered storage.'],
  ['FENCED_MEMBER_EPOCH', 110, false, 'The group coordinator fenced the member epoch; the member must give up its partitions and rejoin.'],
  ['UNRELEASED_INSTANCE_ID', 111, false, 'Another group member still uses this instance id and has to leave first.'],
  ['UNSUPPORTED_ASSIGNOR', 112, false, 'The group does not support the assignor or its version range.'],
  ['STALE_MEMBER_EPOCH', 113, false, 'The member epoch is stale; retry after receiving the current epoch from a heartbeat.'],
  ['MISMATCHED_ENDPOINT_TYPE', 114, false, 'The request reached an endpoint of the wrong type.'],
  ['UNSUPPORTED_ENDPOINT_TYPE', 115, false, 'This endpoint type is not supported yet.'],
  ['UNKNOWN_CONTROLLER_ID', 116, false, 'The controller id is unknown.'],
  ['UNKNOWN_SUBSCRIPTION_ID', 117, false, 'The telemetry push used an unknown or outdated subscription id.'],
  ['TELEMETRY_TOO_LARGE', 118, false, 'The telemetry push is larger than the broker accepts.'],
  ['INVALID_REGISTRATION', 119, false, 'The controller considers the broker registration invalid.'],
  ['TRANSACTION_ABORTABLE', 120, false, 'The transaction hit a server error; aborting it lets the transactional id be used again.'],
  ['INVALID_RECORD_STATE', 121, false, 'The record is in a state that does not allow the acknowledgement.'],
  ['SHARE_SESSION_NOT_FOUND', 122, true, 'The share session does not exist.'],
  ['INVALID_SHARE_SESSION_EPOCH', 123, true, 'The share session epoch is not valid.'],
  ['FENCED_STATE_EPOCH', 124, false, 'The share coordinator rejected the request because the share-group state epoch did not match.'],
  ['INVALID_VOTER_KEY', 125, false, "The voter key does not match the receiving replica's key."],
  ['DUPLICATE_VOTER', 126, false, 'The voter is already in the voter set.'],
  ['VOTER_NOT_FOUND', 127, false, 'The voter is not in the voter set.'],
  // Added after Kafka 3.9 (4.0: 128-129, 4.1: 130-133).
  ['INVALID_REGULAR_EXPRESSION', 128, false, 'The regular expression is not valid.'],
  ['REBOOTSTRAP_REQUIRED', 129, false, 'The client metadata is stale; the client should rebootstrap.'],
  ['STREAMS_INVALID_TOPOLOGY', 130, false, 'The Streams topology is not valid.'],
  ['STREAMS_INVALID_TOPOLOGY_EPOCH', 131, false, 'The Streams topology epoch is not valid.'],
  ['STREAMS_TOPOLOGY_FENCED', 132, false, 'The Streams topology epoch is out of date.'],
  ['SHARE_SESSION_LIMIT_REACHED', 133, true, 'The maximum number of share sessions has been reached.'],
] as const satisfies readonly ErrorRow[];

type ErrorTableRow = (typeof ERROR_TABLE)[number];

/** Kafka's name of a known error. */
export type ErrorName = ErrorTableRow[0];

/** `ErrorCode.NAME` is the numeric code, typed as its literal (e.g. `ErrorCode.CORRUPT_MESSAGE` is `2`). */
export type ErrorCodeTable = { readonly [Row in ErrorTableRow as Row[0]]: Row[1] };

/** A code of a known error. */
export type KnownErrorCode = ErrorTableRow[1];

export const ErrorCode: ErrorCodeTable = Object.freeze(
  Object.fromEntries(ERROR_TABLE.map(([name, code]) => [name, code])),
) as ErrorCodeTable;

export const errorsByCode: ReadonlyMap<number, KafkaErrorInfo> = new Map(
  ERROR_TABLE.map(([name, code, retriable, message]): [number, KafkaErrorInfo] => [
    code,
    Object.freeze({ code, name, retriable, message }),
  ]),
);

/**
 * Facts about an error code. A code this table does not know (for instance one added by a
 * newer Kafka) still gets an info object, named `UNKNOWN_ERROR_<code>` and not retriable,
 * which is how Kafka's own clients treat codes they do not recognise.
 */
export function errorInfo(code: number): KafkaErrorInfo {
  return (
    errorsByCode.get(code) ?? {
      code,
      name: `UNKNOWN_ERROR_${code}`,
      retriable: false,
      message: `Unknown error code ${code}.`,
    }
  );
}

/** An error that maps to a Kafka error code; handlers turn it into that code in the response. */
export class KafkaError extends Error {
  override readonly name = 'KafkaError';

  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? `${errorInfo(code).name}: ${errorInfo(code).message}`);
  }

  get info(): KafkaErrorInfo {
    return errorInfo(this.code);
  }

  get retriable(): boolean {
    return this.info.retriable;
  }
}

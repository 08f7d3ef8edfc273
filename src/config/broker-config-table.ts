/**
 * The broker configs this broker reads, declared once: Kafka's name, how the value is
 * parsed and validated, Kafka's default and a short description of our own.
 *
 * Names, types, defaults and bounds follow Apache Kafka 4.x (ServerConfigs, ServerLogConfigs,
 * KRaftConfigs, QuorumConfig, SocketServerConfigs, ReplicationConfigs, CleanerConfig,
 * GroupCoordinatorConfig, TransactionLogConfig, TransactionStateManagerConfig,
 * ShareCoordinatorConfig). Topic-level defaults (`log.retention.hours`, `message.max.bytes`,
 * `compression.type`, ...) are not here: they are the broker synonyms declared in
 * src/log/topic-config.ts and are parsed by it.
 *
 * `informational` entries are validated and reported but do not change what this broker
 * does (thread counts of a JVM broker, socket buffer sizes Node does not expose, ...).
 */
import { DEFAULT_LISTENER_SECURITY_PROTOCOL_MAP, SECURITY_PROTOCOLS } from './listeners.js';
import {
  booleanValue,
  doubleValue,
  intValue,
  listValue,
  longValue,
  shortValue,
  stringValue,
  type ValueKind,
} from './config-values.js';

/** Whether a config must be set, has Kafka's default, or may stay unset. */
export type Presence = 'required' | 'defaulted' | 'optional';

export interface BrokerConfigDef<T = unknown, P extends Presence = Presence> {
  readonly name: string;
  readonly kind: ValueKind<T>;
  readonly presence: P;
  /** Kafka's default as a properties-file value; null unless `presence` is 'defaulted'. */
  readonly defaultValue: string | null;
  readonly description: string;
  /** Validated and reported, without effect on this broker. */
  readonly informational: boolean;
}

interface Extras {
  informational?: boolean;
}

function required<T>(kind: ValueKind<T>, description: string): BrokerConfigDef<T, 'required'> {
  return {
    name: '',
    kind,
    presence: 'required',
    defaultValue: null,
    description,
    informational: false,
  };
}

function defaulted<T>(
  kind: ValueKind<T>,
  defaultValue: string | number | boolean,
  description: string,
  extras: Extras = {},
): BrokerConfigDef<T, 'defaulted'> {
  return {
    name: '',
    kind,
    presence: 'defaulted',
    defaultValue: String(defaultValue),
    description,
    informational: extras.informational ?? false,
  };
}

function optional<T>(
  kind: ValueKind<T>,
  description: string,
  extras: Extras = {},
): BrokerConfigDef<T, 'optional'> {
  return {
    name: '',
    kind,
    presence: 'optional',
    defaultValue: null,
    description,
    informational: extras.informational ?? false,
  };
}

const INT_MAX = 2 ** 31 - 1;
const DOUBLE_MAX = '1.7976931348623157E308';
const MiB = 1024 * 1024;

const informational = { informational: true } as const;

const PROCESS_ROLES = ['broker', 'controller'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

const DECLARED = {
  // --- KRaft identity and quorum -------------------------------------------------------------
  'process.roles': required(
    listValue({ oneOf: PROCESS_ROLES, nonEmpty: true, distinct: true }),
    'Roles of this node: broker, controller, or both (combined mode).',
  ),
  'node.id': required(
    intValue({ min: 0 }),
    'Id of this node in the cluster (broker and controller).',
  ),
  'broker.id': optional(intValue(), 'Older name of node.id; when both are set they must match.'),
  'controller.listener.names': required(
    listValue({ nonEmpty: true, distinct: true }),
    'Names of the listeners the controllers use; brokers dial the first one.',
  ),
  'controller.quorum.voters': defaulted(
    listValue({ distinct: true }),
    '',
    'Static controller quorum as id@host:port entries.',
  ),
  'controller.quorum.bootstrap.servers': defaulted(
    listValue({ distinct: true }),
    '',
    'host:port entries used to find a dynamic controller quorum.',
  ),
  'controller.quorum.election.timeout.ms': defaulted(
    intValue(),
    1000,
    'How long a voter waits without a leader before starting an election.',
  ),
  'controller.quorum.fetch.timeout.ms': defaulted(
    intValue(),
    2000,
    'How long a follower goes without a successful fetch before becoming a candidate.',
  ),
  'controller.quorum.election.backoff.max.ms': defaulted(
    intValue(),
    1000,
    'Upper bound of the randomised back-off between elections.',
  ),
  'controller.quorum.append.linger.ms': defaulted(
    intValue(),
    25,
    'How long the quorum leader lets writes accumulate before flushing them.',
  ),
  'controller.quorum.request.timeout.ms': defaulted(
    intValue(),
    2000,
    'Timeout of requests between quorum members.',
  ),
  'controller.quorum.retry.backoff.ms': defaulted(
    intValue(),
    20,
    'Pause before retrying a failed quorum request.',
  ),
  'controller.quorum.auto.join.enable': defaulted(
    booleanValue(),
    false,
    'Let a controller add itself to a dynamic quorum (controllers only).',
  ),
  'metadata.log.dir': optional(
    stringValue(),
    'Directory of the cluster metadata log; the first log dir when unset.',
  ),
  'broker.heartbeat.interval.ms': defaulted(
    intValue(),
    2000,
    'Interval of broker heartbeats to the controller.',
  ),
  'broker.session.timeout.ms': defaulted(
    intValue(),
    9000,
    'How long a broker stays registered without heartbeats.',
  ),
  'initial.broker.registration.timeout.ms': defaulted(
    intValue(),
    60000,
    'How long a starting broker waits to register with the controllers before giving up.',
  ),
  'broker.rack': optional(stringValue(), 'Rack of this broker, reported to clients in metadata.'),

  // --- Listeners and sockets -----------------------------------------------------------------
  listeners: defaulted(
    listValue({ nonEmpty: true, distinct: true }),
    'PLAINTEXT://:9092',
    'NAME://host:port entries this node listens on; an empty host binds all interfaces.',
  ),
  'advertised.listeners': optional(
    listValue({ nonEmpty: true, distinct: true }),
    'NAME://host:port entries given to clients and other nodes; listeners when unset.',
  ),
  'listener.security.protocol.map': defaulted(
    stringValue(),
    DEFAULT_LISTENER_SECURITY_PROTOCOL_MAP,
    'NAME:PROTOCOL pairs giving each listener its security protocol.',
  ),
  'inter.broker.listener.name': optional(
    stringValue(),
    'Listener brokers use to reach each other; from security.inter.broker.protocol when unset.',
  ),
  'security.inter.broker.protocol': defaulted(
    stringValue({ oneOf: SECURITY_PROTOCOLS }),
    'PLAINTEXT',
    'Security protocol between brokers; an alternative to inter.broker.listener.name.',
  ),
  'socket.request.max.bytes': defaulted(
    intValue({ min: 1 }),
    100 * MiB,
    'Largest request the broker reads.',
  ),
  'socket.send.buffer.bytes': defaulted(
    intValue(),
    100 * 1024,
    'SO_SNDBUF of accepted sockets (-1 = OS default).',
    informational,
  ),
  'socket.receive.buffer.bytes': defaulted(
    intValue(),
    100 * 1024,
    'SO_RCVBUF of accepted sockets (-1 = OS default).',
    informational,
  ),
  'socket.listen.backlog.size': defaulted(
    intValue({ min: 1 }),
    50,
    'Pending-connection queue length of each listener.',
  ),
  'connections.max.idle.ms': defaulted(
    longValue(),
    600000,
    'Idle connections are closed after this long.',
  ),
  'max.connections': defaulted(
    intValue({ min: 0 }),
    INT_MAX,
    'Most connections the broker holds at once.',
  ),
  'max.connections.per.ip': defaulted(
    intValue({ min: 0 }),
    INT_MAX,
    'Most connections from one IP address.',
  ),
  'max.connections.per.ip.overrides': defaulted(
    stringValue(),
    '',
    'host:limit pairs overriding max.connections.per.ip.',
  ),
  'max.connection.creation.rate': defaulted(
    intValue({ min: 0 }),
    INT_MAX,
    'Most new connections accepted per second.',
  ),
  'queued.max.requests': defaulted(
    intValue({ min: 1 }),
    500,
    'Requests queued for processing before network reads pause.',
    informational,
  ),
  'num.network.threads': defaulted(
    intValue({ min: 1 }),
    3,
    'Network threads of a JVM broker; Node uses one event loop.',
    informational,
  ),
  'num.io.threads': defaulted(
    intValue({ min: 1 }),
    8,
    'Request handler threads of a JVM broker; Node uses one event loop.',
    informational,
  ),
  'background.threads': defaulted(
    intValue({ min: 1 }),
    10,
    'Background task threads of a JVM broker.',
    informational,
  ),
  'request.timeout.ms': defaulted(intValue(), 30000, 'Timeout of requests this node sends.'),

  // --- Topics and logs ----------------------------------------------------------------------
  'num.partitions': defaulted(
    intValue({ min: 1 }),
    1,
    'Partitions of topics created without a count.',
  ),
  'default.replication.factor': defaulted(
    intValue(),
    1,
    'Replication factor of topics created without one.',
  ),
  'auto.create.topics.enable': defaulted(
    booleanValue(),
    true,
    'Create a topic when a client asks for metadata of an unknown one.',
  ),
  'delete.topic.enable': defaulted(booleanValue(), true, 'Allow deleting topics.'),
  'log.dirs': optional(
    listValue({ nonEmpty: true, distinct: true }),
    'Directories holding partition data; log.dir when unset.',
  ),
  'log.dir': defaulted(
    listValue({ nonEmpty: true, distinct: true }),
    '/tmp/kafka-logs',
    'Directories holding partition data when log.dirs is unset.',
  ),
  'num.recovery.threads.per.data.dir': defaulted(
    intValue({ min: 1 }),
    2,
    'Logs recovered (and flushed at shutdown) in parallel per log dir.',
  ),
  'log.retention.check.interval.ms': defaulted(
    longValue({ min: 1 }),
    300000,
    'How often logs are checked for segments to delete.',
  ),
  'log.flush.offset.checkpoint.interval.ms': defaulted(
    intValue({ min: 0 }),
    60000,
    'How often the recovery-point checkpoint is written.',
  ),
  'log.flush.start.offset.checkpoint.interval.ms': defaulted(
    intValue({ min: 0 }),
    60000,
    'How often the log-start-offset checkpoint is written.',
  ),
  'log.cleaner.enable': defaulted(
    booleanValue(),
    true,
    'Run the log cleaner (needed for compacted topics).',
  ),
  'log.cleaner.threads': defaulted(intValue({ min: 0 }), 1, 'Logs cleaned in parallel.'),
  'log.cleaner.backoff.ms': defaulted(
    longValue({ min: 0 }),
    15000,
    'Pause of the cleaner when no log needs cleaning.',
  ),
  'log.cleaner.dedupe.buffer.size': defaulted(
    longValue(),
    128 * MiB,
    'Memory for the key → offset map of compaction, over all cleaner threads.',
  ),
  'log.cleaner.io.buffer.size': defaulted(
    intValue({ min: 0 }),
    512 * 1024,
    'Read/write buffer memory of the cleaner, over all cleaner threads.',
  ),
  'log.cleaner.io.buffer.load.factor': defaulted(
    doubleValue(),
    0.9,
    'How full the compaction key map may get.',
  ),
  'log.cleaner.io.max.bytes.per.second': defaulted(
    doubleValue(),
    DOUBLE_MAX,
    'Throttle of cleaner reads and writes.',
  ),

  // --- Replication ---------------------------------------------------------------------------
  'replica.lag.time.max.ms': defaulted(
    longValue(),
    30000,
    'A follower that has not caught up within this long leaves the ISR.',
  ),
  'replica.fetch.max.bytes': defaulted(
    intValue({ min: 0 }),
    MiB,
    'Bytes a follower asks for per partition.',
  ),
  'replica.fetch.response.max.bytes': defaulted(
    intValue({ min: 0 }),
    10 * MiB,
    'Bytes a follower asks for per fetch.',
  ),
  'replica.fetch.wait.max.ms': defaulted(
    intValue(),
    500,
    'Longest a follower fetch waits for data.',
  ),
  'replica.fetch.min.bytes': defaulted(intValue(), 1, 'Bytes a follower fetch waits for.'),
  'replica.fetch.backoff.ms': defaulted(
    intValue({ min: 0 }),
    1000,
    'Pause after a failed follower fetch.',
  ),
  'replica.socket.timeout.ms': defaulted(intValue(), 30000, 'Socket timeout of follower fetches.'),
  'replica.socket.receive.buffer.bytes': defaulted(
    intValue(),
    64 * 1024,
    'SO_RCVBUF of follower connections.',
    informational,
  ),
  'replica.high.watermark.checkpoint.interval.ms': defaulted(
    longValue(),
    5000,
    'How often high watermarks are checkpointed.',
  ),
  'num.replica.fetchers': defaulted(
    intValue(),
    1,
    'Fetcher threads per source broker of a JVM broker.',
    informational,
  ),
  'controller.socket.timeout.ms': defaulted(
    intValue(),
    30000,
    'Socket timeout of controller-to-broker channels.',
  ),
  'auto.leader.rebalance.enable': defaulted(
    booleanValue(),
    true,
    'Move leadership back to preferred replicas periodically.',
  ),
  'leader.imbalance.check.interval.seconds': defaulted(
    longValue({ min: 1 }),
    300,
    'How often leader balance is checked.',
  ),
  'leader.imbalance.per.broker.percentage': defaulted(
    intValue(),
    10,
    'Leader imbalance per broker tolerated before rebalancing.',
  ),

  // --- Consumer groups and offsets -----------------------------------------------------------
  'group.initial.rebalance.delay.ms': defaulted(
    intValue(),
    3000,
    'How long a new group waits for more members before its first rebalance.',
  ),
  'group.min.session.timeout.ms': defaulted(
    intValue(),
    6000,
    'Smallest session timeout a member may ask for.',
  ),
  'group.max.session.timeout.ms': defaulted(
    intValue(),
    1800000,
    'Largest session timeout a member may ask for.',
  ),
  'group.max.size': defaulted(intValue({ min: 1 }), INT_MAX, 'Most members of one classic group.'),
  'offsets.topic.num.partitions': defaulted(
    intValue({ min: 1 }),
    50,
    'Partitions of __consumer_offsets (fixed once created).',
  ),
  'offsets.topic.replication.factor': defaulted(
    shortValue({ min: 1 }),
    3,
    'Replication factor of __consumer_offsets; its creation waits for that many brokers.',
  ),
  'offsets.topic.segment.bytes': defaulted(
    intValue({ min: 1 }),
    100 * MiB,
    'Segment size of __consumer_offsets.',
  ),
  'offsets.topic.compression.codec': defaulted(
    intValue({ min: 0, max: 4 }),
    0,
    'Compression of offset commits: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.',
  ),
  'offsets.retention.minutes': defaulted(
    intValue({ min: 1 }),
    10080,
    'How long committed offsets of an empty group are kept.',
  ),
  'offsets.retention.check.interval.ms': defaulted(
    longValue({ min: 1 }),
    600000,
    'How often expired offsets are looked for.',
  ),
  'offsets.commit.timeout.ms': defaulted(
    intValue({ min: 1 }),
    5000,
    'Longest an offset commit waits for replication.',
  ),
  'offsets.load.buffer.size': defaulted(
    intValue({ min: 1 }),
    5 * MiB,
    'Read size when loading __consumer_offsets.',
  ),
  'offset.metadata.max.bytes': defaulted(
    intValue(),
    4096,
    'Largest metadata string of an offset commit.',
  ),

  // --- Transactions and producer ids ---------------------------------------------------------
  'transaction.state.log.num.partitions': defaulted(
    intValue({ min: 1 }),
    50,
    'Partitions of __transaction_state (fixed once created).',
  ),
  'transaction.state.log.replication.factor': defaulted(
    shortValue({ min: 1 }),
    3,
    'Replication factor of __transaction_state; its creation waits for that many brokers.',
  ),
  'transaction.state.log.min.isr': defaulted(
    intValue({ min: 1 }),
    2,
    'min.insync.replicas of __transaction_state.',
  ),
  'transaction.state.log.segment.bytes': defaulted(
    intValue({ min: 1 }),
    100 * MiB,
    'Segment size of __transaction_state.',
  ),
  'transaction.state.log.load.buffer.size': defaulted(
    intValue({ min: 1 }),
    5 * MiB,
    'Read size when loading __transaction_state.',
  ),
  'transactional.id.expiration.ms': defaulted(
    intValue({ min: 1 }),
    604800000,
    'A transactional id unused this long is forgotten.',
  ),
  'transaction.max.timeout.ms': defaulted(
    intValue({ min: 1 }),
    900000,
    'Largest transaction timeout a producer may ask for.',
  ),
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': defaulted(
    intValue({ min: 1 }),
    10000,
    'How often timed-out transactions are aborted.',
  ),
  'transaction.remove.expired.transaction.cleanup.interval.ms': defaulted(
    intValue({ min: 1 }),
    3600000,
    'How often expired transactional ids are removed.',
  ),
  'producer.id.expiration.ms': defaulted(
    intValue({ min: 1 }),
    86400000,
    'Idempotent producer state unused this long is dropped.',
  ),

  // --- Share groups (state topic only) ------------------------------------------------------
  'share.coordinator.state.topic.num.partitions': defaulted(
    intValue({ min: 1 }),
    50,
    'Partitions of __share_group_state.',
  ),
  'share.coordinator.state.topic.replication.factor': defaulted(
    shortValue({ min: 1 }),
    3,
    'Replication factor of __share_group_state.',
  ),
  'share.coordinator.state.topic.min.isr': defaulted(
    shortValue({ min: 1 }),
    2,
    'min.insync.replicas of __share_group_state.',
  ),
  'share.coordinator.state.topic.segment.bytes': defaulted(
    intValue({ min: 1 }),
    100 * MiB,
    'Segment size of __share_group_state.',
  ),

  // --- Fetch limits --------------------------------------------------------------------------
  'fetch.max.bytes': defaulted(
    intValue({ min: 1024 }),
    55 * MiB,
    'Most bytes returned by one fetch.',
  ),
  'max.incremental.fetch.session.cache.slots': defaulted(
    intValue({ min: 0 }),
    1000,
    'Incremental fetch sessions kept.',
  ),
} as const;

type Declared = typeof DECLARED;

/** `log.cleaner.enable` → `logCleanerEnable`, at the type level. */
export type CamelCase<S extends string> = S extends `${infer Head}.${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

type ValueOf<D> =
  D extends BrokerConfigDef<infer T, infer P> ? (P extends 'optional' ? T | undefined : T) : never;

/** Every declared config, typed and keyed by the camelCase of its name. */
export type BrokerSettings = {
  -readonly [K in keyof Declared as CamelCase<K & string>]: ValueOf<Declared[K]>;
};

/** The table, in declaration order, each entry named. */
export const BROKER_CONFIG_DEFS: readonly BrokerConfigDef[] = Object.entries(DECLARED).map(
  ([name, def]) => ({ ...(def as BrokerConfigDef), name }),
);

const DEFS_BY_NAME: ReadonlyMap<string, BrokerConfigDef> = new Map(
  BROKER_CONFIG_DEFS.map((def) => [def.name, def]),
);

export function getBrokerConfigDef(name: string): BrokerConfigDef | undefined {
  return DEFS_BY_NAME.get(name);
}

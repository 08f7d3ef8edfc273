/**
 * Broker configs Kafka knows that this broker does not implement. Kafka's own example files
 * and real deployments carry them, so they are accepted with a warning rather than refused:
 * the broker starts and says what it ignores. ZooKeeper settings are the exception: a file
 * written for a ZooKeeper-mode cluster describes a different cluster, so it is refused.
 *
 * A pattern ending in `*` matches every name with that prefix.
 */

export interface UnsupportedConfigRule {
  readonly patterns: readonly string[];
  /** Why the config has no effect here (one line). */
  readonly reason: string;
}

/** Accepted with a warning. */
export const IGNORED_CONFIGS: readonly UnsupportedConfigRule[] = [
  {
    patterns: [
      'ssl.*',
      'sasl.*',
      'listener.name.*',
      'security.providers',
      'principal.builder.class',
      'connections.max.reauth.ms',
      'connection.failed.authentication.delay.ms',
      'delegation.token.*',
      'password.encoder.*',
    ],
    reason: 'TLS and SASL are not implemented; listeners must use PLAINTEXT',
  },
  {
    patterns: [
      'authorizer.class.name',
      'super.users',
      'allow.everyone.if.no.acl.found',
      'early.start.listeners',
    ],
    reason: 'authorization (ACLs) is not implemented; every request is allowed',
  },
  {
    patterns: [
      'metric.reporters',
      'metrics.*',
      'kafka.metrics.*',
      'auto.include.jmx.reporter',
      'client.telemetry.max.bytes',
    ],
    reason: 'metrics reporters are not implemented',
  },
  {
    patterns: [
      'quota.*',
      'replication.quota.*',
      'alter.log.dirs.replication.quota.*',
      'controller.quota.*',
      'client.quota.callback.class',
      'leader.replication.throttled.rate',
      'follower.replication.throttled.rate',
      'replica.alter.log.dirs.io.max.bytes.per.second',
    ],
    reason: 'quotas and replication throttles are not enforced',
  },
  {
    patterns: [
      'remote.log.*',
      'remote.fetch.max.wait.ms',
      'remote.list.offsets.request.timeout.ms',
      'follower.fetch.last.tiered.offset.enable',
    ],
    reason: 'tiered (remote) storage is not implemented',
  },
  {
    patterns: [
      'create.topic.policy.class.name',
      'alter.config.policy.class.name',
      'replica.selector.class',
      'config.providers',
      'config.providers.*',
    ],
    reason: 'Java plug-in classes cannot be loaded by this broker',
  },
  {
    patterns: [
      'group.coordinator.*',
      'group.consumer.*',
      'group.share.*',
      'group.streams.*',
      'share.*',
    ],
    reason:
      'only classic consumer groups are planned; this setting belongs to another group protocol',
  },
  {
    patterns: [
      'metadata.*',
      'controller.performance.*',
      'controller.max.records.per.batch',
      'controlled.shutdown.*',
      'server.max.startup.time.ms',
      'unstable.api.versions.enable',
      'unstable.feature.versions.enable',
      'log.dir.failure.timeout.ms',
      'log.initial.task.delay.ms',
      'cordoned.log.dirs',
      'num.replica.alter.log.dirs.threads',
      'queued.max.request.bytes',
      'socket.connection.setup.timeout.ms',
      'socket.connection.setup.timeout.max.ms',
      '*.purgatory.purge.interval.requests',
      'max.request.partition.size.limit',
      'transaction.partition.verification.enable',
      'transaction.two.phase.commit.enable',
      'add.partitions.to.txn.*',
      'producer.id.expiration.check.interval.ms',
      'reserved.broker.max.id',
    ],
    reason: 'a tuning setting of the JVM broker with no counterpart here',
  },
  {
    patterns: [
      'broker.id.generation.enable',
      'inter.broker.protocol.version',
      'log.message.format.version',
      'log.message.timestamp.difference.max.ms',
      'log.message.downconversion.enable',
      'control.plane.listener.name',
      'offsets.commit.required.acks',
    ],
    reason: 'no longer has an effect in Kafka 4',
  },
];

/** Refused: the file is for a ZooKeeper-mode cluster. */
export const REJECTED_CONFIGS: readonly UnsupportedConfigRule[] = [
  {
    patterns: ['zookeeper.*'],
    reason:
      'ZooKeeper mode is not supported; this broker runs in KRaft mode (set process.roles, node.id and controller.quorum.voters instead)',
  },
];

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith('*')) return name.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
  return name === pattern;
}

/** The first rule with a pattern matching `name`. */
export function findRule(
  rules: readonly UnsupportedConfigRule[],
  name: string,
): UnsupportedConfigRule | undefined {
  return rules.find((rule) => rule.patterns.some((pattern) => matches(pattern, name)));
}

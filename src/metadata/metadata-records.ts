/**
 * The KRaft metadata record types: Kafka's MetadataRecordType ids, their declarations, the
 * typed union every metadata module speaks, and a factory that fills Kafka's defaults.
 *
 * The storage layer's remote-log-segment records are also declared as "metadata" messages
 * and reuse ids 0-3, so the registry lists the KRaft records explicitly instead of
 * collecting every spec of that kind.
 */
import { defaultStruct } from '../protocol/codec/compile.js';
import type { MessageSpec } from '../protocol/messages/spec.js';
import {
  AbortTransactionRecordSpec,
  type AbortTransactionRecord,
} from '../protocol/messages/generated/abort-transaction-record.js';
import {
  AccessControlEntryRecordSpec,
  type AccessControlEntryRecord,
} from '../protocol/messages/generated/access-control-entry-record.js';
import {
  BeginTransactionRecordSpec,
  type BeginTransactionRecord,
} from '../protocol/messages/generated/begin-transaction-record.js';
import {
  BrokerRegistrationChangeRecordSpec,
  type BrokerRegistrationChangeRecord,
} from '../protocol/messages/generated/broker-registration-change-record.js';
import {
  ClientQuotaRecordSpec,
  type ClientQuotaRecord,
} from '../protocol/messages/generated/client-quota-record.js';
import {
  ConfigRecordSpec,
  type ConfigRecord,
} from '../protocol/messages/generated/config-record.js';
import {
  DelegationTokenRecordSpec,
  type DelegationTokenRecord,
} from '../protocol/messages/generated/delegation-token-record.js';
import {
  EndTransactionRecordSpec,
  type EndTransactionRecord,
} from '../protocol/messages/generated/end-transaction-record.js';
import {
  FeatureLevelRecordSpec,
  type FeatureLevelRecord,
} from '../protocol/messages/generated/feature-level-record.js';
import {
  FenceBrokerRecordSpec,
  type FenceBrokerRecord,
} from '../protocol/messages/generated/fence-broker-record.js';
import { NoOpRecordSpec, type NoOpRecord } from '../protocol/messages/generated/no-op-record.js';
import {
  PartitionChangeRecordSpec,
  type PartitionChangeRecord,
} from '../protocol/messages/generated/partition-change-record.js';
import {
  PartitionRecordSpec,
  type PartitionRecord,
} from '../protocol/messages/generated/partition-record.js';
import {
  ProducerIdsRecordSpec,
  type ProducerIdsRecord,
} from '../protocol/messages/generated/producer-ids-record.js';
import {
  RegisterBrokerRecordSpec,
  type RegisterBrokerRecord,
} from '../protocol/messages/generated/register-broker-record.js';
import {
  RegisterControllerRecordSpec,
  type RegisterControllerRecord,
} from '../protocol/messages/generated/register-controller-record.js';
import {
  RemoveAccessControlEntryRecordSpec,
  type RemoveAccessControlEntryRecord,
} from '../protocol/messages/generated/remove-access-control-entry-record.js';
import {
  RemoveDelegationTokenRecordSpec,
  type RemoveDelegationTokenRecord,
} from '../protocol/messages/generated/remove-delegation-token-record.js';
import {
  RemoveTopicRecordSpec,
  type RemoveTopicRecord,
} from '../protocol/messages/generated/remove-topic-record.js';
import {
  RemoveUserScramCredentialRecordSpec,
  type RemoveUserScramCredentialRecord,
} from '../protocol/messages/generated/remove-user-scram-credential-record.js';
import { TopicRecordSpec, type TopicRecord } from '../protocol/messages/generated/topic-record.js';
import {
  UnfenceBrokerRecordSpec,
  type UnfenceBrokerRecord,
} from '../protocol/messages/generated/unfence-broker-record.js';
import {
  UnregisterBrokerRecordSpec,
  type UnregisterBrokerRecord,
} from '../protocol/messages/generated/unregister-broker-record.js';
import {
  UserScramCredentialRecordSpec,
  type UserScramCredentialRecord,
} from '../protocol/messages/generated/user-scram-credential-record.js';
import {
  ZkMigrationStateRecordSpec,
  type ZkMigrationStateRecord,
} from '../protocol/messages/generated/zk-migration-state-record.js';

/** The body type of each metadata record, by Kafka's record name. */
export interface MetadataRecordBodies {
  RegisterBrokerRecord: RegisterBrokerRecord;
  UnregisterBrokerRecord: UnregisterBrokerRecord;
  TopicRecord: TopicRecord;
  PartitionRecord: PartitionRecord;
  ConfigRecord: ConfigRecord;
  PartitionChangeRecord: PartitionChangeRecord;
  FenceBrokerRecord: FenceBrokerRecord;
  UnfenceBrokerRecord: UnfenceBrokerRecord;
  RemoveTopicRecord: RemoveTopicRecord;
  DelegationTokenRecord: DelegationTokenRecord;
  UserScramCredentialRecord: UserScramCredentialRecord;
  FeatureLevelRecord: FeatureLevelRecord;
  ClientQuotaRecord: ClientQuotaRecord;
  ProducerIdsRecord: ProducerIdsRecord;
  BrokerRegistrationChangeRecord: BrokerRegistrationChangeRecord;
  AccessControlEntryRecord: AccessControlEntryRecord;
  RemoveAccessControlEntryRecord: RemoveAccessControlEntryRecord;
  NoOpRecord: NoOpRecord;
  ZkMigrationStateRecord: ZkMigrationStateRecord;
  RemoveUserScramCredentialRecord: RemoveUserScramCredentialRecord;
  BeginTransactionRecord: BeginTransactionRecord;
  AbortTransactionRecord: AbortTransactionRecord;
  EndTransactionRecord: EndTransactionRecord;
  RemoveDelegationTokenRecord: RemoveDelegationTokenRecord;
  RegisterControllerRecord: RegisterControllerRecord;
}

export type MetadataRecordName = keyof MetadataRecordBodies;

/**
 * One metadata record with the version it is (or will be) serialized in: Kafka's
 * ApiMessageAndVersion. A discriminated union, so `switch (record.type)` narrows `data`.
 */
export type MetadataRecord = {
  [Name in MetadataRecordName]: {
    readonly type: Name;
    readonly version: number;
    readonly data: MetadataRecordBodies[Name];
  };
}[MetadataRecordName];

/** The record of one given type. */
export type MetadataRecordOf<Name extends MetadataRecordName> = Extract<
  MetadataRecord,
  { type: Name }
>;

/** Every KRaft metadata record declaration, by name (Kafka's MetadataRecordType). */
export const METADATA_RECORD_SPECS: { readonly [Name in MetadataRecordName]: MessageSpec } = {
  RegisterBrokerRecord: RegisterBrokerRecordSpec,
  UnregisterBrokerRecord: UnregisterBrokerRecordSpec,
  TopicRecord: TopicRecordSpec,
  PartitionRecord: PartitionRecordSpec,
  ConfigRecord: ConfigRecordSpec,
  PartitionChangeRecord: PartitionChangeRecordSpec,
  FenceBrokerRecord: FenceBrokerRecordSpec,
  UnfenceBrokerRecord: UnfenceBrokerRecordSpec,
  RemoveTopicRecord: RemoveTopicRecordSpec,
  DelegationTokenRecord: DelegationTokenRecordSpec,
  UserScramCredentialRecord: UserScramCredentialRecordSpec,
  FeatureLevelRecord: FeatureLevelRecordSpec,
  ClientQuotaRecord: ClientQuotaRecordSpec,
  ProducerIdsRecord: ProducerIdsRecordSpec,
  BrokerRegistrationChangeRecord: BrokerRegistrationChangeRecordSpec,
  AccessControlEntryRecord: AccessControlEntryRecordSpec,
  RemoveAccessControlEntryRecord: RemoveAccessControlEntryRecordSpec,
  NoOpRecord: NoOpRecordSpec,
  ZkMigrationStateRecord: ZkMigrationStateRecordSpec,
  RemoveUserScramCredentialRecord: RemoveUserScramCredentialRecordSpec,
  BeginTransactionRecord: BeginTransactionRecordSpec,
  AbortTransactionRecord: AbortTransactionRecordSpec,
  EndTransactionRecord: EndTransactionRecordSpec,
  RemoveDelegationTokenRecord: RemoveDelegationTokenRecordSpec,
  RegisterControllerRecord: RegisterControllerRecordSpec,
};

export const METADATA_RECORD_NAMES = Object.keys(METADATA_RECORD_SPECS) as MetadataRecordName[];

/** Record type id (the declaration's apiKey) → record name. */
export const METADATA_RECORD_NAME_BY_TYPE: ReadonlyMap<number, MetadataRecordName> = new Map(
  METADATA_RECORD_NAMES.map((name) => [METADATA_RECORD_SPECS[name].apiKey!, name]),
);

/**
 * The metadata.version this node bootstraps a new cluster with: 21, Kafka 3.9's
 * IBP_3_9_IV0 (its latest production level, and the top of the range ApiVersions
 * advertises). Directory assignment (3.7-IV2) is on, ELR (4.0-IV1) is not.
 */
export const BOOTSTRAP_METADATA_VERSION = 21;

export const METADATA_VERSION_FEATURE = 'metadata.version';

/**
 * The record versions Kafka writes at metadata.version 3.9-IV0 (MetadataVersion's
 * partitionRecordVersion, registerBrokerRecordVersion, ...); 0 for everything else.
 */
const RECORD_VERSIONS_3_9: Partial<Record<MetadataRecordName, number>> = {
  RegisterBrokerRecord: 3,
  PartitionRecord: 1,
  PartitionChangeRecord: 1,
  BrokerRegistrationChangeRecord: 2,
};

export function recordVersionFor(name: MetadataRecordName): number {
  return RECORD_VERSIONS_3_9[name] ?? 0;
}

/**
 * A record of `type` whose unset fields take Kafka's defaults (PartitionChangeRecord's
 * "no change" sentinels included), in the version written at the bootstrap
 * metadata.version unless given.
 */
export function metadataRecord<Name extends MetadataRecordName>(
  type: Name,
  data: Partial<MetadataRecordBodies[Name]>,
  version: number = recordVersionFor(type),
): MetadataRecordOf<Name> {
  const filled = defaultStruct(METADATA_RECORD_SPECS[type]);
  for (const [field, value] of Object.entries(data)) {
    if (value !== undefined) filled[field] = value;
  }
  return { type, version, data: filled } as unknown as MetadataRecordOf<Name>;
}

/**
 * The ConfigRecords one config resource's change produces (Kafka's
 * ConfigurationControlManager). A resource's change is all or nothing: one bad key fails
 * the resource and writes none of its records.
 *
 * - Incremental (IncrementalAlterConfigs, topic creation): SET a value, DELETE it, APPEND
 *   to or SUBTRACT from a list (starting from the default when unset). A record is written
 *   only for keys whose value changes, except on BROKER resources, which always get one
 *   (KAFKA-14136: brokers reload on it).
 * - Legacy (AlterConfigs): the given configs replace the resource's: changed keys are set,
 *   keys not given are deleted.
 */
import { metadataRecord, type MetadataRecord } from '../metadata/metadata-records.js';
import { ConfigResourceType } from '../metadata/metadata-image.js';
import { ErrorCode } from '../protocol/errors.js';
import { apiError, NO_ERROR, type ApiError } from './api-error.js';
import {
  configKeyInfo,
  validateConfigResource,
  type ConfigResourceRef,
} from './config-validation.js';
import type { ControllerContext } from './controller-context.js';
import type { ControllerResult } from './controller-result.js';

/** Kafka's AlterConfigOp.OpType ids. */
export const AlterConfigOpType = { Set: 0, Delete: 1, Append: 2, Subtract: 3 } as const;

const OP_NAMES: Readonly<Record<number, string>> = {
  [AlterConfigOpType.Append]: 'APPEND',
  [AlterConfigOpType.Subtract]: 'SUBTRACT',
};

export interface KeyOperation {
  readonly op: number;
  readonly value: string | null;
}

function configRecord(
  resource: ConfigResourceRef,
  name: string,
  value: string | null,
): MetadataRecord {
  return metadataRecord('ConfigRecord', {
    resourceType: resource.type,
    resourceName: resource.name,
    name,
    value,
  });
}

function listParts(value: string | null): string[] {
  return value === null ? [] : value.split(',').filter((part) => part !== '');
}

/** The configs of the resource once `records` apply. */
function configsAfter(
  current: ReadonlyMap<string, string>,
  changes: ReadonlyMap<string, string | null>,
): Map<string, string> {
  const after = new Map(current);
  for (const [key, value] of changes) {
    if (value === null) after.delete(key);
    else after.set(key, value);
  }
  return after;
}

function resultOf(
  context: ControllerContext,
  resource: ConfigResourceRef,
  current: ReadonlyMap<string, string>,
  changes: ReadonlyMap<string, string | null>,
  newlyCreated: boolean,
): ControllerResult<ApiError> {
  const error = validateConfigResource(
    context,
    resource,
    configsAfter(current, changes),
    newlyCreated,
  );
  if (error) return { records: [], response: error };
  const alwaysWrite = resource.type === ConfigResourceType.Broker;
  const records: MetadataRecord[] = [];
  for (const [key, value] of changes) {
    if (alwaysWrite || (current.get(key) ?? null) !== value)
      records.push(configRecord(resource, key, value));
  }
  return { records, response: NO_ERROR };
}

export function incrementalConfigChange(
  context: ControllerContext,
  resource: ConfigResourceRef,
  operations: ReadonlyMap<string, KeyOperation>,
  newlyCreated: boolean,
): ControllerResult<ApiError> {
  const current = context.image.configsOf(resource.type, resource.name);
  const changes = new Map<string, string | null>();
  for (const [key, { op, value }] of operations) {
    const currentValue = current.get(key) ?? null;
    switch (op) {
      case AlterConfigOpType.Set:
        changes.set(key, value);
        break;
      case AlterConfigOpType.Delete:
        changes.set(key, null);
        break;
      case AlterConfigOpType.Append:
      case AlterConfigOpType.Subtract: {
        const info = configKeyInfo(resource, key);
        if (!info.isList) {
          return {
            records: [],
            response: apiError(
              ErrorCode.INVALID_CONFIG,
              `Can't ${OP_NAMES[op]} to key ${key} because its type is not LIST.`,
            ),
          };
        }
        const parts = listParts(currentValue ?? info.defaultValue);
        const operands = (value ?? '').split(',');
        const next =
          op === AlterConfigOpType.Append
            ? [
                ...parts,
                ...operands.filter((v, i) => !parts.includes(v) && operands.indexOf(v) === i),
              ]
            : parts.filter((part) => !operands.includes(part));
        changes.set(key, next.join(','));
        break;
      }
      default:
        return {
          records: [],
          response: apiError(
            ErrorCode.INVALID_REQUEST,
            `Unknown config operation ${op} for key ${key}.`,
          ),
        };
    }
  }
  return resultOf(context, resource, current, changes, newlyCreated);
}

export function legacyConfigChange(
  context: ControllerContext,
  resource: ConfigResourceRef,
  newConfigs: ReadonlyMap<string, string>,
): ControllerResult<ApiError> {
  const current = context.image.configsOf(resource.type, resource.name);
  const changes = new Map<string, string | null>(newConfigs);
  for (const key of current.keys()) {
    if (!newConfigs.has(key)) changes.set(key, null);
  }
  return resultOf(context, resource, current, changes, false);
}

/**
 * IncrementalAlterConfigs and (legacy) AlterConfigs for TOPIC and BROKER resources: the
 * request checks Kafka's broker does before forwarding (ConfigAdminManager: duplicate keys,
 * null values) and the controller does (ControllerApis: duplicate resources), then one
 * config change per resource (config-changes.ts). All resources' records form one batch.
 */
import { configResourceKey, ConfigResourceType } from '../metadata/metadata-image.js';
import type { MetadataRecord } from '../metadata/metadata-records.js';
import { ErrorCode } from '../protocol/errors.js';
import { apiError, isFailure, type ApiError } from './api-error.js';
import {
  AlterConfigOpType,
  incrementalConfigChange,
  legacyConfigChange,
  type KeyOperation,
} from './config-changes.js';
import { unsupportedResourceType, type ConfigResourceRef } from './config-validation.js';
import type { ControllerContext } from './controller-context.js';
import {
  EXCESSIVE_BATCH_MESSAGE,
  MAX_RECORDS_PER_USER_OP,
  type ControllerResult,
} from './controller-result.js';

export interface IncrementalAlterConfigsResource {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly {
    readonly name: string;
    readonly configOperation: number;
    readonly value: string | null;
  }[];
}

export interface AlterConfigsResource {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly { readonly name: string; readonly value: string | null }[];
}

export interface AlterConfigsResourceResult {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

interface ResourceRequest<Entry> {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly Entry[];
}

/** Checks shared by both APIs; null when the resource's request is well formed. */
function checkResourceRequest(
  resource: ResourceRequest<{ name: string; value: string | null }>,
  valueRequired: (entry: { name: string; value: string | null }) => boolean,
): ApiError | null {
  if (
    resource.resourceType !== ConfigResourceType.Topic &&
    resource.resourceType !== ConfigResourceType.Broker
  ) {
    return unsupportedResourceType(resource.resourceType);
  }
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const entry of resource.configs) {
    if (seen.has(entry.name)) duplicates.add(entry.name);
    seen.add(entry.name);
  }
  if (duplicates.size > 0) {
    return apiError(
      ErrorCode.INVALID_REQUEST,
      `Error due to duplicate config keys : ${[...duplicates].join(',')}`,
    );
  }
  const nulls = resource.configs.filter((entry) => entry.value === null && valueRequired(entry));
  if (nulls.length > 0) {
    return apiError(
      ErrorCode.INVALID_REQUEST,
      `Null value not supported for : ${nulls.map((entry) => entry.name).join(', ')}`,
    );
  }
  return null;
}

/** Runs `change` for each distinct resource; a resource named twice fails as a duplicate. */
function alterEach<Entry extends { name: string; value: string | null }>(
  resources: readonly ResourceRequest<Entry>[],
  valueRequired: (entry: Entry) => boolean,
  change: (resource: ConfigResourceRef, configs: readonly Entry[]) => ControllerResult<ApiError>,
): ControllerResult<AlterConfigsResourceResult[]> {
  const counts = new Map<string, number>();
  for (const resource of resources) {
    const key = configResourceKey(resource.resourceType, resource.resourceName);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const records: MetadataRecord[] = [];
  const results: AlterConfigsResourceResult[] = [];
  const done = new Set<string>();
  for (const resource of resources) {
    const key = configResourceKey(resource.resourceType, resource.resourceName);
    if (done.has(key)) continue;
    done.add(key);
    let error: ApiError;
    if (counts.get(key)! > 1) {
      error = apiError(ErrorCode.INVALID_REQUEST, 'Duplicate resource.');
    } else {
      const invalid = checkResourceRequest(resource, (entry) => valueRequired(entry as Entry));
      if (invalid) {
        error = invalid;
      } else {
        const result = change(
          { type: resource.resourceType, name: resource.resourceName },
          resource.configs,
        );
        records.push(...result.records);
        error = result.response;
      }
    }
    results.push({
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
      errorCode: error.code,
      errorMessage: isFailure(error) ? error.message : null,
    });
  }
  if (records.length > MAX_RECORDS_PER_USER_OP) {
    return {
      records: [],
      response: results.map((result) => ({
        ...result,
        errorCode: ErrorCode.POLICY_VIOLATION,
        errorMessage: EXCESSIVE_BATCH_MESSAGE,
      })),
    };
  }
  return { records, response: results };
}

export function incrementalAlterConfigs(
  context: ControllerContext,
  resources: readonly IncrementalAlterConfigsResource[],
): ControllerResult<AlterConfigsResourceResult[]> {
  return alterEach(
    resources,
    (entry) => entry.configOperation !== AlterConfigOpType.Delete,
    (resource, configs) => {
      const operations = new Map<string, KeyOperation>(
        configs.map((entry) => [entry.name, { op: entry.configOperation, value: entry.value }]),
      );
      return incrementalConfigChange(context, resource, operations, false);
    },
  );
}

export function legacyAlterConfigs(
  context: ControllerContext,
  resources: readonly AlterConfigsResource[],
): ControllerResult<AlterConfigsResourceResult[]> {
  return alterEach(
    resources,
    () => true,
    (resource, configs) =>
      legacyConfigChange(
        context,
        resource,
        new Map(configs.map((entry) => [entry.name, entry.value ?? ''])),
      ),
  );
}

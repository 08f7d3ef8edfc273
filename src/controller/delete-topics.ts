/**
 * DeleteTopics by name (v0-5) or by id (v6+), as Kafka's ControllerApis and
 * ReplicationControlManager decide it: delete.topic.enable=false fails every topic with
 * TOPIC_DELETION_DISABLED (the handler answers INVALID_REQUEST to versions below 3, as
 * Kafka does); a name or id given twice fails with INVALID_REQUEST; an unknown name is
 * UNKNOWN_TOPIC_OR_PARTITION, an unknown id UNKNOWN_TOPIC_ID, the zero id INVALID_REQUEST.
 * Each deleted topic is one RemoveTopicRecord; replaying it drops the topic's partitions
 * and configs. All deletions form one batch.
 */
import { metadataRecord, type MetadataRecord } from '../metadata/metadata-records.js';
import { ErrorCode } from '../protocol/errors.js';
import { ZERO_UUID } from '../protocol/primitives/uuid.js';
import { apiError, type ApiError } from './api-error.js';
import type { ControllerContext } from './controller-context.js';
import type { ControllerResult } from './controller-result.js';

/** A topic to delete: by name, or (name null) by id. */
export interface DeleteTopicTarget {
  readonly name: string | null;
  readonly topicId: string;
}

export interface DeleteTopicResult {
  /** The topic's name, when known. */
  readonly name: string | null;
  readonly topicId: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

function result(
  target: DeleteTopicTarget,
  error: ApiError,
  name = target.name,
  id = target.topicId,
): DeleteTopicResult {
  return { name, topicId: id, errorCode: error.code, errorMessage: error.message };
}

function keyOf(target: DeleteTopicTarget): string {
  return target.name !== null ? `name:${target.name}` : `id:${target.topicId}`;
}

export function deleteTopics(
  context: ControllerContext,
  targets: readonly DeleteTopicTarget[],
): ControllerResult<DeleteTopicResult[]> {
  const { image, settings } = context;
  if (!settings.deleteTopicEnable) {
    const disabled = apiError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    return { records: [], response: targets.map((target) => result(target, disabled)) };
  }
  const occurrences = new Map<string, number>();
  for (const target of targets)
    occurrences.set(keyOf(target), (occurrences.get(keyOf(target)) ?? 0) + 1);

  const records: MetadataRecord[] = [];
  const results: DeleteTopicResult[] = [];
  const answered = new Set<string>();
  const deletedIds = new Set<string>();
  for (const target of targets) {
    const key = keyOf(target);
    if (answered.has(key)) continue;
    answered.add(key);
    if (occurrences.get(key)! > 1) {
      const what = target.name !== null ? 'name' : 'id';
      results.push(result(target, apiError(ErrorCode.INVALID_REQUEST, `Duplicate topic ${what}.`)));
      continue;
    }
    let topic;
    if (target.name !== null) {
      topic = image.topic(target.name);
      if (!topic) {
        results.push(
          result(target, apiError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), target.name, ZERO_UUID),
        );
        continue;
      }
    } else if (target.topicId === ZERO_UUID) {
      results.push(
        result(
          target,
          apiError(
            ErrorCode.INVALID_REQUEST,
            `Attempt to find topic with invalid topicId ${target.topicId}`,
          ),
        ),
      );
      continue;
    } else {
      topic = image.topicById(target.topicId);
      if (!topic) {
        results.push(result(target, apiError(ErrorCode.UNKNOWN_TOPIC_ID)));
        continue;
      }
    }
    if (deletedIds.has(topic.id)) {
      // Named once and identified once: the same topic twice.
      results.push(
        result(
          target,
          apiError(ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'),
          topic.name,
          topic.id,
        ),
      );
      continue;
    }
    deletedIds.add(topic.id);
    records.push(metadataRecord('RemoveTopicRecord', { topicId: topic.id }));
    results.push({
      name: topic.name,
      topicId: topic.id,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
    });
  }
  return { records, response: results };
}

/**
 * Kafka's topic name rules (org.apache.kafka.common.internals.Topic): ASCII alphanumerics,
 * '.', '_' and '-', 1 to 249 characters, not "." or "..". Names that differ only by '.'
 * versus '_' collide, because metric names turn '.' into '_'.
 */
import { CLUSTER_METADATA_TOPIC } from '../log/log-dir.js';

export const MAX_TOPIC_NAME_LENGTH = 249;

/** KRaft's own log; no client may create it as a topic. */
export const CLUSTER_METADATA_TOPIC_NAME = CLUSTER_METADATA_TOPIC;

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** Kafka's message for an illegal name, or null when the name is legal. */
export function topicNameError(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, Topic name: ${name}`;
  }
  if (!LEGAL_TOPIC_NAME.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

export function hasCollisionChars(name: string): boolean {
  return name.includes('.') || name.includes('_');
}

/** The form two colliding names share: every '.' as '_'. */
export function unifyCollisionChars(name: string): string {
  return name.replaceAll('.', '_');
}

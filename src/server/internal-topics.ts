/**
 * Creates an internal topic on first use, as Kafka's brokers do for `__consumer_offsets`
 * when a client first looks for a group coordinator: one creation at a time per topic,
 * awaited until this broker has applied it, so the caller can answer with the coordinator.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { CreatableTopic } from '../controller/create-topics.js';
import { GROUP_METADATA_TOPIC } from '../coordinator/group/index.js';
import { ErrorCode } from '../protocol/errors.js';
import type { BrokerServices } from './broker-services.js';

type Creator = Pick<BrokerServices, 'controller' | 'image' | 'metadataApplied'>;

export class InternalTopics {
  private readonly creating = new Map<string, Promise<number>>();

  constructor(private readonly services: Creator) {}

  /** Resolves to NONE once the topic exists here, else the creation's error code. */
  ensure(topic: CreatableTopic): Promise<number> {
    if (this.services.image().topic(topic.name) !== undefined)
      return Promise.resolve(ErrorCode.NONE);
    let pending = this.creating.get(topic.name);
    if (pending === undefined) {
      pending = this.create(topic).finally(() => this.creating.delete(topic.name));
      this.creating.set(topic.name, pending);
    }
    return pending;
  }

  private async create(topic: CreatableTopic): Promise<number> {
    const [result] = await this.services.controller.createTopics([topic], { validateOnly: false });
    const created =
      result.errorCode === ErrorCode.NONE || result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS;
    if (!created) return result.errorCode;
    await this.services.metadataApplied();
    return ErrorCode.NONE;
  }
}

/** `__consumer_offsets` as Kafka creates it: compacted, sized by `offsets.topic.*`. */
export function offsetsTopicSpec(config: BrokerConfig): CreatableTopic {
  return {
    name: GROUP_METADATA_TOPIC,
    numPartitions: config.offsetsTopicNumPartitions,
    replicationFactor: config.offsetsTopicReplicationFactor,
    assignments: [],
    configs: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'compression.type', value: 'producer' },
      { name: 'segment.bytes', value: String(config.offsetsTopicSegmentBytes) },
    ],
  };
}

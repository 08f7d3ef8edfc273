/**
 * The quorum controller: the one writer of the metadata log. Each operation runs alone on
 * the event queue, decides its records and response from the committed image (the pure
 * functions of this directory), appends the records as one atomic batch through the
 * MetadataQuorum, and answers once they are committed, so the published image already
 * shows the change when the caller hears back.
 *
 * The quorum is single-voter today (MetadataLog); a Raft quorum slots in behind the same
 * interface. What then changes here: only the active controller (the Raft leader) accepts
 * operations (others answer NOT_CONTROLLER), and the controller must be started again
 * (bootstrap check, live sessions reset) whenever it becomes leader.
 */
import { randomFillSync } from 'node:crypto';
import type { MetadataImage } from '../metadata/metadata-image.js';
import type { MetadataQuorum } from '../metadata/metadata-quorum.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import {
  incrementalAlterConfigs,
  legacyAlterConfigs,
  type AlterConfigsResource,
  type AlterConfigsResourceResult,
  type IncrementalAlterConfigsResource,
} from './alter-configs.js';
import type { ControllerContext, ControllerSettings } from './controller-context.js';
import type { ControllerResult } from './controller-result.js';
import {
  createPartitions,
  type CreatePartitionsTopic,
  type CreatePartitionsTopicResult,
} from './create-partitions.js';
import { createTopics, type CreatableTopic, type CreateTopicResult } from './create-topics.js';
import { deleteTopics, type DeleteTopicResult, type DeleteTopicTarget } from './delete-topics.js';
import { EventQueue } from './event-queue.js';
import { bootstrapRecords } from './feature-bootstrap.js';
import { allocateProducerIds, type ProducerIdsBlock } from './producer-ids.js';
import {
  registerBroker,
  type BrokerRegistrationReply,
  type BrokerRegistrationRequest,
} from './register-broker.js';

export interface QuorumControllerOptions {
  readonly quorum: MetadataQuorum;
  readonly settings: ControllerSettings;
  /** [0, 1); Math.random by default. */
  readonly random?: () => number;
  /** New Kafka UUIDs (topic ids); random by default. */
  readonly newUuid?: () => string;
  /**
   * Unfence a broker in its registration batch. True until broker heartbeats exist: a
   * single node is caught up with its own log by construction.
   */
  readonly unfenceOnRegistration?: boolean;
}

export interface ValidateOnlyOption {
  readonly validateOnly: boolean;
}

export class QuorumController {
  private readonly queue = new EventQueue();
  private readonly quorum: MetadataQuorum;
  private readonly settings: ControllerSettings;
  private readonly random: () => number;
  private readonly newUuid: () => string;
  private readonly unfenceOnRegistration: boolean;
  /**
   * Broker id → epoch of the registration made through this controller instance: the live
   * sessions a re-registration with another incarnation id would clash with. A restarted
   * controller starts without sessions, as Kafka's heartbeat manager does.
   */
  private readonly liveSessions = new Map<number, bigint>();

  private constructor(options: QuorumControllerOptions) {
    this.quorum = options.quorum;
    this.settings = options.settings;
    this.random = options.random ?? Math.random;
    this.newUuid = options.newUuid ?? (() => randomUuid((buf) => randomFillSync(buf)));
    this.unfenceOnRegistration = options.unfenceOnRegistration ?? true;
  }

  /** Starts the controller; a new cluster is bootstrapped (metadata.version) first. */
  static async start(options: QuorumControllerOptions): Promise<QuorumController> {
    const controller = new QuorumController(options);
    await controller.write(({ image }) => ({
      records: bootstrapRecords(image),
      response: undefined,
    }));
    return controller;
  }

  /** The committed image. */
  get image(): MetadataImage {
    return this.quorum.image;
  }

  registerBroker(request: BrokerRegistrationRequest): Promise<BrokerRegistrationReply> {
    return this.queue.run(async () => {
      const result = registerBroker(this.context(), request, {
        brokerEpoch: this.quorum.nextWriteOffset,
        hasLiveSession: (brokerId, epoch) => this.liveSessions.get(brokerId) === epoch,
        unfence: this.unfenceOnRegistration,
      });
      await this.appendIfAny(result);
      if (result.records.length > 0)
        this.liveSessions.set(request.brokerId, result.response.brokerEpoch);
      return result.response;
    });
  }

  createTopics(
    topics: readonly CreatableTopic[],
    options: ValidateOnlyOption,
  ): Promise<CreateTopicResult[]> {
    return this.write((context) => createTopics(context, topics, options));
  }

  deleteTopics(targets: readonly DeleteTopicTarget[]): Promise<DeleteTopicResult[]> {
    return this.write((context) => deleteTopics(context, targets));
  }

  createPartitions(
    topics: readonly CreatePartitionsTopic[],
    options: ValidateOnlyOption,
  ): Promise<CreatePartitionsTopicResult[]> {
    return this.write((context) => createPartitions(context, topics, options));
  }

  incrementalAlterConfigs(
    resources: readonly IncrementalAlterConfigsResource[],
    options: ValidateOnlyOption,
  ): Promise<AlterConfigsResourceResult[]> {
    return this.write((context) => {
      const result = incrementalAlterConfigs(context, resources);
      return options.validateOnly ? { records: [], response: result.response } : result;
    });
  }

  alterConfigs(
    resources: readonly AlterConfigsResource[],
    options: ValidateOnlyOption,
  ): Promise<AlterConfigsResourceResult[]> {
    return this.write((context) => {
      const result = legacyAlterConfigs(context, resources);
      return options.validateOnly ? { records: [], response: result.response } : result;
    });
  }

  allocateProducerIds(brokerId: number, brokerEpoch: bigint): Promise<ProducerIdsBlock> {
    return this.write((context) => allocateProducerIds(context, brokerId, brokerEpoch));
  }

  /** Resolves once every operation submitted so far has finished. */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  private context(): ControllerContext {
    return {
      image: this.quorum.image,
      settings: this.settings,
      random: this.random,
      newUuid: this.newUuid,
    };
  }

  private write<T>(decide: (context: ControllerContext) => ControllerResult<T>): Promise<T> {
    return this.queue.run(async () => {
      const result = decide(this.context());
      await this.appendIfAny(result);
      return result.response;
    });
  }

  private async appendIfAny(result: ControllerResult<unknown>): Promise<void> {
    if (result.records.length > 0) await this.quorum.append(result.records);
  }
}

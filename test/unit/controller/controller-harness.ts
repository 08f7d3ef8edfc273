import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControllerSettings } from '../../../src/controller/controller-context.js';
import { QuorumController } from '../../../src/controller/quorum-controller.js';
import type { BrokerRegistrationReply } from '../../../src/controller/register-broker.js';
import { MetadataLog } from '../../../src/metadata/metadata-log.js';
import { uuidFromBytes } from '../../../src/protocol/primitives/uuid.js';

export const NODE_ID = 1;

/** A directory id per broker, so placement's directory choice is visible. */
export function brokerDirectory(brokerId: number): string {
  const bytes = Buffer.alloc(16, 0x22);
  bytes[15] = brokerId;
  return uuidFromBytes(bytes);
}

/** Deterministic topic ids: 0x11 then a counter. */
function uuidSequence(): () => string {
  let next = 0;
  return () => {
    const bytes = Buffer.alloc(16);
    bytes[0] = 0x11;
    bytes.writeUInt32BE(++next, 12);
    return uuidFromBytes(bytes);
  };
}

export class ControllerHarness {
  log!: MetadataLog;
  controller!: QuorumController;
  random = () => 0;

  private constructor(
    readonly dir: string,
    readonly settings: ControllerSettings,
  ) {}

  static async start(settings: Partial<ControllerSettings> = {}): Promise<ControllerHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'controller-'));
    const harness = new ControllerHarness(dir, {
      nodeId: NODE_ID,
      defaultNumPartitions: 1,
      defaultReplicationFactor: 1,
      deleteTopicEnable: true,
      staticTopicDefaults: {},
      ...settings,
    });
    await harness.open();
    return harness;
  }

  private async open(): Promise<void> {
    this.log = await MetadataLog.open(this.dir, NODE_ID);
    this.controller = await QuorumController.start({
      quorum: this.log,
      settings: this.settings,
      random: () => this.random(),
      newUuid: uuidSequence(),
    });
  }

  /** Closes and reopens the log and the controller, as a process restart does. */
  async restart(): Promise<void> {
    await this.controller.drain();
    await this.log.close();
    await this.open();
  }

  get image() {
    return this.log.image;
  }

  register(brokerId: number, incarnation = brokerId): Promise<BrokerRegistrationReply> {
    const incarnationBytes = Buffer.alloc(16, 0x33);
    incarnationBytes[15] = incarnation;
    return this.controller.registerBroker({
      brokerId,
      incarnationId: uuidFromBytes(incarnationBytes),
      listeners: [
        { name: 'PLAINTEXT', host: 'localhost', port: 9090 + brokerId, securityProtocol: 0 },
      ],
      rack: null,
      features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 21 }],
      logDirs: [brokerDirectory(brokerId)],
    });
  }

  async close(): Promise<void> {
    await this.controller.drain().catch(() => undefined);
    await this.log.close().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

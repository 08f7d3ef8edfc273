import { decodeResponse, encodeRequest, type ApiKeyNumber } from '../../src/protocol/api.js';
import type { Encodable } from '../../src/protocol/codec/compile.js';
import type {
  RequestsByApiKey,
  ResponsesByApiKey,
} from '../../src/protocol/messages/generated/index.js';
import { WireClient } from './wire-client.js';

/**
 * One Kafka connection for tests that speak the protocol directly: typed requests of any
 * version, one at a time, each answered in order. Requests that park in the broker (a
 * JoinGroup waiting for a rebalance, a SyncGroup waiting for the leader) need a connection
 * of their own, as a client's member would have: open one per member.
 */
export class KafkaConnection {
  private correlationId = 0;
  /** Responses come back in request order: each call reads its frame after the previous. */
  private lastRead: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly wire: WireClient,
    readonly clientId: string,
  ) {}

  static async open(port: number, clientId: string, host = '127.0.0.1'): Promise<KafkaConnection> {
    return new KafkaConnection(await WireClient.connect(port, host), clientId);
  }

  /** Sends the request now and resolves with its decoded response body. */
  call<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    body: Encodable<RequestsByApiKey[K]>,
    timeoutMs = 10_000,
  ): Promise<ResponsesByApiKey[K]> {
    const correlationId = ++this.correlationId;
    this.wire.send(encodeRequest(apiKey, version, correlationId, this.clientId, body));
    const read = this.lastRead.then(async () => {
      const response = decodeResponse(apiKey, version, await this.wire.nextFrame(timeoutMs));
      if (response.header.correlationId !== correlationId) {
        throw new Error(
          `correlation id ${response.header.correlationId} answered request ${correlationId}`,
        );
      }
      return response.body;
    });
    this.lastRead = read.catch(() => undefined);
    return read;
  }

  close(): void {
    this.wire.destroy();
  }
}

/**
 * A consumer protocol subscription (ConsumerProtocolSubscription v0, as Kafka's
 * ConsumerProtocol serializes it): int16 version, int32 topic count, int16-length topic
 * names, int32 user data length (-1: null).
 */
export function consumerSubscription(topics: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(6);
  head.writeInt16BE(0, 0);
  head.writeInt32BE(topics.length, 2);
  parts.push(head);
  for (const topic of topics) {
    const name = Buffer.from(topic, 'utf8');
    const length = Buffer.alloc(2);
    length.writeInt16BE(name.length, 0);
    parts.push(length, name);
  }
  const userData = Buffer.alloc(4);
  userData.writeInt32BE(-1, 0);
  parts.push(userData);
  return Buffer.concat(parts);
}

import net, { type Socket } from 'node:net';
import type { Encodable } from '../protocol/codec/compile.js';
import { decodeResponse, encodeRequest, type ApiKeyNumber } from '../protocol/api.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { FrameReceiver } from './frame-receiver.js';
import {
  ApiKey,
  apiSpecs,
  type RequestsByApiKey,
  type ResponsesByApiKey,
} from '../protocol/messages/generated/index.js';

/**
 * One client connection to a Kafka node: size-prefixed framing, correlation ids, any number
 * of requests in flight (answered in order by the broker, matched here by correlation id),
 * per-request timeouts, and ApiVersions negotiation (the highest version both sides support).
 */

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId?: string;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
  /** Connect timeout (default 10 s). */
  connectTimeoutMs?: number;
  /** Skip ApiVersions on connect; then every call must give an explicit version. */
  skipVersionNegotiation?: boolean;
}

interface Pending {
  apiKey: number;
  apiVersion: number;
  resolve(frame: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class ConnectionClosedError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.NETWORK_EXCEPTION, message);
  }
}

export class RequestTimeoutError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.REQUEST_TIMED_OUT, message);
  }
}

/** The highest ApiVersions version this client sends first (falls back per KIP-511). */
const API_VERSIONS_MAX = 4;

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  private readonly requestTimeoutMs: number;
  private socket: net.Socket | null = null;
  private nextCorrelationId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly receiver = new FrameReceiver((frame) => this.onFrame(frame));
  private closedError: Error | null = null;
  /** The broker's advertised ranges, by API key. */
  private brokerVersions = new Map<number, { min: number; max: number }>();

  private constructor(options: ConnectionOptions) {
    this.host = options.host;
    this.port = options.port;
    this.clientId = options.clientId ?? 'kafka-ts-client';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** Connects and (unless told not to) negotiates API versions. */
  static async connect(options: ConnectionOptions): Promise<Connection> {
    const connection = new Connection(options);
    await connection.open(options.connectTimeoutMs ?? 10_000);
    if (!options.skipVersionNegotiation) {
      try {
        await connection.negotiateVersions();
      } catch (err) {
        connection.close();
        throw err;
      }
    }
    return connection;
  }

  get isClosed(): boolean {
    return this.closedError !== null;
  }

  get inFlightCount(): number {
    return this.pending.size;
  }

  private open(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        host: this.host,
        port: this.port,
        onread: { buffer: () => this.receiver.nextBuffer(), callback: (n) => this.onRead(n) },
      });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new ConnectionClosedError(`connect to ${this.address} timed out after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new ConnectionClosedError(`connect to ${this.address} failed: ${err.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        this.socket = socket;
        socket.on('error', (err) =>
          this.fail(new ConnectionClosedError(`${this.address}: ${err.message}`)),
        );
        socket.on('close', () =>
          this.fail(new ConnectionClosedError(`connection to ${this.address} closed`)),
        );
        resolve();
      });
    });
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Sends ApiVersions (highest first, then the version the broker names) and records the ranges. */
  async negotiateVersions(): Promise<void> {
    let version = API_VERSIONS_MAX;
    for (let attempt = 0; attempt < 2; attempt++) {
      const frame = (await this.sendRaw(
        ApiKey.ApiVersions,
        version,
        { clientSoftwareName: 'kafka-ts', clientSoftwareVersion: '0.1.0' },
        true,
        this.requestTimeoutMs,
      ))!;
      // A broker that does not know our version answers at v0 with UNSUPPORTED_VERSION
      // (KIP-511); the error code is the first body field in every version, so peek at it.
      const unsupported =
        frame.length >= 6 && frame.readInt16BE(4) === ErrorCode.UNSUPPORTED_VERSION;
      const response = decodeResponse(ApiKey.ApiVersions, unsupported ? 0 : version, frame).body;
      if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
        const range = response.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
        version = Math.min(range?.maxVersion ?? 0, API_VERSIONS_MAX);
        continue;
      }
      if (response.errorCode !== 0) throw new KafkaError(response.errorCode);
      this.brokerVersions = new Map(
        response.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]),
      );
      return;
    }
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, 'ApiVersions negotiation failed');
  }

  /** The broker's range for an API, if it advertised one. */
  brokerRange(apiKey: number): { min: number; max: number } | undefined {
    return this.brokerVersions.get(apiKey);
  }

  /**
   * The highest version both this client (its message definitions, capped by `clientMax`)
   * and the broker support; throws UNSUPPORTED_VERSION when the ranges do not overlap.
   */
  versionFor(apiKey: number, clientMax?: number, clientMin?: number): number {
    const spec = apiSpecs.get(apiKey);
    if (!spec) throw new RangeError(`unknown api key ${apiKey}`);
    const [specMin, specMax] = spec.request.validVersions;
    const ours = {
      min: Math.max(specMin, clientMin ?? specMin),
      max: Math.min(specMax, clientMax ?? specMax),
    };
    const theirs = this.brokerVersions.get(apiKey);
    if (!theirs) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_VERSION,
        `broker ${this.address} does not support api key ${apiKey}`,
      );
    }
    const max = Math.min(ours.max, theirs.max);
    if (max < Math.max(ours.min, theirs.min)) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_VERSION,
        `no common version for api key ${apiKey}: client ${ours.min}-${ours.max}, broker ${theirs.min}-${theirs.max}`,
      );
    }
    return max;
  }

  /** Sends a request and resolves with its decoded response body. */
  async send<K extends ApiKeyNumber>(
    apiKey: K,
    apiVersion: number,
    body: Encodable<RequestsByApiKey[K]>,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<ResponsesByApiKey[K]> {
    const frame = await this.sendRaw(apiKey, apiVersion, body, true, timeoutMs);
    return decodeResponse(apiKey, apiVersion, frame!).body;
  }

  /** Sends a request that gets no response (acks=0 produce); resolves once written. */
  async sendNoResponse<K extends ApiKeyNumber>(
    apiKey: K,
    apiVersion: number,
    body: Encodable<RequestsByApiKey[K]>,
  ): Promise<void> {
    await this.sendRaw(apiKey, apiVersion, body, false, 0);
  }

  private sendRaw<K extends ApiKeyNumber>(
    apiKey: K,
    apiVersion: number,
    body: Encodable<RequestsByApiKey[K]>,
    expectResponse: boolean,
    timeoutMs: number,
  ): Promise<Buffer | null> {
    if (this.closedError || !this.socket)
      return Promise.reject(this.closedError ?? new ConnectionClosedError('not connected'));
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const buffers = encodeRequest(apiKey, apiVersion, correlationId, this.clientId, body);
    const socket = this.socket;
    if (!expectResponse) {
      return new Promise((resolve, reject) => {
        writeFrame(socket, buffers, (err) =>
          err ? reject(new ConnectionClosedError(err.message)) : resolve(null),
        );
      });
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(
          new RequestTimeoutError(
            `request (api key ${apiKey} v${apiVersion}, correlation id ${correlationId}) to ${this.address} timed out after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(correlationId, { apiKey, apiVersion, resolve, reject, timer });
      writeFrame(socket, buffers);
    });
  }

  /** Resolves once the socket's write buffer has drained (for callers that pipeline a lot). */
  drained(): Promise<void> {
    const socket = this.socket;
    if (!socket || !socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.once('drain', done);
      socket.once('close', done);
    });
  }

  close(): void {
    this.fail(new ConnectionClosedError(`connection to ${this.address} closed by the client`));
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.socket?.destroy();
  }

  /** The socket's read callback; never pauses the socket (returns true). */
  private onRead(count: number): boolean {
    try {
      this.receiver.received(count);
    } catch (err) {
      this.fail(new ConnectionClosedError(`${this.address}: ${(err as Error).message}`));
    }
    return true;
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) return; // a response to a request that already timed out
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    p.resolve(frame);
  }
}

/** Writes a request's buffers as one vectored write, without copying them together. */
function writeFrame(
  socket: Socket,
  buffers: Buffer[],
  onWritten?: (err?: Error | null) => void,
): void {
  socket.cork();
  const last = buffers.length - 1;
  for (let i = 0; i < last; i++) socket.write(buffers[i]);
  socket.write(buffers[last], onWritten);
  socket.uncork();
}

import net from 'node:net';
import { Connection, type ConnectionLimits } from './connection.js';
import { DEFAULT_SOCKET_REQUEST_MAX_BYTES } from './frame-reader.js';
import { silentLogger, type NetworkLogger } from './logger.js';
import { NetworkMetrics } from './network-metrics.js';
import type { RequestDispatcher } from './request-context.js';

/**
 * One listener (Kafka's `listeners` entry): accepts connections on host:port and runs each
 * as a Connection that hands request frames to the dispatcher.
 */

export interface ListenerConfig {
  /** The listener name, e.g. PLAINTEXT; carried into every RequestContext. */
  name: string;
  host: string;
  /** 0 picks a free port; read it back from `boundPort`. */
  port: number;
}

export interface SocketServerOptions {
  listener: ListenerConfig;
  dispatcher: RequestDispatcher;
  logger?: NetworkLogger;
  limits?: Partial<ConnectionLimits>;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  socketRequestMaxBytes: DEFAULT_SOCKET_REQUEST_MAX_BYTES,
  // Kafka's connections.max.idle.ms default: 10 minutes.
  connectionsMaxIdleMs: 600_000,
  // Kafka processes one request per connection at a time.
  maxInFlightRequests: 1,
  mayOverlap: () => true,
  readAheadBytes: 1024 * 1024,
  writeHighWaterMarkBytes: 4 * 1024 * 1024,
});

const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

export class SocketServer {
  readonly metrics = new NetworkMetrics();
  readonly listener: ListenerConfig;
  private readonly dispatcher: RequestDispatcher;
  private readonly logger: NetworkLogger;
  private readonly limits: ConnectionLimits;
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private nextConnectionIndex = 0;
  private port = -1;
  private closed: Promise<void> = Promise.resolve();

  constructor(options: SocketServerOptions) {
    this.listener = options.listener;
    this.dispatcher = options.dispatcher;
    this.logger = options.logger ?? silentLogger;
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
    // Half-open sockets let a client that sends its requests and then shuts down its side
    // still read the answers.
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
  }

  /** The port actually bound (differs from the configured one when that was 0). */
  get boundPort(): number {
    if (this.port < 0) throw new Error(`listener ${this.listener.name} is not listening`);
    return this.port;
  }

  get openConnections(): ReadonlySet<Connection> {
    return this.connections;
  }

  async start(): Promise<void> {
    const { host, port, name } = this.listener;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.closed = new Promise((resolve) => this.server.once('close', () => resolve()));
    this.server.on('error', (error) =>
      this.logger.error({ listener: name, err: error }, 'Listener error'),
    );
    this.port = (this.server.address() as net.AddressInfo).port;
    this.logger.info({ listener: name, host, port: this.port }, 'Listening');
  }

  /** Stops accepting new connections; existing ones carry on. */
  stopAccepting(): void {
    if (!this.server.listening) return;
    this.server.close();
    this.logger.info({ listener: this.listener.name }, 'Stopped accepting connections');
  }

  /**
   * Stops every connection from taking new requests and waits until those in flight are
   * answered and flushed. Resolves false when the timeout passed first.
   */
  async drain(timeoutMs: number = DEFAULT_DRAIN_TIMEOUT_MS): Promise<boolean> {
    const drained = Promise.all([...this.connections].map((connection) => connection.drain()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([drained.then(() => true as const), timedOut]);
    clearTimeout(timer);
    if (!result) {
      this.logger.warn(
        { listener: this.listener.name, timeoutMs },
        'Requests still in flight after the drain timeout',
      );
    }
    return result;
  }

  /** Closes every connection at once. */
  closeAll(): void {
    for (const connection of [...this.connections]) connection.destroy();
  }

  /** The graceful sequence: stop accepting, drain, close what is left; resolves when the listener is closed. */
  async shutdown(drainTimeoutMs: number = DEFAULT_DRAIN_TIMEOUT_MS): Promise<void> {
    this.stopAccepting();
    await this.drain(drainTimeoutMs);
    this.closeAll();
    await this.closed;
  }

  private accept(socket: net.Socket): void {
    const index = this.nextConnectionIndex++;
    const id = `${socket.localAddress}:${socket.localPort}-${socket.remoteAddress}:${socket.remotePort}-${index}`;
    const connection = new Connection({
      socket,
      id,
      listenerName: this.listener.name,
      dispatcher: this.dispatcher,
      limits: this.limits,
      metrics: this.metrics,
      logger: this.logger,
      onClosed: (closed) => {
        if (this.connections.delete(closed)) this.metrics.connectionsOpen -= 1;
        this.logger.debug({ connectionId: closed.id }, 'Connection closed');
      },
    });
    this.connections.add(connection);
    this.metrics.connectionsOpen += 1;
    this.metrics.connectionsAccepted += 1;
    this.logger.debug({ connectionId: id, listener: this.listener.name }, 'Connection accepted');
    connection.start();
  }
}

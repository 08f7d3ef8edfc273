import type { Socket } from 'node:net';
import { DecodeError } from '../protocol/primitives/decode-error.js';
import { FrameReader, FrameSizeError } from './frame-reader.js';
import type { NetworkLogger } from './logger.js';
import type { NetworkMetrics } from './network-metrics.js';
import {
  ANONYMOUS_PRINCIPAL,
  CloseConnectionError,
  UNKNOWN_CLIENT_SOFTWARE,
  type ClientInformation,
  type RequestContext,
  type RequestDispatcher,
} from './request-context.js';

/**
 * One client connection: frames in, dispatcher calls, responses out in request order.
 *
 * Kafka mutes a channel once a request is read and unmutes it when the response has been
 * handed to the socket, so one request per connection is processed at a time. That is the
 * default here (`maxInFlightRequests` 1); a larger cap lets pipelined requests whose API
 * `mayOverlap` allows run concurrently while their responses still leave in request order.
 * Any other request still runs alone: after everything before it is answered, and before
 * anything after it starts.
 */

export interface ConnectionLimits {
  /** `socket.request.max.bytes`: the largest size prefix accepted. */
  socketRequestMaxBytes: number;
  /** `connections.max.idle.ms`: a connection without traffic and without requests in flight this long is closed. */
  connectionsMaxIdleMs: number;
  /** Requests of one connection being processed at once. */
  maxInFlightRequests: number;
  /** Whether a request with this API key may be processed beside other such requests. */
  mayOverlap: (apiKey: number) => boolean;
  /** Bytes read ahead into the frame buffer while the in-flight cap is reached; reading pauses beyond them. */
  readAheadBytes: number;
  /** Reading and dispatching pause while more than this many response bytes wait in the socket. */
  writeHighWaterMarkBytes: number;
}

export interface ConnectionSetup {
  socket: Socket;
  id: string;
  listenerName: string;
  dispatcher: RequestDispatcher;
  limits: ConnectionLimits;
  metrics: NetworkMetrics;
  logger: NetworkLogger;
  onClosed: (connection: Connection) => void;
}

/** A request's place in the response order; `response` is undefined until its dispatch settles. */
interface ResponseSlot {
  done: boolean;
  response: Buffer[] | null;
  /** Processed alone: nothing else was in flight when it started, nothing starts meanwhile. */
  alone: boolean;
  /** Run once the socket is done with the response (RequestContext.afterResponseSent). */
  afterSent: (() => void)[];
}

type ConnectionState = 'open' | 'draining' | 'closed';

const EMPTY = Buffer.alloc(0);

export class Connection {
  readonly id: string;
  private readonly socket: Socket;
  private readonly setup: ConnectionSetup;
  private readonly reader: FrameReader;
  private readonly slots: ResponseSlot[] = [];
  /** A frame read but waiting until what is in flight lets it start. */
  private waitingFrame: Buffer | null = null;
  private readonly clientInformation: ClientInformation = {
    softwareName: UNKNOWN_CLIENT_SOFTWARE,
    softwareVersion: UNKNOWN_CLIENT_SOFTWARE,
  };
  private readonly clientAddress: string;
  private readonly clientPort: number;
  private state: ConnectionState = 'open';
  private remoteEnded = false;
  private writeBlocked = false;
  private readPaused = false;
  private corked = false;
  private reportedClosed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(setup: ConnectionSetup) {
    this.setup = setup;
    this.id = setup.id;
    this.socket = setup.socket;
    this.reader = new FrameReader(setup.limits.socketRequestMaxBytes);
    this.clientAddress = this.socket.remoteAddress ?? '';
    this.clientPort = this.socket.remotePort ?? 0;
  }

  /** Requests dispatched and not yet answered (or answered but waiting for an earlier one). */
  get inFlight(): number {
    return this.slots.length;
  }

  get isReadingPaused(): boolean {
    return this.readPaused;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  start(): void {
    const socket = this.socket;
    // Kafka sets TCP_NODELAY and SO_KEEPALIVE on accepted sockets.
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    socket.setTimeout(this.setup.limits.connectionsMaxIdleMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.remoteEnded = true;
      this.finishIfRemoteDone();
    });
    socket.on('drain', () => this.onDrain());
    socket.on('timeout', () => this.onIdleTimeout());
    socket.on('error', (error: Error) => {
      this.log('debug', { err: error }, 'Connection error');
      this.destroy();
    });
    socket.on('close', () => this.reportClosed());
  }

  /** Stops taking new requests; resolves once every request in flight is answered and flushed. */
  drain(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'draining';
      this.updateReading();
    }
    return this.whenIdle();
  }

  /** Closes the socket at once; responses not yet written are dropped. */
  destroy(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.slots.length = 0;
    this.socket.destroy();
    this.reportClosed();
  }

  private onData(chunk: Buffer): void {
    this.setup.metrics.bytesIn += chunk.length;
    if (this.state === 'closed') return;
    try {
      this.reader.push(chunk);
    } catch (error) {
      this.closeOnBadFrame(error);
      return;
    }
    this.processFrames();
  }

  /** Dispatches complete frames while the in-flight cap, overlap rules and write buffer allow. */
  private processFrames(): void {
    while (
      this.state === 'open' &&
      !this.writeBlocked &&
      this.slots.length < this.setup.limits.maxInFlightRequests
    ) {
      let frame = this.waitingFrame;
      if (frame === null) {
        try {
          frame = this.reader.next();
        } catch (error) {
          this.closeOnBadFrame(error);
          return;
        }
        if (frame === null) break;
      }
      const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
      const alone = !this.setup.limits.mayOverlap(apiKey);
      if (this.slots.length > 0 && (alone || this.slots[this.slots.length - 1].alone)) {
        this.waitingFrame = frame;
        break;
      }
      this.waitingFrame = null;
      this.dispatch(frame, apiKey, alone);
    }
    this.updateReading();
    this.finishIfRemoteDone();
  }

  private dispatch(frame: Buffer, apiKey: number, alone: boolean): void {
    this.setup.metrics.countRequest(apiKey);
    const slot: ResponseSlot = { done: false, response: null, alone, afterSent: [] };
    this.slots.push(slot);
    const ctx: RequestContext = {
      connectionId: this.id,
      listenerName: this.setup.listenerName,
      clientAddress: this.clientAddress,
      clientPort: this.clientPort,
      principal: ANONYMOUS_PRINCIPAL,
      clientInformation: this.clientInformation,
      afterResponseSent: (callback) => slot.afterSent.push(callback),
    };
    let pending: Promise<Buffer[] | null>;
    try {
      pending = this.setup.dispatcher(ctx, frame);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (response) => this.complete(slot, response),
      (error: unknown) => this.closeOnFailedRequest(error, frame),
    );
  }

  private complete(slot: ResponseSlot, response: Buffer[] | null): void {
    if (this.state === 'closed') {
      runAll(slot.afterSent);
      return;
    }
    slot.done = true;
    slot.response = response;
    while (this.slots.length > 0 && this.slots[0].done) {
      const next = this.slots.shift()!;
      if (next.response !== null) this.write(next.response, next.afterSent);
      else runAll(next.afterSent);
    }
    if (this.slots.length === 0) this.wakeIdleWaiters();
    this.processFrames();
  }

  /** Writes inside cork() until the end of this tick, so responses finishing together leave in one writev. */
  private write(buffers: Buffer[], afterSent: (() => void)[]): void {
    const socket = this.socket;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    const last = buffers.length - 1;
    if (last < 0) runAll(afterSent);
    for (let i = 0; i <= last; i++) {
      this.setup.metrics.bytesOut += buffers[i].length;
      // Its callback runs once every earlier write has completed or failed too.
      if (i === last && afterSent.length > 0) socket.write(buffers[i], () => runAll(afterSent));
      else socket.write(buffers[i]);
    }
    if (socket.writableLength > this.setup.limits.writeHighWaterMarkBytes) this.writeBlocked = true;
  }

  private onDrain(): void {
    if (!this.writeBlocked) return;
    if (this.socket.writableLength > this.setup.limits.writeHighWaterMarkBytes) return;
    this.writeBlocked = false;
    this.processFrames();
  }

  private updateReading(): void {
    if (this.state === 'closed') return;
    const limits = this.setup.limits;
    const shouldPause =
      this.state === 'draining' ||
      this.writeBlocked ||
      ((this.waitingFrame !== null || this.slots.length >= limits.maxInFlightRequests) &&
        this.reader.bufferedBytes >= limits.readAheadBytes);
    if (shouldPause && !this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    } else if (!shouldPause && this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  /** After the client half-closed: answer what was dispatched, then close our side too. */
  private finishIfRemoteDone(): void {
    if (!this.remoteEnded || this.state === 'closed') return;
    if (this.slots.length > 0 || this.waitingFrame !== null || this.writeBlocked) return;
    this.state = 'closed';
    this.socket.end();
    this.wakeIdleWaiters();
    this.reportClosed();
  }

  private onIdleTimeout(): void {
    // A request still being processed (a long poll, say) is not idleness; the response's
    // write re-arms the timer.
    if (this.state === 'closed' || this.slots.length > 0) return;
    this.setup.metrics.connectionsClosedIdle += 1;
    this.log(
      'info',
      { idleMs: this.setup.limits.connectionsMaxIdleMs },
      'Closing idle connection (connections.max.idle.ms)',
    );
    this.destroy();
  }

  private closeOnBadFrame(error: unknown): void {
    this.setup.metrics.connectionsClosedOnError += 1;
    if (error instanceof FrameSizeError) {
      this.log(
        'warn',
        { size: error.size, maxBytes: error.maxBytes },
        `Closing connection: ${error.message}`,
      );
    } else {
      this.log('error', { err: error }, 'Closing connection: failed to read a frame');
    }
    this.destroy();
  }

  private closeOnFailedRequest(error: unknown, frame: Buffer): void {
    if (this.state === 'closed') return;
    this.setup.metrics.connectionsClosedOnError += 1;
    const request = describeFrame(frame);
    if (error instanceof CloseConnectionError) {
      const fields = error.cause === undefined ? request : { ...request, err: error.cause };
      this.log(error.level, fields, `Closing connection: ${error.message}`);
    } else if (error instanceof DecodeError) {
      this.log(
        'warn',
        { ...request, reason: error.message },
        'Closing connection: malformed request',
      );
    } else {
      this.log(
        'error',
        { ...request, err: error },
        'Closing connection: request processing failed',
      );
    }
    this.destroy();
  }

  private whenIdle(): Promise<void> {
    const answered =
      this.state === 'closed' || this.slots.length === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    return answered.then(() => this.whenFlushed());
  }

  /** Resolves once everything written so far has left the socket's buffer (or the socket closed). */
  private whenFlushed(): Promise<void> {
    const socket = this.socket;
    if (socket.destroyed || (socket.writableLength === 0 && !this.corked)) return Promise.resolve();
    if (socket.writableEnded)
      return new Promise((resolve) => socket.once('close', () => resolve()));
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('close', done);
        resolve();
      };
      socket.once('close', done);
      socket.write(EMPTY, done);
    });
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private reportClosed(): void {
    if (this.reportedClosed) return;
    this.reportedClosed = true;
    this.state = 'closed';
    this.slots.length = 0;
    this.wakeIdleWaiters();
    this.setup.onClosed(this);
  }

  private log(level: keyof NetworkLogger, fields: object, message: string): void {
    this.setup.logger[level](
      {
        connectionId: this.id,
        listener: this.setup.listenerName,
        client: `${this.clientAddress}:${this.clientPort}`,
        ...fields,
      },
      message,
    );
  }
}

/** The request preamble, for log lines; read raw, since the frame may be the malformed part. */
function describeFrame(frame: Buffer): object {
  if (frame.length < 8) return { frameBytes: frame.length };
  return {
    apiKey: frame.readInt16BE(0),
    apiVersion: frame.readInt16BE(2),
    correlationId: frame.readInt32BE(4),
  };
}

function runAll(callbacks: (() => void)[]): void {
  for (const callback of callbacks) callback();
}

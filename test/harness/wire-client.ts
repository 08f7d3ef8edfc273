import net from 'node:net';

/**
 * A minimal Kafka wire client for tests: sends raw bytes, collects size-prefixed response
 * frames, and reports when the server closes the connection. It knows nothing of messages.
 */
export class WireClient {
  readonly socket: net.Socket;
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private isClosed = false;
  bytesReceived = 0;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
      this.extractFrames();
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new WireClient(socket));
      });
    });
  }

  get isConnectionClosed(): boolean {
    return this.isClosed;
  }

  /** Frames received and not yet taken. */
  get receivedFrameCount(): number {
    return this.frames.length;
  }

  send(bytes: Buffer | readonly Buffer[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.concat(bytes));
  }

  /** The next response frame, without its size prefix. */
  async nextFrame(timeoutMs = 5_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.isClosed) throw new Error('connection closed before a response arrived');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift()!;
  }

  /** Resolves true if the server closed the connection within the timeout. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return result;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Joins buffered chunks only once a whole frame is there, so large responses cost linear time. */
  private extractFrames(): void {
    while (this.bufferedBytes >= 4) {
      if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const size = this.chunks[0].readInt32BE(0);
      if (this.bufferedBytes < 4 + size) return;
      const joined = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.frames.push(joined.subarray(4, 4 + size));
      const rest = joined.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Builds a raw frame: the 4-byte size prefix, then the payload. */
export function rawFrame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length, 0);
  return Buffer.concat([size, payload]);
}

/** The frame's bytes without the size prefix, as the dispatcher receives them. */
export function withoutSizePrefix(buffers: readonly Buffer[]): Buffer {
  return Buffer.concat(buffers).subarray(4);
}

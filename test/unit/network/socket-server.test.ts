import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionLimits } from '../../../src/network/connection.js';
import type { NetworkLogger } from '../../../src/network/logger.js';
import {
  CloseConnectionError,
  type RequestContext,
  type RequestDispatcher,
} from '../../../src/network/request-context.js';
import { SocketServer } from '../../../src/network/socket-server.js';
import { DecodeError } from '../../../src/protocol/primitives/decode-error.js';
import { WireClient, rawFrame } from '../../harness/wire-client.js';

/**
 * The connection layer with stand-in dispatchers: framing, ordering of pipelined responses,
 * backpressure, idleness, errors and shutdown. Requests here are arbitrary payloads whose
 * first 8 bytes look like a request preamble (api key, version, correlation id).
 */

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

function recordingLogger(lines: LogLine[]): NetworkLogger {
  const at =
    (level: string) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A request payload: api key 1000 (unknown to Kafka, the network layer doesn't care), then `body`. */
function request(correlationId: number, body: Buffer = Buffer.alloc(0), apiKey = 1000): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(0, 2);
  header.writeInt32BE(correlationId, 4);
  return rawFrame(Buffer.concat([header, body]));
}

function correlationIdOf(frame: Buffer): number {
  return frame.readInt32BE(4);
}

/** Answers with the request's own bytes. */
function echo(frame: Buffer): Buffer[] {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length, 0);
  return [size, frame];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(5);
  }
}

class Gate {
  private opened = false;
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return this.opened ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
  open(): void {
    this.opened = true;
    for (const wake of this.waiters.splice(0)) wake();
  }
}

const servers: SocketServer[] = [];
const clients: WireClient[] = [];

async function startServer(
  dispatcher: RequestDispatcher,
  limits: Partial<ConnectionLimits> = {},
  logLines: LogLine[] = [],
): Promise<SocketServer> {
  const server = new SocketServer({
    listener: { name: 'PLAINTEXT', host: '127.0.0.1', port: 0 },
    dispatcher,
    limits,
    logger: recordingLogger(logLines),
  });
  await server.start();
  servers.push(server);
  return server;
}

async function connect(server: SocketServer): Promise<WireClient> {
  const client = await WireClient.connect(server.boundPort);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.shutdown(1_000);
});

describe('SocketServer', () => {
  it('binds port 0 to a free port and fills the request context', async () => {
    let seen: RequestContext | undefined;
    const server = await startServer(async (ctx, frame) => {
      seen = { ...ctx };
      return echo(frame);
    });
    expect(server.boundPort).toBeGreaterThan(0);
    const client = await connect(server);
    client.send(request(7));
    expect(correlationIdOf(await client.nextFrame())).toBe(7);
    expect(seen).toMatchObject({
      listenerName: 'PLAINTEXT',
      clientAddress: '127.0.0.1',
      clientPort: client.socket.localPort,
      principal: 'User:ANONYMOUS',
      clientInformation: { softwareName: 'unknown', softwareVersion: 'unknown' },
    });
    expect(seen!.connectionId).toMatch(
      new RegExp(
        `^127\\.0\\.0\\.1:${server.boundPort}-127\\.0\\.0\\.1:${client.socket.localPort}-\\d+$`,
      ),
    );
  });

  it('answers pipelined requests in request order when they finish out of order', async () => {
    let running = 0;
    let maxRunning = 0;
    const server = await startServer(
      async (_ctx, frame) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        // Earlier requests take longer, so completion order is the reverse of arrival order.
        await delay(5 * (10 - correlationIdOf(frame)));
        running -= 1;
        return echo(frame);
      },
      { maxInFlightRequests: 10 },
    );
    const client = await connect(server);
    client.send(Array.from({ length: 10 }, (_, i) => request(i)));
    const order: number[] = [];
    for (let i = 0; i < 10; i++) order.push(correlationIdOf(await client.nextFrame()));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(maxRunning).toBeGreaterThan(1);
  });

  it('processes one request per connection at a time by default, as Kafka does', async () => {
    let running = 0;
    let maxRunning = 0;
    const server = await startServer(async (_ctx, frame) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await delay(2);
      running -= 1;
      return echo(frame);
    });
    const client = await connect(server);
    client.send(Array.from({ length: 20 }, (_, i) => request(i)));
    for (let i = 0; i < 20; i++) expect(correlationIdOf(await client.nextFrame())).toBe(i);
    expect(maxRunning).toBe(1);
  });

  it('overlaps only the requests mayOverlap allows; any other runs alone', async () => {
    const OVERLAPPING = 0;
    const events: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const server = await startServer(
      async (_ctx, frame) => {
        const id = correlationIdOf(frame);
        events.push(`start ${id}`);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await delay(5);
        running -= 1;
        events.push(`end ${id}`);
        return echo(frame);
      },
      { maxInFlightRequests: 3, mayOverlap: (apiKey) => apiKey === OVERLAPPING },
    );
    const client = await connect(server);
    // 0-3 may overlap (at most 3 at once), 4 runs alone, then 5-6 overlap again.
    const keys = [
      OVERLAPPING,
      OVERLAPPING,
      OVERLAPPING,
      OVERLAPPING,
      1000,
      OVERLAPPING,
      OVERLAPPING,
    ];
    client.send(keys.map((key, i) => request(i, Buffer.alloc(0), key)));
    for (let i = 0; i < keys.length; i++) expect(correlationIdOf(await client.nextFrame())).toBe(i);
    expect(maxRunning).toBe(3);
    const at = (event: string) => events.indexOf(event);
    expect(at('start 1')).toBeLessThan(at('end 0'));
    expect(at('start 3')).toBeGreaterThan(at('end 0'));
    // The lone request starts after every earlier one ended, and the next waits for it.
    for (const earlier of [0, 1, 2, 3]) expect(at('start 4')).toBeGreaterThan(at(`end ${earlier}`));
    expect(at('start 5')).toBeGreaterThan(at('end 4'));
    expect(at('start 6')).toBeLessThan(at('end 5'));
  });

  it('sends nothing for a request answered with null and goes on with the next', async () => {
    const server = await startServer(async (_ctx, frame) =>
      correlationIdOf(frame) % 2 === 0 ? null : echo(frame),
    );
    const client = await connect(server);
    client.send([request(0), request(1), request(2), request(3)]);
    expect(correlationIdOf(await client.nextFrame())).toBe(1);
    expect(correlationIdOf(await client.nextFrame())).toBe(3);
    expect(server.metrics.requestsByApiKey.get(1000)).toBe(4);
  });

  it('stops reading while the in-flight cap is reached and read-ahead is full, then resumes', async () => {
    const gate = new Gate();
    const readAheadBytes = 64 * 1024;
    const server = await startServer(
      async (_ctx, frame) => {
        await gate.wait();
        return echo(frame.subarray(0, 8));
      },
      { readAheadBytes },
    );
    const client = await connect(server);
    const count = 256;
    const body = Buffer.alloc(16 * 1024, 1);
    const frames = Array.from({ length: count }, (_, i) => request(i, body));
    client.send(frames);
    const totalBytes = frames.reduce((sum, frame) => sum + frame.length, 0);

    await until(() => [...server.openConnections].some((c) => c.isReadingPaused));
    await delay(100);
    // Node reads up to 64 KiB at a time: what it took in is bounded by the read-ahead.
    expect(server.metrics.bytesIn).toBeLessThan(readAheadBytes + 2 * 65_536 + body.length);
    expect(server.metrics.requestsTotal).toBe(1);

    gate.open();
    for (let i = 0; i < count; i++) expect(correlationIdOf(await client.nextFrame())).toBe(i);
    expect(server.metrics.bytesIn).toBe(totalBytes);
  });

  it('stops taking requests while the socket write buffer is above the high-water mark', async () => {
    const response = Buffer.alloc(1024 * 1024, 7);
    const server = await startServer(
      async (_ctx, frame) => {
        const size = Buffer.alloc(4);
        size.writeInt32BE(8 + response.length, 0);
        return [size, frame.subarray(0, 8), response];
      },
      { maxInFlightRequests: 4, writeHighWaterMarkBytes: 256 * 1024 },
    );
    const client = await connect(server);
    client.socket.pause();
    const count = 64;
    client.send(Array.from({ length: count }, (_, i) => request(i)));

    await until(() => [...server.openConnections].some((c) => c.isReadingPaused));
    await delay(200);
    const dispatchedWhileBlocked = server.metrics.requestsTotal;
    // The kernel's socket buffers absorb some megabytes; the rest must wait, not pile up in memory.
    expect(dispatchedWhileBlocked).toBeLessThan(count);

    client.socket.resume();
    for (let i = 0; i < count; i++) {
      const frame = await client.nextFrame(10_000);
      expect(correlationIdOf(frame)).toBe(i);
      expect(frame.length).toBe(8 + response.length);
    }
    expect(server.metrics.requestsTotal).toBe(count);
  });

  it('runs afterResponseSent callbacks only once the socket has taken the whole response', async () => {
    // Larger than the kernel's socket buffers, so the write completes only as the client reads.
    const response = Buffer.alloc(32 * 1024 * 1024, 5);
    let sent = 0;
    const server = await startServer(async (ctx, frame) => {
      ctx.afterResponseSent?.(() => {
        sent++;
        response.fill(0); // what reusing the memory would do
      });
      const size = Buffer.alloc(4);
      size.writeInt32BE(8 + response.length, 0);
      return [size, frame.subarray(0, 8), response];
    });
    const client = await connect(server);
    client.socket.pause();
    client.send(request(1));
    await until(() => server.metrics.requestsTotal === 1);
    await delay(200);
    expect(sent).toBe(0);

    client.socket.resume();
    const frame = await client.nextFrame(10_000);
    expect(frame.length).toBe(8 + response.length);
    expect(frame.subarray(8).every((byte) => byte === 5)).toBe(true);
    await until(() => sent === 1);
  });

  it('runs afterResponseSent callbacks of a request whose connection closed meanwhile', async () => {
    const gate = new Gate();
    let sent = 0;
    const server = await startServer(
      async (ctx, frame) => {
        if (correlationIdOf(frame) === 2) throw new CloseConnectionError('second request');
        ctx.afterResponseSent?.(() => sent++);
        await gate.wait();
        return echo(frame);
      },
      { mayOverlap: () => true, maxInFlightRequests: 5 },
    );
    const client = await connect(server);
    client.send([request(1), request(2)]);
    await until(() => server.openConnections.size === 0);
    expect(sent).toBe(0);
    gate.open();
    await until(() => sent === 1);
  });

  it('batches responses that finish in the same tick into one vectored write (cork/uncork)', async () => {
    const server = await startServer(async (_ctx, frame) => echo(frame), {
      maxInFlightRequests: 50,
    });
    const client = await connect(server);
    const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', () => void>;
    const singleWrites = vi.spyOn(proto, '_write');
    const vectoredWrites = vi.spyOn(proto, '_writev');
    try {
      client.send(Array.from({ length: 50 }, (_, i) => request(i)));
      for (let i = 0; i < 50; i++) expect(correlationIdOf(await client.nextFrame())).toBe(i);
      // 100 buffers (size prefix + body per response); uncorked they would be ~100 socket writes.
      // The client's own send is one of the counted calls.
      expect(singleWrites.mock.calls.length + vectoredWrites.mock.calls.length).toBeLessThan(5);
    } finally {
      singleWrites.mockRestore();
      vectoredWrites.mockRestore();
    }
  });

  it('closes a connection idle for longer than connections.max.idle.ms', async () => {
    const logLines: LogLine[] = [];
    const server = await startServer(
      async (_ctx, frame) => echo(frame),
      {
        connectionsMaxIdleMs: 100,
      },
      logLines,
    );
    const client = await connect(server);
    client.send(request(1));
    await client.nextFrame();
    expect(await client.closedWithin(2_000)).toBe(true);
    expect(server.metrics.connectionsClosedIdle).toBe(1);
    expect(server.metrics.connectionsOpen).toBe(0);
    expect(logLines.some((line) => line.level === 'info' && /idle/.test(line.message))).toBe(true);
  });

  it('does not count a request still being processed as idleness', async () => {
    const server = await startServer(
      async (_ctx, frame) => {
        await delay(400);
        return echo(frame);
      },
      { connectionsMaxIdleMs: 100 },
    );
    const client = await connect(server);
    client.send(request(1));
    expect(correlationIdOf(await client.nextFrame())).toBe(1);
    expect(await client.closedWithin(2_000)).toBe(true);
  });

  it.each([
    ['larger than socket.request.max.bytes', 1025],
    ['negative', -5],
    ['zero', 0],
  ])('closes a connection whose size prefix is %s, and only that one', async (_label, size) => {
    const logLines: LogLine[] = [];
    const server = await startServer(
      async (_ctx, frame) => echo(frame),
      {
        socketRequestMaxBytes: 1024,
      },
      logLines,
    );
    const bad = await connect(server);
    const good = await connect(server);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size, 0);
    bad.send(prefix);
    expect(await bad.closedWithin(2_000)).toBe(true);
    expect(logLines.some((line) => line.level === 'warn' && line.fields.size === size)).toBe(true);

    good.send(request(3));
    expect(correlationIdOf(await good.nextFrame())).toBe(3);
    expect(server.metrics.connectionsClosedOnError).toBe(1);
  });

  it('closes only the connection whose request is malformed, with a log line', async () => {
    const logLines: LogLine[] = [];
    const server = await startServer(
      async (_ctx, frame) => {
        if (correlationIdOf(frame) === 666)
          throw new DecodeError('string length 9999 exceeds remaining 2');
        return echo(frame);
      },
      {},
      logLines,
    );
    const bad = await connect(server);
    const good = await connect(server);
    bad.send(request(666));
    expect(await bad.closedWithin(2_000)).toBe(true);
    good.send(request(1));
    expect(correlationIdOf(await good.nextFrame())).toBe(1);
    const line = logLines.find((l) => /malformed/.test(l.message));
    expect(line).toMatchObject({ level: 'warn', fields: { correlationId: 666, apiKey: 1000 } });
  });

  it('closes the connection when the dispatcher throws, logging an error; others keep working', async () => {
    const logLines: LogLine[] = [];
    const server = await startServer(
      async (_ctx, frame) => {
        const id = correlationIdOf(frame);
        if (id === 1) throw new Error('boom');
        if (id === 2) throw new CloseConnectionError('unsupported version 99 of Fetch');
        return echo(frame);
      },
      {},
      logLines,
    );
    const failing = await connect(server);
    const refused = await connect(server);
    const healthy = await connect(server);
    failing.send(request(1));
    refused.send(request(2));
    expect(await failing.closedWithin(2_000)).toBe(true);
    expect(await refused.closedWithin(2_000)).toBe(true);
    healthy.send(request(3));
    expect(correlationIdOf(await healthy.nextFrame())).toBe(3);
    expect(logLines.find((l) => l.level === 'error')?.message).toMatch(/request processing failed/);
    expect(logLines.find((l) => l.level === 'warn')?.message).toMatch(
      /unsupported version 99 of Fetch/,
    );
  });

  it('answers requests sent before the client half-closed its side', async () => {
    const server = await startServer(async (_ctx, frame) => {
      await delay(20);
      return echo(frame);
    });
    const client = await connect(server);
    client.socket.end(Buffer.concat([request(1), request(2)]));
    expect(correlationIdOf(await client.nextFrame())).toBe(1);
    expect(correlationIdOf(await client.nextFrame())).toBe(2);
    expect(await client.closedWithin(2_000)).toBe(true);
  });

  it('counts connections, requests and bytes', async () => {
    const server = await startServer(async (_ctx, frame) => echo(frame));
    const a = await connect(server);
    const b = await connect(server);
    await until(() => server.metrics.connectionsOpen === 2);
    a.send(request(1));
    await a.nextFrame();
    b.send(request(2, Buffer.alloc(10)));
    await b.nextFrame();
    expect(server.metrics).toMatchObject({
      connectionsAccepted: 2,
      requestsTotal: 2,
      bytesIn: 12 + 22,
      bytesOut: 12 + 22,
    });
    a.destroy();
    await until(() => server.metrics.connectionsOpen === 1);
  });

  it('shuts down gracefully: stops accepting, answers requests in flight, then closes', async () => {
    const gate = new Gate();
    const server = await startServer(async (_ctx, frame) => {
      await gate.wait();
      return echo(frame);
    });
    const client = await connect(server);
    client.send(request(42));
    await until(() => server.metrics.requestsTotal === 1);

    server.stopAccepting();
    await expect(
      new Promise((resolve, reject) => {
        const socket = net.connect({ port: server.boundPort, host: '127.0.0.1' });
        socket.once('connect', () => resolve(socket.destroy()));
        socket.once('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);

    let drained = false;
    const draining = server.drain(5_000).then((result) => (drained = result));
    await delay(50);
    expect(drained).toBe(false);
    gate.open();
    await draining;
    expect(drained).toBe(true);
    expect(correlationIdOf(await client.nextFrame())).toBe(42);

    server.closeAll();
    expect(await client.closedWithin(2_000)).toBe(true);
    expect(server.metrics.connectionsOpen).toBe(0);
  });

  it('reports a drain that timed out', async () => {
    const server = await startServer(() => new Promise<never>(() => {}));
    const client = await connect(server);
    client.send(request(1));
    await until(() => server.metrics.requestsTotal === 1);
    expect(await server.drain(50)).toBe(false);
    server.closeAll();
    expect(await client.closedWithin(2_000)).toBe(true);
  });
});

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../../src/client/connection.js';
import { murmur2, partitionForKey } from '../../../src/client/tool-support.js';
import { decodeRequest, encodeResponse, type DecodedRequest } from '../../../src/protocol/api.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { ApiKey } from '../../../src/protocol/messages/generated/index.js';

/**
 * The client connection against a tiny in-test server that decodes real request frames and
 * answers with encoded responses, so framing, correlation and negotiation are exercised on
 * the wire.
 */

type Reply = (request: DecodedRequest, socket: net.Socket) => void;

interface TestServer {
  port: number;
  requests: DecodedRequest[];
  sockets: net.Socket[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const connections: Connection[] = [];

afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

function apiVersionsReply(
  ranges: Record<number, [number, number]>,
  options: { rejectAbove?: number } = {},
): Reply {
  return (request, socket) => {
    const version = request.apiVersion;
    const apiKeys = Object.entries(ranges).map(([k, [min, max]]) => ({
      apiKey: Number(k),
      minVersion: min,
      maxVersion: max,
    }));
    if (options.rejectAbove !== undefined && version > options.rejectAbove) {
      socket.write(
        Buffer.concat(
          encodeResponse(ApiKey.ApiVersions, 0, request.header.correlationId, {
            errorCode: ErrorCode.UNSUPPORTED_VERSION,
            apiKeys,
          }),
        ),
      );
      return;
    }
    socket.write(
      Buffer.concat(
        encodeResponse(ApiKey.ApiVersions, version, request.header.correlationId, {
          errorCode: 0,
          apiKeys,
        }),
      ),
    );
  };
}

/** A server that splits incoming frames and hands each decoded request to `onRequest`. */
async function startServer(onRequest: Reply): Promise<TestServer> {
  const requests: DecodedRequest[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        const frame = buffered.subarray(4, 4 + size);
        buffered = buffered.subarray(4 + size);
        const request = decodeRequest(frame);
        requests.push(request);
        onRequest(request, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  const handle: TestServer = {
    port: address.port,
    requests,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

async function connect(port: number, requestTimeoutMs?: number): Promise<Connection> {
  const connection = await Connection.connect({ host: '127.0.0.1', port, requestTimeoutMs });
  connections.push(connection);
  return connection;
}

const RANGES: Record<number, [number, number]> = {
  [ApiKey.ApiVersions]: [0, 3],
  [ApiKey.Metadata]: [0, 9],
  [ApiKey.Produce]: [3, 11],
};

function metadataBody(correlationId: number, clusterId: string): Buffer {
  return Buffer.concat(
    encodeResponse(ApiKey.Metadata, 9, correlationId, {
      brokers: [{ nodeId: 1, host: 'h', port: 1 }],
      clusterId,
      controllerId: 1,
      topics: [],
    }),
  );
}

describe('Connection', () => {
  it('negotiates the highest version both sides support', async () => {
    const server = await startServer((request, socket) => {
      if (request.apiKey === ApiKey.ApiVersions) apiVersionsReply(RANGES)(request, socket);
    });
    const connection = await connect(server.port);
    expect(server.requests[0].apiKey).toBe(ApiKey.ApiVersions);
    expect(server.requests[0].apiVersion).toBe(4);
    expect(connection.versionFor(ApiKey.Metadata)).toBe(9);
    expect(connection.versionFor(ApiKey.Produce, 7)).toBe(7);
    expect(() => connection.versionFor(ApiKey.Produce, 2)).toThrow(KafkaError);
    try {
      connection.versionFor(ApiKey.Fetch);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(KafkaError);
      expect((err as KafkaError).code).toBe(ErrorCode.UNSUPPORTED_VERSION);
      expect((err as KafkaError).info.name).toBe('UNSUPPORTED_VERSION');
    }
  });

  it('retries ApiVersions at the version the broker names (KIP-511)', async () => {
    const server = await startServer((request, socket) => {
      if (request.apiKey === ApiKey.ApiVersions) {
        apiVersionsReply({ ...RANGES, [ApiKey.ApiVersions]: [0, 2] }, { rejectAbove: 2 })(
          request,
          socket,
        );
      }
    });
    const connection = await connect(server.port);
    expect(server.requests.map((r) => r.apiVersion)).toEqual([4, 2]);
    expect(connection.versionFor(ApiKey.Metadata)).toBe(9);
  });

  it('pipelines requests and matches responses by correlation id, whatever their order', async () => {
    const held: DecodedRequest[] = [];
    let socketRef: net.Socket | null = null;
    const server = await startServer((request, socket) => {
      if (request.apiKey === ApiKey.ApiVersions) return apiVersionsReply(RANGES)(request, socket);
      held.push(request);
      socketRef = socket;
      if (held.length === 3) {
        // Answer in reverse, all three responses in one write, then byte by byte is covered below.
        const frames = [...held]
          .reverse()
          .map((r) => metadataBody(r.header.correlationId, `c${r.header.correlationId}`));
        socket.write(Buffer.concat(frames));
      }
    });
    const connection = await connect(server.port);
    const pending = [1, 2, 3].map(() => connection.send(ApiKey.Metadata, 9, { topics: [] }));
    expect(connection.inFlightCount).toBe(3);
    const responses = await Promise.all(pending);
    const ids = held.map((r) => r.header.correlationId);
    expect(new Set(ids).size).toBe(3);
    expect(responses.map((r) => r.clusterId)).toEqual(ids.map((id) => `c${id}`));
    expect(socketRef).not.toBeNull();
    expect(connection.inFlightCount).toBe(0);
  });

  it('reassembles responses split into single bytes', async () => {
    const server = await startServer((request, socket) => {
      if (request.apiKey === ApiKey.ApiVersions) return apiVersionsReply(RANGES)(request, socket);
      const bytes = metadataBody(request.header.correlationId, 'split');
      let i = 0;
      const step = (): void => {
        if (i >= bytes.length || socket.destroyed) return;
        socket.write(bytes.subarray(i, i + 1));
        i++;
        setImmediate(step);
      };
      step();
    });
    const connection = await connect(server.port);
    const response = await connection.send(ApiKey.Metadata, 9, { topics: [] });
    expect(response.clusterId).toBe('split');
    expect(response.brokers).toEqual([{ nodeId: 1, host: 'h', port: 1, rack: null }]);
  });

  it('times a request out with REQUEST_TIMED_OUT and ignores its late response', async () => {
    let late: (() => void) | null = null;
    const server = await startServer((request, socket) => {
      if (request.apiKey === ApiKey.ApiVersions) return apiVersionsReply(RANGES)(request, socket);
      const correlationId = request.header.correlationId;
      if (late === null) {
        late = () => socket.write(metadataBody(correlationId, 'late'));
      } else {
        socket.write(metadataBody(correlationId, 'second'));
      }
    });
    const connection = await connect(server.port, 100);
    await expect(connection.send(ApiKey.Metadata, 9, { topics: [] })).rejects.toMatchObject({
      code: ErrorCode.REQUEST_TIMED_OUT,
    });
    late!();
    const second = await connection.send(ApiKey.Metadata, 9, { topics: [] }, 2000);
    expect(second.clusterId).toBe('second');
    expect(connection.isClosed).toBe(false);
  });

  it('fails in-flight requests with NETWORK_EXCEPTION when the server closes the connection', async () => {
    const server = await startServer((request, socket) => {
      if (request.apiKey === ApiKey.ApiVersions) return apiVersionsReply(RANGES)(request, socket);
      socket.destroy();
    });
    const connection = await connect(server.port);
    await expect(connection.send(ApiKey.Metadata, 9, { topics: [] })).rejects.toMatchObject({
      code: ErrorCode.NETWORK_EXCEPTION,
    });
    expect(connection.isClosed).toBe(true);
    await expect(connection.send(ApiKey.Metadata, 9, { topics: [] })).rejects.toBeInstanceOf(
      KafkaError,
    );
  });

  it('sends requests without a response (acks=0) and keeps later correlation ids in step', async () => {
    const server = await startServer((request, socket) => {
      if (request.apiKey === ApiKey.ApiVersions) return apiVersionsReply(RANGES)(request, socket);
      if (request.apiKey === ApiKey.Metadata)
        socket.write(metadataBody(request.header.correlationId, 'after'));
    });
    const connection = await connect(server.port);
    await connection.sendNoResponse(ApiKey.Produce, 9, { acks: 0, timeoutMs: 1000, topicData: [] });
    const response = await connection.send(ApiKey.Metadata, 9, { topics: [] });
    expect(response.clusterId).toBe('after');
    expect(server.requests.map((r) => r.apiKey)).toEqual([
      ApiKey.ApiVersions,
      ApiKey.Produce,
      ApiKey.Metadata,
    ]);
  });

  it('reports a refused connection as NETWORK_EXCEPTION', async () => {
    const server = await startServer(() => {});
    const port = server.port;
    await server.close();
    servers.length = 0;
    await expect(Connection.connect({ host: '127.0.0.1', port })).rejects.toMatchObject({
      code: ErrorCode.NETWORK_EXCEPTION,
    });
  });
});

describe('murmur2 partitioning', () => {
  it("matches Kafka's murmur2 test vectors", () => {
    const cases: [Buffer, number][] = [
      [Buffer.from('21'), -973932308],
      [Buffer.from('foobar'), -790332482],
      [Buffer.from('a-little-bit-long-string'), -985981536],
      [Buffer.from('a-little-bit-longer-string'), -1486304829],
      [Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
      [Buffer.from('abc'), 479470107],
    ];
    for (const [key, expected] of cases) expect(murmur2(key)).toBe(expected);
    expect(partitionForKey(Buffer.from('21'), 3)).toBe((-973932308 & 0x7fffffff) % 3);
  });
});

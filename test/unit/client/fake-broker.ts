/**
 * A tiny in-test Kafka node for client tests: it decodes real request frames, answers
 * ApiVersions from the given ranges and hands every other request to `handle`, whose return
 * value is encoded as the response body (or the connection is closed when it throws).
 */
import net from 'node:net';
import type { Encodable } from '../../../src/protocol/codec/compile.js';
import { decodeRequest, encodeResponse, type DecodedRequest } from '../../../src/protocol/api.js';
import {
  ApiKey,
  type RequestsByApiKey,
  type ResponsesByApiKey,
} from '../../../src/protocol/messages/generated/index.js';

export type VersionRanges = Partial<Record<number, [number, number]>>;

export interface FakeBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly bootstrap: string;
  /** Every request received (ApiVersions included), in arrival order. */
  readonly requests: DecodedRequest[];
  /** The requests of one API key. */
  requestsOf<K extends keyof RequestsByApiKey>(
    apiKey: K,
  ): { apiVersion: number; body: RequestsByApiKey[K] }[];
  close(): Promise<void>;
}

export type FakeHandler = (request: DecodedRequest, broker: FakeBroker) => unknown;

/** A response body of a given API, typed for handlers that build one. */
export type ResponseBody<K extends keyof ResponsesByApiKey> = Encodable<ResponsesByApiKey[K]>;

export async function startFakeBroker(options: {
  nodeId?: number;
  versions: VersionRanges;
  handle: FakeHandler;
}): Promise<FakeBroker> {
  const requests: DecodedRequest[] = [];
  const sockets = new Set<net.Socket>();
  const ranges: VersionRanges = { [ApiKey.ApiVersions]: [0, 4], ...options.versions };
  // Assigned once the port is known; handlers only run after that.
  // eslint-disable-next-line prefer-const
  let broker: FakeBroker;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    // Requests on one connection are answered in order, as a broker does.
    let queue: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        const request = decodeRequest(buffered.subarray(4, 4 + size));
        buffered = buffered.subarray(4 + size);
        requests.push(request);
        queue = queue.then(async () => {
          try {
            const body =
              request.apiKey === ApiKey.ApiVersions
                ? {
                    errorCode: 0,
                    apiKeys: Object.entries(ranges).map(([k, range]) => ({
                      apiKey: Number(k),
                      minVersion: range![0],
                      maxVersion: range![1],
                    })),
                  }
                : await options.handle(request, broker);
            socket.write(
              Buffer.concat(
                encodeResponse(
                  request.apiKey,
                  request.apiVersion,
                  request.header.correlationId,
                  body as never,
                ),
              ),
            );
          } catch {
            socket.destroy();
          }
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  broker = {
    nodeId: options.nodeId ?? 1,
    host: '127.0.0.1',
    port,
    bootstrap: `127.0.0.1:${port}`,
    requests,
    requestsOf: (apiKey) =>
      requests
        .filter((r) => r.apiKey === apiKey)
        .map((r) => ({ apiVersion: r.apiVersion, body: r.body as never })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return broker;
}

/** The group APIs at the versions the group admin client speaks, up to the latest of each. */
export const GROUP_API_VERSIONS: VersionRanges = {
  [ApiKey.Metadata]: [0, 12],
  [ApiKey.FindCoordinator]: [0, 6],
  [ApiKey.ListGroups]: [0, 5],
  [ApiKey.DescribeGroups]: [0, 5],
  [ApiKey.OffsetFetch]: [0, 9],
  [ApiKey.OffsetCommit]: [0, 9],
  [ApiKey.DeleteGroups]: [0, 2],
  [ApiKey.OffsetDelete]: [0, 0],
};

/**
 * A FindCoordinator response naming `coordinatorOf(key)` for each key asked for: every key of
 * the batched form (v4+), or the single key before.
 */
export function findCoordinatorResponse(
  request: DecodedRequest,
  coordinatorOf: (key: string) => Pick<FakeBroker, 'nodeId' | 'host' | 'port'>,
): ResponseBody<typeof ApiKey.FindCoordinator> {
  const body = request.body as { coordinatorKeys: string[]; key: string };
  const keys = request.apiVersion >= 4 ? body.coordinatorKeys : [body.key];
  const found = keys.map((key) => {
    const node = coordinatorOf(key);
    return { key, nodeId: node.nodeId, host: node.host, port: node.port, errorCode: 0 };
  });
  return request.apiVersion >= 4
    ? { coordinators: found }
    : { errorCode: 0, nodeId: found[0].nodeId, host: found[0].host, port: found[0].port };
}

/** A Metadata response naming the given brokers and topics (leader: the first broker). */
export function metadataResponse(
  brokers: readonly Pick<FakeBroker, 'nodeId' | 'host' | 'port'>[],
  topics: readonly { name: string; partitions: number; leader?: number }[] = [],
): ResponseBody<typeof ApiKey.Metadata> {
  return {
    brokers: brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: null })),
    clusterId: 'fake-cluster',
    controllerId: brokers[0]?.nodeId ?? -1,
    topics: topics.map((t) => ({
      errorCode: 0,
      name: t.name,
      topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
      isInternal: false,
      partitions: Array.from({ length: t.partitions }, (_, i) => ({
        errorCode: 0,
        partitionIndex: i,
        leaderId: t.leader ?? brokers[0]?.nodeId ?? -1,
        leaderEpoch: 0,
        replicaNodes: [t.leader ?? brokers[0]?.nodeId ?? -1],
        isrNodes: [t.leader ?? brokers[0]?.nodeId ?? -1],
        offlineReplicas: [],
      })),
    })),
  };
}

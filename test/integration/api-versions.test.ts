import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkLogger } from '../../src/network/logger.js';
import type { RequestDispatcher } from '../../src/network/request-context.js';
import { SocketServer } from '../../src/network/socket-server.js';
import { decodeResponse, encodeRequest, peekRequestPreamble } from '../../src/protocol/api.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/messages/generated/index.js';
import { createApiVersionsHandler } from '../../src/server/handlers/18-api-versions.js';
import { HandlerRegistry, Router, type ApiHandler } from '../../src/server/router.js';
import { WireClient, withoutSizePrefix } from '../harness/wire-client.js';

/**
 * A listener with the real router and the ApiVersions handler, driven by raw frames and by
 * real clients.
 *
 * Real clients only send a request the broker advertised: librdkafka and kafkajs check the
 * ApiVersions answer and refuse locally to send Metadata when it is missing ("Required feature
 * not supported by broker" / KafkaJSNotImplemented). So the client tests run against a second
 * listener that also has a test-only Metadata stub (this broker, no topics): that the clients
 * then send Metadata, and finish, shows they accepted the ApiVersions answer.
 */

const KCAT = '/usr/bin/kcat';

interface Exchange {
  apiKey: number;
  apiVersion: number;
  clientSoftware: string;
  response: Buffer[] | null;
}

interface TestBroker {
  server: SocketServer;
  exchanges: Exchange[];
}

const quietLogger: NetworkLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** Answers Metadata with this one broker and no topics; stands in for the real handler. */
function metadataStub(port: () => number): ApiHandler<typeof ApiKey.Metadata> {
  return {
    apiKey: ApiKey.Metadata,
    minVersion: 0,
    maxVersion: 12,
    async handle() {
      return {
        brokers: [{ nodeId: 1, host: '127.0.0.1', port: port() }],
        clusterId: 'api-versions-test',
        controllerId: 1,
        topics: [],
      };
    },
  };
}

async function startBroker(withMetadataStub: boolean): Promise<TestBroker> {
  const exchanges: Exchange[] = [];
  const registry = new HandlerRegistry();
  registry.register(createApiVersionsHandler(registry));
  const router = new Router(registry);
  // Records every request and its answer around the real router.
  const recording: RequestDispatcher = async (ctx, frame) => {
    const { apiKey, apiVersion } = peekRequestPreamble(frame);
    const exchange: Exchange = { apiKey, apiVersion, clientSoftware: '', response: null };
    exchanges.push(exchange);
    try {
      exchange.response = await router.dispatch(ctx, frame);
      return exchange.response;
    } finally {
      const { softwareName, softwareVersion } = ctx.clientInformation;
      exchange.clientSoftware = `${softwareName}/${softwareVersion}`;
    }
  };
  const server = new SocketServer({
    listener: { name: 'PLAINTEXT', host: '127.0.0.1', port: 0 },
    dispatcher: recording,
    logger: quietLogger,
  });
  if (withMetadataStub) registry.register(metadataStub(() => server.boundPort));
  await server.start();
  return { server, exchanges };
}

/** Runs kcat with a deadline; killed by PID if it is still running then. */
function runKcat(
  args: string[],
  timeoutMs: number,
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve) => {
    const kcat = spawn(KCAT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    kcat.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    kcat.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      if (kcat.exitCode === null && kcat.pid !== undefined) process.kill(kcat.pid, 'SIGKILL');
    }, timeoutMs);
    kcat.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, output });
    });
  });
}

function decodeApiVersionsAnswer(exchange: Exchange) {
  return decodeResponse(
    ApiKey.ApiVersions,
    exchange.apiVersion,
    withoutSizePrefix(exchange.response!),
  );
}

let apiVersionsOnly: TestBroker;
let withMetadata: TestBroker;

beforeAll(async () => {
  apiVersionsOnly = await startBroker(false);
  withMetadata = await startBroker(true);
});

afterAll(async () => {
  await apiVersionsOnly.server.shutdown(1_000);
  await withMetadata.server.shutdown(1_000);
});

describe('ApiVersions over the wire', () => {
  it.each([0, 1, 2, 3, 4])('answers ApiVersions v%i', async (version) => {
    const client = await WireClient.connect(apiVersionsOnly.server.boundPort);
    try {
      client.send(
        encodeRequest(ApiKey.ApiVersions, version, 1000 + version, 'raw-test', {
          clientSoftwareName: 'raw-test',
          clientSoftwareVersion: '0.0.1',
        }),
      );
      const { header, body } = decodeResponse(
        ApiKey.ApiVersions,
        version,
        await client.nextFrame(),
      );
      expect(header.correlationId).toBe(1000 + version);
      expect(body.errorCode).toBe(ErrorCode.NONE);
      expect(body.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
      if (version >= 1) expect(body.throttleTimeMs).toBe(0);
      if (version >= 3) {
        expect(body.supportedFeatures).toEqual([
          { name: 'metadata.version', minVersion: 1, maxVersion: 21 },
        ]);
        expect(body.finalizedFeaturesEpoch).toBe(-1n);
        expect(body.finalizedFeatures).toEqual([]);
      }
    } finally {
      client.destroy();
    }
  });

  it('answers ApiVersions v99 at v0 with UNSUPPORTED_VERSION and the ApiVersions range', async () => {
    const client = await WireClient.connect(apiVersionsOnly.server.boundPort);
    try {
      const frame = Buffer.concat(
        encodeRequest(ApiKey.ApiVersions, 4, 77, 'raw-test', {
          clientSoftwareName: 'raw-test',
          clientSoftwareVersion: '0.0.1',
        }),
      );
      frame.writeInt16BE(99, 6); // the version, after the 4-byte size prefix and the api key
      client.send(frame);
      const { header, body } = decodeResponse(ApiKey.ApiVersions, 0, await client.nextFrame());
      expect(header.correlationId).toBe(77);
      expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
      expect(body.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);

      // The connection stays usable: the client retries with a version in the range.
      client.send(encodeRequest(ApiKey.ApiVersions, 2, 78, 'raw-test', {}));
      const retried = decodeResponse(ApiKey.ApiVersions, 2, await client.nextFrame());
      expect(retried.header.correlationId).toBe(78);
      expect(retried.body.errorCode).toBe(ErrorCode.NONE);
    } finally {
      client.destroy();
    }
  });

  it('closes the connection on a request of an API it has no handler for', async () => {
    const client = await WireClient.connect(apiVersionsOnly.server.boundPort);
    client.send(encodeRequest(ApiKey.Metadata, 12, 5, 'raw-test', { topics: [] }));
    expect(await client.closedWithin(2_000)).toBe(true);
  });
});

describe('kcat (librdkafka)', () => {
  it('reads the ApiVersions v3 answer and, with no Metadata advertised, refuses Metadata itself', async () => {
    const { server, exchanges } = apiVersionsOnly;
    const before = exchanges.length;
    const { output } = await runKcat(
      ['-b', `127.0.0.1:${server.boundPort}`, '-L', '-m', '2'],
      5_000,
    );
    const fromKcat = exchanges.slice(before);
    expect(fromKcat.length).toBeGreaterThan(0);
    expect(fromKcat.every((e) => e.apiKey === ApiKey.ApiVersions && e.apiVersion === 3)).toBe(true);
    expect(decodeApiVersionsAnswer(fromKcat[0]).body.errorCode).toBe(ErrorCode.NONE);
    expect(fromKcat[0].clientSoftware).toMatch(/^librdkafka\/\d+\.\d+\.\d+/);
    expect(output).toMatch(/Required feature not supported by broker/);
  }, 10_000);

  it('accepts the ApiVersions v3 answer, sends Metadata and lists the broker', async () => {
    const { server, exchanges } = withMetadata;
    const before = exchanges.length;
    const { exitCode, output } = await runKcat(
      ['-b', `127.0.0.1:${server.boundPort}`, '-L', '-m', '3'],
      8_000,
    );
    const fromKcat = exchanges.slice(before);
    const apiVersions = fromKcat.find((e) => e.apiKey === ApiKey.ApiVersions)!;
    expect(apiVersions.apiVersion).toBe(3);
    const { body } = decodeApiVersionsAnswer(apiVersions);
    expect(body.errorCode).toBe(ErrorCode.NONE);
    expect(body.apiKeys).toEqual([
      { apiKey: 3, minVersion: 0, maxVersion: 12 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ]);
    const firstMetadata = fromKcat.findIndex((e) => e.apiKey === ApiKey.Metadata);
    expect(firstMetadata).toBeGreaterThan(fromKcat.indexOf(apiVersions));
    expect(exitCode).toBe(0);
    expect(output).toMatch(new RegExp(`broker 1 at 127\\.0\\.0\\.1:${server.boundPort}`));
  }, 15_000);
});

describe('kafkajs', () => {
  it('admin connects (ApiVersions), accepts the answer and describes the cluster (Metadata)', async () => {
    const { server, exchanges } = withMetadata;
    const before = exchanges.length;
    const kafka = new Kafka({
      clientId: 'api-versions-test',
      brokers: [`127.0.0.1:${server.boundPort}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 2_000,
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      expect(cluster).toEqual({
        brokers: [{ nodeId: 1, host: '127.0.0.1', port: server.boundPort }],
        controller: 1,
        clusterId: 'api-versions-test',
      });
    } finally {
      await admin.disconnect();
    }
    const fromKafkajs = exchanges.slice(before);
    const apiVersions = fromKafkajs.find((e) => e.apiKey === ApiKey.ApiVersions)!;
    expect(decodeApiVersionsAnswer(apiVersions).body.errorCode).toBe(ErrorCode.NONE);
    const firstMetadata = fromKafkajs.findIndex((e) => e.apiKey === ApiKey.Metadata);
    expect(firstMetadata).toBeGreaterThan(fromKafkajs.indexOf(apiVersions));
  });
});

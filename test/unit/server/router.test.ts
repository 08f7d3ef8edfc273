import { describe, expect, it } from 'vitest';
import { CloseConnectionError, type RequestContext } from '../../../src/network/request-context.js';
import { decodeResponse, encodeRequest } from '../../../src/protocol/api.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ApiKey } from '../../../src/protocol/messages/generated/index.js';
import {
  DEFAULT_SUPPORTED_FEATURES,
  createApiVersionsHandler,
} from '../../../src/server/handlers/18-api-versions.js';
import {
  HandlerRegistry,
  Router,
  type AnyApiHandler,
  type ApiHandler,
} from '../../../src/server/router.js';
import { withoutSizePrefix } from '../../harness/wire-client.js';

function context(): RequestContext {
  return {
    connectionId: '127.0.0.1:9092-127.0.0.1:50000-0',
    listenerName: 'PLAINTEXT',
    clientAddress: '127.0.0.1',
    clientPort: 50000,
    principal: 'User:ANONYMOUS',
    clientInformation: { softwareName: 'unknown', softwareVersion: 'unknown' },
  };
}

function apiVersionsFrame(
  version: number,
  software = { name: 'test-client', version: '1.0.0' },
): Buffer {
  return withoutSizePrefix(
    encodeRequest(ApiKey.ApiVersions, version, 11, 'router-test', {
      clientSoftwareName: software.name,
      clientSoftwareVersion: software.version,
    }),
  );
}

function metadataFrame(version: number): Buffer {
  return withoutSizePrefix(
    encodeRequest(ApiKey.Metadata, version, 12, 'router-test', { topics: [] }),
  );
}

/** A Metadata handler that answers with no brokers and no topics (or as `behaviour` says). */
function metadataHandler(
  behaviour: 'answer' | 'throw' | 'no-response' = 'answer',
): ApiHandler<typeof ApiKey.Metadata> {
  return {
    apiKey: ApiKey.Metadata,
    minVersion: 0,
    maxVersion: 12,
    async handle() {
      if (behaviour === 'throw') throw new Error('metadata image not loaded');
      if (behaviour === 'no-response') return null;
      return { brokers: [], topics: [] };
    },
  };
}

function routerWith(...handlers: ((registry: HandlerRegistry) => AnyApiHandler)[]): Router {
  const registry = new HandlerRegistry();
  for (const create of handlers) registry.register(create(registry));
  return new Router(registry);
}

const withApiVersions = (registry: HandlerRegistry): AnyApiHandler =>
  createApiVersionsHandler(registry);

async function closeReason(promise: Promise<unknown>): Promise<CloseConnectionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CloseConnectionError);
  return error as CloseConnectionError;
}

describe('HandlerRegistry', () => {
  it('refuses a version range outside the protocol definition', () => {
    const registry = new HandlerRegistry();
    expect(() => registry.register({ ...metadataHandler(), maxVersion: 13 })).toThrow(RangeError);
    expect(() => registry.register({ ...metadataHandler(), minVersion: 5, maxVersion: 4 })).toThrow(
      RangeError,
    );
  });

  it('refuses a second handler for the same API key', () => {
    const registry = new HandlerRegistry().register(metadataHandler());
    expect(() => registry.register(metadataHandler())).toThrow(/already has a handler/);
  });

  it('lists the registered ranges by API key', () => {
    const registry = new HandlerRegistry();
    registry.register(createApiVersionsHandler(registry));
    registry.register({ ...metadataHandler(), minVersion: 1, maxVersion: 9 });
    expect(registry.versionRanges()).toEqual([
      { apiKey: 3, minVersion: 1, maxVersion: 9 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ]);
  });
});

describe('Router', () => {
  it('decodes, sets the header on the context, calls the handler and encodes its answer', async () => {
    let seenClientId: string | null | undefined;
    const router = routerWith((): ApiHandler<typeof ApiKey.Metadata> => ({
      ...metadataHandler(),
      async handle(ctx) {
        seenClientId = ctx.header.clientId;
        return { brokers: [{ nodeId: 1, host: 'h', port: 9092 }], topics: [] };
      },
    }));
    const response = await router.dispatch(context(), metadataFrame(12));
    const decoded = decodeResponse(ApiKey.Metadata, 12, withoutSizePrefix(response!));
    expect(decoded.header.correlationId).toBe(12);
    expect(decoded.body.brokers).toMatchObject([{ nodeId: 1, host: 'h', port: 9092 }]);
    expect(seenClientId).toBe('router-test');
  });

  it('returns null when the handler has no response', async () => {
    const router = routerWith(() => metadataHandler('no-response'));
    expect(await router.dispatch(context(), metadataFrame(1))).toBeNull();
  });

  it('closes the connection on an API key Kafka does not know', async () => {
    const frame = metadataFrame(1);
    frame.writeInt16BE(200, 0);
    const error = await closeReason(routerWith(withApiVersions).dispatch(context(), frame));
    expect(error.message).toMatch(/unknown api key 200/);
  });

  it('closes the connection on an API key without a handler', async () => {
    const error = await closeReason(
      routerWith(withApiVersions).dispatch(context(), metadataFrame(4)),
    );
    expect(error.message).toMatch(/no handler for Metadata/);
  });

  it('closes the connection on a version outside the handler range (not ApiVersions)', async () => {
    const router = routerWith(() => ({ ...metadataHandler(), minVersion: 4, maxVersion: 10 }));
    for (const version of [3, 11]) {
      const error = await closeReason(router.dispatch(context(), metadataFrame(version)));
      expect(error.message).toMatch(
        new RegExp(`unsupported version ${version} of Metadata \\(supported 4-10\\)`),
      );
    }
    const beyondProtocol = metadataFrame(12);
    beyondProtocol.writeInt16BE(13, 2);
    await closeReason(router.dispatch(context(), beyondProtocol));
  });

  it('answers ApiVersions of an unsupported version at v0 with UNSUPPORTED_VERSION and its own range', async () => {
    const router = routerWith(withApiVersions, () => metadataHandler());
    const frame = apiVersionsFrame(4);
    frame.writeInt16BE(99, 2);
    const response = withoutSizePrefix((await router.dispatch(context(), frame))!);
    const decoded = decodeResponse(ApiKey.ApiVersions, 0, response);
    expect(decoded.header.correlationId).toBe(11);
    expect(decoded.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(decoded.body.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
  });

  it('closes the connection on a request that does not decode', async () => {
    const frame = apiVersionsFrame(3);
    const truncated = frame.subarray(0, frame.length - 6);
    const error = await closeReason(routerWith(withApiVersions).dispatch(context(), truncated));
    expect(error.message).toMatch(/malformed request/);
    expect(error.level).toBe('warn');
  });

  it('answers UNKNOWN_SERVER_ERROR when a handler throws and the response has a top-level error code', async () => {
    const logged: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (_: object, m: string) => void logged.push(m),
    };
    const registry = new HandlerRegistry();
    registry.register({
      apiKey: ApiKey.ApiVersions,
      minVersion: 0,
      maxVersion: 4,
      handle: () => Promise.reject(new Error('broken')),
    });
    const response = await new Router(registry, logger).dispatch(context(), apiVersionsFrame(3));
    const decoded = decodeResponse(ApiKey.ApiVersions, 3, withoutSizePrefix(response!));
    expect(decoded.body.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(logged).toEqual([expect.stringMatching(/ApiVersions v3 handler failed/)]);
  });

  it('closes the connection, at error level with the cause, when a handler throws', async () => {
    const error = await closeReason(
      routerWith(() => metadataHandler('throw')).dispatch(context(), metadataFrame(9)),
    );
    expect(error.level).toBe('error');
    expect(error.message).toMatch(/Metadata v9 handler failed \(correlation id 12\)/);
    expect((error.cause as Error).message).toBe('metadata image not loaded');
  });
});

describe('ApiVersions handler', () => {
  const router = routerWith(withApiVersions, () => ({ ...metadataHandler(), minVersion: 1 }));

  async function apiVersions(version: number, ctx = context(), frame = apiVersionsFrame(version)) {
    const response = await router.dispatch(ctx, frame);
    return decodeResponse(ApiKey.ApiVersions, version, withoutSizePrefix(response!)).body;
  }

  it.each([0, 1, 2, 3, 4])('v%i advertises exactly the registered handlers', async (version) => {
    const body = await apiVersions(version);
    expect(body.errorCode).toBe(0);
    expect(body.apiKeys).toEqual([
      { apiKey: 3, minVersion: 1, maxVersion: 12 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ]);
    if (version >= 1) expect(body.throttleTimeMs).toBe(0);
    if (version >= 3) {
      expect(body.supportedFeatures).toEqual([
        { name: 'metadata.version', minVersion: 1, maxVersion: 21 },
      ]);
      expect(body.finalizedFeaturesEpoch).toBe(-1n);
      expect(body.finalizedFeatures).toEqual([]);
      expect(body.zkMigrationReady).toBe(false);
    }
  });

  it('records the client software of a valid v3+ request on the connection (KIP-511)', async () => {
    const ctx = context();
    await apiVersions(3, ctx, apiVersionsFrame(3, { name: 'apache-kafka-java', version: '3.9.0' }));
    expect(ctx.clientInformation).toEqual({
      softwareName: 'apache-kafka-java',
      softwareVersion: '3.9.0',
    });
  });

  it.each([
    ['an empty name', { name: '', version: '1.0' }],
    ['a space in the name', { name: 'my client', version: '1.0' }],
    ['a version ending in a dot', { name: 'librdkafka', version: '2.3.' }],
    ['a name starting with a dash', { name: '-kcat', version: '1.7' }],
  ])('answers INVALID_REQUEST for %s', async (_label, software) => {
    const ctx = context();
    const body = await apiVersions(4, ctx, apiVersionsFrame(4, software));
    expect(body.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(body.apiKeys).toEqual([]);
    expect(ctx.clientInformation.softwareName).toBe('unknown');
  });

  it('reports a supported minimum of 0 as 1 below v4 (KAFKA-17011)', async () => {
    const registry = new HandlerRegistry();
    registry.register(
      createApiVersionsHandler(registry, {
        supportedFeatures: [
          ...DEFAULT_SUPPORTED_FEATURES,
          { name: 'kraft.version', minVersion: 0, maxVersion: 1 },
        ],
      }),
    );
    const featuresRouter = new Router(registry);
    for (const [version, expectedMin] of [
      [3, 1],
      [4, 0],
    ]) {
      const response = await featuresRouter.dispatch(context(), apiVersionsFrame(version));
      const body = decodeResponse(ApiKey.ApiVersions, version, withoutSizePrefix(response!)).body;
      expect(body.supportedFeatures.find((f) => f.name === 'kraft.version')?.minVersion).toBe(
        expectedMin,
      );
    }
  });
});

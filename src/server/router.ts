import type { Encodable } from '../protocol/codec/compile.js';
import {
  decodeRequest,
  encodeResponse,
  peekRequestPreamble,
  type ApiKeyNumber,
  type DecodedRequest,
} from '../protocol/api.js';
import { ErrorCode } from '../protocol/errors.js';
import {
  ApiKey,
  apiSpecs,
  type RequestsByApiKey,
  type ResponsesByApiKey,
} from '../protocol/messages/generated/index.js';
import type { RequestHeader } from '../protocol/messages/generated/request-header.js';
import { DecodeError } from '../protocol/primitives/decode-error.js';
import {
  CloseConnectionError,
  type RequestContext,
  type RequestDispatcher,
} from '../network/request-context.js';
import { silentLogger, type NetworkLogger } from '../network/logger.js';
import { inRange } from '../protocol/messages/spec.js';

/**
 * From a request frame to a handler and back: picks the handler by API key, enforces its
 * version range the way Kafka does, decodes, calls it and encodes its answer.
 *
 * What Kafka does, and so does this router:
 * - an unknown API key, or one this broker has no handler for: the connection is closed
 *   (Kafka's RequestHeader.parse / the listener's enabled-API check throw
 *   InvalidRequestException, which the network processor answers by closing the socket);
 * - a version outside the handler's range: the connection is closed (the request cannot be
 *   parsed: InvalidRequestException again), except for ApiVersions, which is answered at v0
 *   with UNSUPPORTED_VERSION and the ApiVersions range so the client can retry (KIP-511);
 * - a request that does not decode: the connection is closed.
 *
 * A handler that throws is the last line of defence (handlers map their own failures to
 * error codes): as Kafka, the request is answered with UNKNOWN_SERVER_ERROR and a log line
 * when the API's response has a top-level error code at that version; the other responses
 * carry errors per item, in a shape only the handler knows, so that connection is closed.
 */

/** The context a handler sees: the network's, with the decoded header filled in. */
export type HandlerContext = RequestContext & { readonly header: RequestHeader };

export type ResponseBody<K extends ApiKeyNumber> = Encodable<ResponsesByApiKey[K]>;

export interface ApiHandler<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly apiKey: K;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The response body, or null when the request gets no response (acks=0 produce). */
  handle(ctx: HandlerContext, request: RequestsByApiKey[K]): Promise<ResponseBody<K> | null>;
}

/** A handler for any one API key (the union of every ApiHandler<K>). */
export type AnyApiHandler = { [K in ApiKeyNumber]: ApiHandler<K> }[ApiKeyNumber];

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** One handler per API key; what is registered is exactly what ApiVersions advertises. */
export class HandlerRegistry {
  private readonly handlers = new Map<number, ApiHandler>();

  register(handler: AnyApiHandler): this {
    const { apiKey, minVersion, maxVersion } = handler;
    const spec = apiSpecs.get(apiKey);
    if (spec === undefined) throw new RangeError(`unknown api key ${apiKey}`);
    const [specMin, specMax] = spec.request.validVersions;
    if (minVersion > maxVersion || minVersion < specMin || maxVersion > specMax) {
      throw new RangeError(
        `${apiName(apiKey)} handler versions ${minVersion}-${maxVersion} are not within ${specMin}-${specMax}`,
      );
    }
    if (this.handlers.has(apiKey)) throw new Error(`${apiName(apiKey)} already has a handler`);
    this.handlers.set(apiKey, handler as unknown as ApiHandler);
    return this;
  }

  get(apiKey: number): ApiHandler | undefined {
    return this.handlers.get(apiKey);
  }

  /** The registered version ranges, by API key. */
  versionRanges(): ApiVersionRange[] {
    return [...this.handlers.values()]
      .map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}

export class Router {
  /** The RequestDispatcher the SocketServer calls. */
  readonly dispatch: RequestDispatcher = (ctx, frame) => this.route(ctx, frame);

  constructor(
    private readonly registry: HandlerRegistry,
    private readonly logger: NetworkLogger = silentLogger,
  ) {}

  private async route(ctx: RequestContext, frame: Buffer): Promise<Buffer[] | null> {
    const { apiKey, apiVersion, correlationId } = peekRequestPreamble(frame);
    const handler = this.registry.get(apiKey);
    if (handler === undefined) {
      throw new CloseConnectionError(
        apiSpecs.has(apiKey)
          ? `no handler for ${apiName(apiKey)} (api key ${apiKey})`
          : `unknown api key ${apiKey}`,
      );
    }
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) {
        return encodeResponse(
          ApiKey.ApiVersions,
          0,
          correlationId,
          unsupportedApiVersionsResponse(handler),
        );
      }
      throw new CloseConnectionError(
        `unsupported version ${apiVersion} of ${apiName(apiKey)} (supported ${handler.minVersion}-${handler.maxVersion})`,
      );
    }

    const request = decode(frame);
    ctx.header = request.header;
    let body: ResponseBody<ApiKeyNumber> | null;
    try {
      body = await handler.handle(ctx as HandlerContext, request.body);
    } catch (error) {
      const failure = `${apiName(apiKey)} v${apiVersion} handler failed (correlation id ${correlationId})`;
      const fallback = unknownServerErrorResponse(apiKey, apiVersion);
      if (fallback === null)
        throw new CloseConnectionError(failure, { cause: error, level: 'error' });
      this.logger.error({ err: error, connection: ctx.connectionId }, failure);
      body = fallback;
    }
    if (body === null) return null;
    try {
      return encodeResponse(apiKey as ApiKeyNumber, apiVersion, correlationId, body);
    } catch (error) {
      throw new CloseConnectionError(
        `${apiName(apiKey)} v${apiVersion} response could not be encoded (correlation id ${correlationId})`,
        { cause: error, level: 'error' },
      );
    }
  }
}

/**
 * Kafka's answer to an ApiVersions request of a version it cannot parse: a v0 body with
 * UNSUPPORTED_VERSION whose only entry is ApiVersions' own range (ApiVersionsRequest.getErrorResponse).
 */
function unsupportedApiVersionsResponse(
  handler: ApiHandler,
): ResponseBody<typeof ApiKey.ApiVersions> {
  return {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: [
      { apiKey: handler.apiKey, minVersion: handler.minVersion, maxVersion: handler.maxVersion },
    ],
  };
}

/**
 * A response carrying only UNKNOWN_SERVER_ERROR (and its message where the version has a
 * field for it), for APIs whose response has a top-level error code at `version`.
 */
function unknownServerErrorResponse(
  apiKey: number,
  version: number,
): ResponseBody<ApiKeyNumber> | null {
  const fields = apiSpecs.get(apiKey)!.response.fields;
  const present = (name: string) =>
    fields.some((f) => f.name === name && inRange(f.versions, version));
  if (!present('errorCode')) return null;
  const body: Record<string, unknown> = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
  if (present('errorMessage')) body.errorMessage = 'Unexpected error on the broker';
  return body as ResponseBody<ApiKeyNumber>;
}

function decode(frame: Buffer): DecodedRequest {
  try {
    return decodeRequest(frame);
  } catch (error) {
    if (error instanceof DecodeError || error instanceof RangeError) {
      throw new CloseConnectionError(`malformed request: ${error.message}`);
    }
    throw error;
  }
}

/** "Metadata" for key 3; the number for keys the protocol does not know. */
function apiName(apiKey: number): string {
  const name = apiSpecs.get(apiKey)?.request.name;
  return name === undefined ? `api key ${apiKey}` : name.replace(/Request$/, '');
}

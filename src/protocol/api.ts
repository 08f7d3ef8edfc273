import { codecFor, type Encodable } from './codec/compile.js';
import {
  apiSpecs,
  type RequestsByApiKey,
  type ResponsesByApiKey,
} from './messages/generated/index.js';
import { RequestHeaderSpec, type RequestHeader } from './messages/generated/request-header.js';
import { ResponseHeaderSpec, type ResponseHeader } from './messages/generated/response-header.js';
import { inRange, type MessageSpec } from './messages/spec.js';
import { DecodeError } from './primitives/decode-error.js';
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';

/**
 * Request and response framing: the 4-byte size prefix, the header whose version
 * depends on the API and its version, and the body.
 */

export type ApiKeyNumber = keyof RequestsByApiKey;

const API_VERSIONS_KEY = 18;
const CONTROLLED_SHUTDOWN_KEY = 7;

export function apiSpec(
  apiKey: number,
): { request: MessageSpec; response: MessageSpec } | undefined {
  return apiSpecs.get(apiKey);
}

export function isSupportedVersion(apiKey: number, apiVersion: number): boolean {
  const spec = apiSpecs.get(apiKey);
  return (
    spec !== undefined &&
    apiVersion >= spec.request.validVersions[0] &&
    apiVersion <= spec.request.validVersions[1]
  );
}

/** Request header version: 2 for flexible request versions, else 1 (0 only for ControlledShutdown v0). */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  const spec = apiSpecs.get(apiKey);
  if (spec && inRange(spec.request.flexibleVersions, apiVersion)) return 2;
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0;
  return 1;
}

/**
 * Response header version: 1 for flexible versions, else 0. ApiVersions always answers
 * with header v0, so a client that sent a version the broker doesn't know can still read
 * the answer.
 */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === API_VERSIONS_KEY) return 0;
  const spec = apiSpecs.get(apiKey);
  return spec && inRange(spec.response.flexibleVersions, apiVersion) ? 1 : 0;
}

/** The fixed start of every request header, readable before knowing the header version. */
export interface RequestPreamble {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

export function peekRequestPreamble(frame: Buffer): RequestPreamble {
  if (frame.length < 8) throw new DecodeError(`request of ${frame.length} bytes has no header`);
  return {
    apiKey: frame.readInt16BE(0),
    apiVersion: frame.readInt16BE(2),
    correlationId: frame.readInt32BE(4),
  };
}

export interface DecodedRequest<K extends ApiKeyNumber = ApiKeyNumber> {
  header: RequestHeader;
  apiKey: K;
  apiVersion: number;
  body: RequestsByApiKey[K];
  /** Bytes after the body; Kafka ignores them, and so do we. */
  trailingBytes: number;
}

/** Decodes a request frame (without its size prefix). Throws DecodeError or RangeError. */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const { apiKey, apiVersion } = peekRequestPreamble(frame);
  const spec = apiSpecs.get(apiKey);
  if (!spec) throw new RangeError(`unknown api key ${apiKey}`);
  const reader = new Reader(frame);
  const header = codecFor<RequestHeader>(
    RequestHeaderSpec,
    requestHeaderVersion(apiKey, apiVersion),
  ).decode(reader);
  const body = codecFor<RequestsByApiKey[ApiKeyNumber]>(spec.request, apiVersion).decode(reader);
  return {
    header,
    apiKey: apiKey as ApiKeyNumber,
    apiVersion,
    body,
    trailingBytes: reader.remaining,
  };
}

function frameOf(writer: Writer): Buffer[] {
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(writer.length, 0);
  return [size, ...writer.toBuffers()];
}

/** Encodes a request with its header and size prefix, as a list of buffers for writev. */
export function encodeRequest<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: Encodable<RequestsByApiKey[K]>,
): Buffer[] {
  const spec = apiSpecs.get(apiKey)!;
  const writer = new Writer();
  codecFor<RequestHeader>(RequestHeaderSpec, requestHeaderVersion(apiKey, apiVersion)).encode(
    writer,
    {
      requestApiKey: apiKey,
      requestApiVersion: apiVersion,
      correlationId,
      clientId,
    },
  );
  codecFor<RequestsByApiKey[K]>(spec.request, apiVersion).encode(writer, body);
  return frameOf(writer);
}

/** Encodes a response with its header and size prefix, as a list of buffers for writev. */
export function encodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: Encodable<ResponsesByApiKey[K]>,
): Buffer[] {
  const spec = apiSpecs.get(apiKey)!;
  const writer = new Writer();
  codecFor<ResponseHeader>(ResponseHeaderSpec, responseHeaderVersion(apiKey, apiVersion)).encode(
    writer,
    {
      correlationId,
    },
  );
  codecFor<ResponsesByApiKey[K]>(spec.response, apiVersion).encode(writer, body);
  return frameOf(writer);
}

export interface DecodedResponse<K extends ApiKeyNumber = ApiKeyNumber> {
  header: ResponseHeader;
  body: ResponsesByApiKey[K];
}

/** Decodes a response frame (without its size prefix) for a request the caller sent. */
export function decodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): DecodedResponse<K> {
  const spec = apiSpecs.get(apiKey);
  if (!spec) throw new RangeError(`unknown api key ${apiKey}`);
  const reader = new Reader(frame);
  const header = codecFor<ResponseHeader>(
    ResponseHeaderSpec,
    responseHeaderVersion(apiKey, apiVersion),
  ).decode(reader);
  const body = codecFor<ResponsesByApiKey[K]>(spec.response, apiVersion).decode(reader);
  return { header, body };
}

import type { RequestHeader } from '../protocol/messages/generated/request-header.js';

/**
 * What the network layer tells the rest of the broker about a request, and the one call it
 * makes into it. The network layer knows frames, not API keys' meaning.
 */

/** The principal of every connection until authentication exists. */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

/** Kafka's ClientInformation.UNKNOWN_NAME_OR_VERSION. */
export const UNKNOWN_CLIENT_SOFTWARE = 'unknown';

/** The client's software, as announced by ApiVersions v3+ (KIP-511); one object per connection. */
export interface ClientInformation {
  softwareName: string;
  softwareVersion: string;
}

export interface RequestContext {
  /** Kafka's form: `localHost:localPort-remoteHost:remotePort-index`. */
  readonly connectionId: string;
  readonly listenerName: string;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly principal: string;
  /** Shared by all requests of the connection, so ApiVersions can record it for later ones. */
  readonly clientInformation: ClientInformation;
  /** The decoded request header, set by the router once it is known. */
  header?: RequestHeader;
  /**
   * Runs `callback` once the socket no longer needs the response's buffers (written, or the
   * connection gone), so memory they point into can be reused.
   */
  afterResponseSent?(callback: () => void): void;
}

/**
 * Turns one request frame (without its size prefix) into the response frame as a buffer list
 * (with its size prefix), or null when the request gets no response (acks=0 produce).
 * A rejection closes the connection: it is the last line of defence, after the handlers'
 * own mapping of errors to Kafka error codes.
 */
export type RequestDispatcher = (ctx: RequestContext, frame: Buffer) => Promise<Buffer[] | null>;

/**
 * Thrown by a dispatcher when Kafka would close the connection rather than answer
 * (unknown API key, unsupported version, a request it cannot parse). The connection logs
 * the message at the given level and closes.
 */
export class CloseConnectionError extends Error {
  override readonly name = 'CloseConnectionError';
  readonly level: 'warn' | 'error';

  constructor(message: string, options: { cause?: unknown; level?: 'warn' | 'error' } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.level = options.level ?? 'warn';
  }
}

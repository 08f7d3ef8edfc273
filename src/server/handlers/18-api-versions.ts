import { ErrorCode } from '../../protocol/errors.js';
import type { ApiVersionsRequest } from '../../protocol/messages/generated/api-versions-request.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { ApiHandler, HandlerContext, HandlerRegistry, ResponseBody } from '../router.js';

/**
 * ApiVersions (key 18), versions 0-4: the API ranges this broker has handlers for, and its
 * supported features. An out-of-range ApiVersions version never reaches this handler: the
 * router answers it at v0 with UNSUPPORTED_VERSION, as Kafka does.
 */

type ApiVersionsResponseBody = ResponseBody<typeof ApiKey.ApiVersions>;

export interface SupportedFeature {
  name: string;
  minVersion: number;
  maxVersion: number;
}

/**
 * `metadata.version` feature levels, Kafka 3.9's range: 1 (3.0-IV1, the first KRaft level)
 * to 21 (3.9-IV0), matching the 3.9 message definitions the protocol layer is generated from.
 * Nothing is finalized yet (no metadata log), so the finalized features are empty with epoch -1.
 */
export const DEFAULT_SUPPORTED_FEATURES: readonly SupportedFeature[] = Object.freeze([
  { name: 'metadata.version', minVersion: 1, maxVersion: 21 },
]);

/** Kafka's rule for KIP-511 client software names and versions (ApiVersionsRequest.isValid). */
const CLIENT_SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

/** The first version carrying clientSoftwareName/Version and the supported features. */
const FIRST_FLEXIBLE_VERSION = 3;
/** Before v4, a supported feature's minimum of 0 breaks older clients' parsing (KAFKA-17011). */
const FIRST_VERSION_ALLOWING_MIN_ZERO = 4;

export interface ApiVersionsHandlerOptions {
  supportedFeatures?: readonly SupportedFeature[];
}

export function createApiVersionsHandler(
  registry: HandlerRegistry,
  options: ApiVersionsHandlerOptions = {},
): ApiHandler<typeof ApiKey.ApiVersions> {
  const supportedFeatures = options.supportedFeatures ?? DEFAULT_SUPPORTED_FEATURES;
  return {
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    async handle(
      ctx: HandlerContext,
      request: ApiVersionsRequest,
    ): Promise<ApiVersionsResponseBody> {
      const version = ctx.header.requestApiVersion;
      if (version >= FIRST_FLEXIBLE_VERSION) {
        if (!isValidClientSoftware(request)) {
          return { errorCode: ErrorCode.INVALID_REQUEST, throttleTimeMs: 0 };
        }
        // Kafka records the client's software on the connection here, for metrics and logs.
        ctx.clientInformation.softwareName = request.clientSoftwareName;
        ctx.clientInformation.softwareVersion = request.clientSoftwareVersion;
      }
      return {
        errorCode: ErrorCode.NONE,
        apiKeys: registry.versionRanges(),
        throttleTimeMs: 0,
        supportedFeatures: supportedFeatures.map((feature) => ({
          name: feature.name,
          minVersion:
            feature.minVersion === 0 && version < FIRST_VERSION_ALLOWING_MIN_ZERO
              ? 1
              : feature.minVersion,
          maxVersion: feature.maxVersion,
        })),
        finalizedFeaturesEpoch: -1n,
        finalizedFeatures: [],
        zkMigrationReady: false,
      };
    },
  };
}

function isValidClientSoftware(request: ApiVersionsRequest): boolean {
  return (
    CLIENT_SOFTWARE_PATTERN.test(request.clientSoftwareName) &&
    CLIENT_SOFTWARE_PATTERN.test(request.clientSoftwareVersion)
  );
}

/**
 * ACL and SASL APIs on a broker without an authorizer and with PLAINTEXT listeners only,
 * answered as Kafka answers them:
 * - DescribeAcls, CreateAcls, DeleteAcls: SECURITY_DISABLED (54) (AclApis with no
 *   authorizer: "No Authorizer is configured"), per creation and per filter;
 * - SaslHandshake and SaslAuthenticate reaching KafkaApis (no SASL on this listener):
 *   ILLEGAL_SASL_STATE (34) with no mechanisms (KafkaApis.handleSaslHandshakeRequest /
 *   handleSaslAuthenticateRequest).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { AnyApiHandler } from '../router.js';
import { errorResponseHandler } from './error-responses.js';

const NO_AUTHORIZER = 'No Authorizer is configured.';

export function securityDisabledHandlers(): AnyApiHandler[] {
  return [
    errorResponseHandler(ApiKey.DescribeAcls, 0, 3, () => ({
      throttleTimeMs: 0,
      errorCode: ErrorCode.SECURITY_DISABLED,
      errorMessage: 'No Authorizer is configured on the broker',
      resources: [],
    })),
    errorResponseHandler(ApiKey.CreateAcls, 0, 3, (request) => ({
      throttleTimeMs: 0,
      results: request.creations.map(() => ({
        errorCode: ErrorCode.SECURITY_DISABLED,
        errorMessage: NO_AUTHORIZER,
      })),
    })),
    errorResponseHandler(ApiKey.DeleteAcls, 0, 3, (request) => ({
      throttleTimeMs: 0,
      filterResults: request.filters.map(() => ({
        errorCode: ErrorCode.SECURITY_DISABLED,
        errorMessage: NO_AUTHORIZER,
        matchingAcls: [],
      })),
    })),
    errorResponseHandler(ApiKey.SaslHandshake, 0, 1, () => ({
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      mechanisms: [],
    })),
    errorResponseHandler(ApiKey.SaslAuthenticate, 0, 2, () => ({
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: 'SaslAuthenticate request received after successful authentication',
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0n,
    })),
  ];
}

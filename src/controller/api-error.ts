/**
 * The outcome of one item of a controller operation (a topic, a resource): Kafka's ApiError.
 * A code alone carries Kafka's default message for it, as `new ApiError(Errors.X)` does.
 */
import { InvalidConfigError } from '../log/topic-config.js';
import { ErrorCode, KafkaError, errorInfo } from '../protocol/errors.js';

export interface ApiError {
  readonly code: number;
  /** Null on success. */
  readonly message: string | null;
}

export const NO_ERROR: ApiError = Object.freeze({ code: ErrorCode.NONE, message: null });

export function apiError(code: number, message?: string): ApiError {
  return { code, message: message ?? errorInfo(code).message };
}

export function isFailure(error: ApiError): boolean {
  return error.code !== ErrorCode.NONE;
}

/** Kafka's ApiError.fromThrowable: known errors keep their code, anything else is a server error. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof KafkaError) return { code: err.code, message: err.message };
  if (err instanceof InvalidConfigError) return apiError(ErrorCode.INVALID_CONFIG, err.message);
  return apiError(ErrorCode.UNKNOWN_SERVER_ERROR, (err as Error)?.message);
}

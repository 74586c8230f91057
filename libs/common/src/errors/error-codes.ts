/** Stable machine-readable error codes, sent as `code` in every error body. Never rename one. */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  MALFORMED_JSON: 'MALFORMED_JSON',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  /** A bearer token that is neither a live session key nor the admin key. */
  UNKNOWN_API_KEY: 'UNKNOWN_API_KEY',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  WORKER_NOT_FOUND: 'WORKER_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** `previous_response_id` names no response recorded in the caller's session. */
  PREVIOUS_RESPONSE_NOT_FOUND: 'previous_response_not_found',
  /** An `item_reference` names no item of a response recorded in the caller's session. */
  ITEM_NOT_FOUND: 'item_not_found',
  CONFLICT: 'CONFLICT',
  NO_CAPACITY: 'NO_CAPACITY',
  NO_HEALTHY_WORKERS: 'NO_HEALTHY_WORKERS',
  WORKER_UNHEALTHY: 'WORKER_UNHEALTHY',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  UPSTREAM_BAD_RESPONSE: 'UPSTREAM_BAD_RESPONSE',
  CLIENT_CLOSED_REQUEST: 'CLIENT_CLOSED_REQUEST',
  GENERATION_ABORTED: 'GENERATION_ABORTED',
  /** The engine's answer broke its protocol or carried no exact sampling evidence (log-probs); nothing was recorded. */
  ENGINE_PROTOCOL: 'ENGINE_PROTOCOL',
  /** The engine refused the request itself (bad parameter, too long, …); resubmitting cannot help. */
  ENGINE_REQUEST_REJECTED: 'ENGINE_REQUEST_REJECTED',
  /** The engine lacks a launch flag this operation needs (e.g. SGLang --enable-memory-saver). */
  ENGINE_MISCONFIGURED: 'ENGINE_MISCONFIGURED',
  PROMPT_TOO_LONG: 'PROMPT_TOO_LONG',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The code used when an error carries only an HTTP status. */
export function errorCodeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return ErrorCode.BAD_REQUEST;
    case 401:
      return ErrorCode.UNAUTHENTICATED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 404:
      return ErrorCode.NOT_FOUND;
    case 405:
      return ErrorCode.METHOD_NOT_ALLOWED;
    case 409:
      return ErrorCode.CONFLICT;
    case 413:
      return ErrorCode.BODY_TOO_LARGE;
    case 415:
      return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
    case 422:
      return ErrorCode.VALIDATION_FAILED;
    case 429:
      return ErrorCode.NO_CAPACITY;
    case 502:
      return ErrorCode.UPSTREAM_UNAVAILABLE;
    case 503:
      return ErrorCode.SERVICE_UNAVAILABLE;
    case 504:
      return ErrorCode.UPSTREAM_TIMEOUT;
    default:
      return status >= 500 ? ErrorCode.INTERNAL : ErrorCode.BAD_REQUEST;
  }
}

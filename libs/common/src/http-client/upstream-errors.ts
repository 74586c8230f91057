import { AppException } from '../errors/app.exception.js';
import { ErrorCode } from '../errors/error-codes.js';

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'HPE_INVALID_CONSTANT',
  'HPE_INVALID_CHUNK_SIZE',
]);

function errorCodeOf(err: unknown): string | undefined {
  let current: unknown = err;
  // undici and fetch wrap the socket error in `cause`; look a few levels down.
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether `err` is a timeout: undici's own, or a deadline's `TimeoutError` (`AbortSignal.timeout()`, or HttpClient's own timer). */
export function isTimeoutError(err: unknown): boolean {
  const code = errorCodeOf(err);
  if (code && TIMEOUT_CODES.has(code)) return true;
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'TimeoutError';
}

/**
 * Maps a transport failure of an outbound call to a stable {@link AppException}:
 * timeouts → 504 `UPSTREAM_TIMEOUT`, refused/reset/closed → 502 `UPSTREAM_UNAVAILABLE`,
 * a caller abort → 499 `CLIENT_CLOSED_REQUEST`, anything else → 502.
 * `what` names the upstream in the message ("router", "worker http://...").
 */
export function mapUpstreamError(err: unknown, what: string): AppException {
  if (err instanceof AppException) return err;
  const code = errorCodeOf(err);
  if (isTimeoutError(err)) {
    return new AppException(504, ErrorCode.UPSTREAM_TIMEOUT, `${what} timed out`, { cause: err });
  }
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return new AppException(499, ErrorCode.CLIENT_CLOSED_REQUEST, `request to ${what} was cancelled`, { cause: err });
  }
  const reason = code && UNAVAILABLE_CODES.has(code) ? code : (code ?? 'transport error');
  return new AppException(502, ErrorCode.UPSTREAM_UNAVAILABLE, `${what} unreachable (${reason})`, { cause: err });
}

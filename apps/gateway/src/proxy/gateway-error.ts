import { AppException, ErrorCode, isTimeoutError, mapUpstreamError } from '@app/common';

/** The gateway's own error shape (the reference's): `{"error": "<message>", "code": ...}`. */
export function gatewayError(
  status: number,
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): AppException {
  return new AppException(status, code, message, { body: { error: message, ...extra } });
}

/** A transport failure towards `what` as a gateway error: 504 for timeouts, 502 otherwise. */
export function transportError(err: unknown, what: string): AppException {
  if (err instanceof AppException && err.details.body?.error !== undefined) return err;
  const mapped = mapUpstreamError(err, what);
  if (mapped.getStatus() === 499) return mapped;
  if (isTimeoutError(err) || mapped.getStatus() === 504)
    return gatewayError(504, ErrorCode.UPSTREAM_TIMEOUT, `${what} timed out`);
  return gatewayError(
    502,
    ErrorCode.UPSTREAM_UNAVAILABLE,
    `${what[0].toUpperCase()}${what.slice(1)} unreachable: ${mapped.message}`,
  );
}

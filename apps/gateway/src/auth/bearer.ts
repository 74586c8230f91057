import type { FastifyRequest } from 'fastify';
import { AppException, ErrorCode, extractBearerToken, extractCallerKey } from '@app/common';

export const MALFORMED_AUTH = "Missing or malformed Authorization header. Expected 'Bearer <token>'.";

/** The caller's bearer token; 401 (`{"detail": ...}`, as the reference) when missing or malformed. */
export function requireBearer(request: FastifyRequest): string {
  const token = extractBearerToken(request.headers.authorization);
  if (token === null)
    throw new AppException(401, ErrorCode.UNAUTHENTICATED, MALFORMED_AUTH, {
      headers: { 'www-authenticate': 'Bearer' },
    });
  return token;
}

/** The Messages API's key: `x-api-key` (the Anthropic SDK's header) or a bearer token; 401 when neither. */
export function requireCallerKey(request: FastifyRequest): string {
  const key = extractCallerKey(request.headers);
  if (key === null)
    throw new AppException(
      401,
      ErrorCode.UNAUTHENTICATED,
      "Missing API key: send 'x-api-key: <key>' or 'Authorization: Bearer <key>'.",
      {
        headers: { 'www-authenticate': 'Bearer' },
      },
    );
  return key;
}

import type { FastifyRequest } from 'fastify';
import { AppException, ErrorCode, extractBearerToken } from '@app/common';

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

import { timingSafeEqual } from 'node:crypto';

/**
 * Extracts the bearer token exactly as the reference does: the header must start with
 * `bearer ` (scheme case-insensitive, one ASCII space); the token is the rest, trimmed.
 * Returns `null` for a missing or malformed header. `Bearer ` (empty token) yields `""`.
 */
export function extractBearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value.length < 7) return null;
  if (value.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  return value.slice(7).trim();
}

/**
 * The caller's key: a bearer token, else Anthropic's `x-api-key` header (the Anthropic SDK sends
 * its key there), so one key works with every agent SDK.
 */
export function extractCallerKey(headers: {
  authorization?: string | string[];
  'x-api-key'?: string | string[];
}): string | null {
  const bearer = extractBearerToken(headers.authorization);
  if (bearer !== null) return bearer;
  const key = Array.isArray(headers['x-api-key']) ? headers['x-api-key'][0] : headers['x-api-key'];
  return typeof key === 'string' && key.trim().length > 0 ? key.trim() : null;
}

/**
 * Constant-time comparison of the UTF-8 bytes of two strings. Any string (non-ASCII included)
 * is safe: different lengths simply compare unequal, and the work done does not depend on
 * where the strings differ.
 */
export function constantTimeEquals(candidate: string, expected: string): boolean {
  const a = Buffer.from(candidate, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) {
    // Still spend comparable time so the length is not trivially timed.
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

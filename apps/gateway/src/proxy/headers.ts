import type { IncomingHttpHeaders } from 'node:http';

/** RFC 7230 hop-by-hop headers, plus those the client sets again itself. */
const DROPPED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'expect',
]);

/**
 * Request headers to forward to a data proxy: everything the caller sent (its `Authorization`
 * included: the data proxy authenticates it) except hop-by-hop headers and any header the
 * `Connection` header names. Repeated headers keep every value.
 */
export function forwardRequestHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROPPED.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Upstream response headers passed back to the caller besides the content type. */
const PASSED_BACK = ['retry-after', 'www-authenticate', 'cache-control'];

export function responseHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_BACK) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

import { Inject, Injectable } from '@nestjs/common';
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { AppException } from '../errors/app.exception.js';
import { ErrorCode } from '../errors/error-codes.js';
import { HTTP_DISPATCHER } from './http-client.constants.js';
import { mapUpstreamError } from './upstream-errors.js';
import { traceOfRequest, traceparentOf } from '../tracing/trace-context.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD';

export interface HttpRequestOptions {
  method?: HttpMethod;
  /** Absolute URL. */
  url: string;
  headers?: Record<string, string | string[] | undefined>;
  /** Whole-call deadline in ms (connect + headers + body). Omit for the pool's defaults only. */
  timeoutMs?: number;
  /** Longest wait for the response headers, in ms (undici `headersTimeout`); default: the pool's. */
  headersTimeoutMs?: number;
  /** Longest silence between body chunks, in ms (undici `bodyTimeout`, 0 = none); default: the pool's. */
  bodyTimeoutMs?: number;
  /** Cancels the call, e.g. when the inbound client disconnects. */
  signal?: AbortSignal;
  /** Forwarded as `x-request-id` so a request can be traced across services. */
  requestId?: string;
  /** Names the upstream in error messages ("router", "worker http://..."). Defaults to the origin. */
  upstreamName?: string;
}

export interface JsonRequestOptions extends HttpRequestOptions {
  /** Serialised with `JSON.stringify`; sets `content-type: application/json`. */
  json?: unknown;
  /** Reject bodies larger than this many bytes with 502 (default 16 MiB). */
  maxResponseBytes?: number;
}

export interface RawRequestOptions extends HttpRequestOptions {
  /** Sent as is: the original request bytes on a proxy path. */
  body?: Buffer | string;
  maxResponseBytes?: number;
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or `undefined` when the body was empty or not JSON. */
  json: T | undefined;
  /** Raw body text (kept for non-JSON error bodies). */
  text: string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface StreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Must be consumed or destroyed by the caller. */
  body: Readable;
}

const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

function combineSignals(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  if (timeoutMs === undefined) return signal;
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/**
 * The one outbound HTTP client of a process, on top of the pooled undici dispatcher.
 *
 * Guarantees: every response body is either read or dumped (so connections return to the pool);
 * transport failures become {@link AppException}s with stable codes (see `mapUpstreamError`);
 * `x-request-id` is forwarded. Non-2xx statuses are returned, not thrown: callers decide.
 */
@Injectable()
export class HttpClient {
  constructor(@Inject(HTTP_DISPATCHER) private readonly dispatcher: Dispatcher) {}

  /** Sends JSON (if any) and reads a JSON answer. */
  async requestJson<T = unknown>(options: JsonRequestOptions): Promise<JsonResponse<T>> {
    const headers: Record<string, string | string[] | undefined> = { ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    const raw = await this.request({ ...options, headers, body });
    const text = raw.body.toString('utf8');
    let json: T | undefined;
    if (text.length > 0) {
      try {
        json = JSON.parse(text) as T;
      } catch {
        json = undefined;
      }
    }
    return { status: raw.status, headers: raw.headers, json, text };
  }

  /** Sends raw bytes and reads the whole answer as bytes (proxying a non-streaming call). */
  async request(options: RawRequestOptions): Promise<RawResponse> {
    const upstream = options.upstreamName ?? safeOrigin(options.url);
    const signal = combineSignals(options.signal, options.timeoutMs);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request(requestOptions(options, signal));
    } catch (err) {
      throw mapUpstreamError(err, upstream);
    }
    const limit = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    try {
      const body = await readLimited(response.body, limit, upstream);
      return { status: response.statusCode, headers: response.headers, body };
    } catch (err) {
      discardBody(response.body);
      throw mapUpstreamError(err, upstream);
    }
  }

  /**
   * Starts a call and returns as soon as headers arrive; the caller owns `body` and must consume
   * or destroy it. Use for SSE. Only `timeoutMs`/`signal` bound the whole stream.
   */
  async stream(options: RawRequestOptions): Promise<StreamResponse> {
    const upstream = options.upstreamName ?? safeOrigin(options.url);
    const signal = combineSignals(options.signal, options.timeoutMs);
    try {
      const response = await this.dispatcher.request(requestOptions(options, signal));
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (err) {
      throw mapUpstreamError(err, upstream);
    }
  }
}

/**
 * Throws away a response body the caller will not read. undici's body emits an `error` when it is
 * destroyed before its end, and an `error` with no listener kills the process, so a listener is
 * attached first.
 */
export function discardBody(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

function requestOptions(options: RawRequestOptions, signal: AbortSignal | undefined): Dispatcher.RequestOptions {
  return {
    ...splitUrl(options.url),
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: withRequestId(options.headers, options.requestId),
    body: options.body,
    signal,
    ...(options.headersTimeoutMs !== undefined ? { headersTimeout: options.headersTimeoutMs } : {}),
    ...(options.bodyTimeoutMs !== undefined ? { bodyTimeout: options.bodyTimeoutMs } : {}),
  };
}

/**
 * URLs parsed before: a service calls the same few URLs (its engine's `/generate`, a worker's
 * chat path) on every request, and parsing one costs more than the lookup. Bounded: cleared when
 * full (URLs with per-request parts, such as a session id in the path, must not grow it).
 */
const splitUrls = new Map<string, { origin: string; path: string }>();
const MAX_SPLIT_URLS = 1024;

function splitUrl(url: string): { origin: string; path: string } {
  const known = splitUrls.get(url);
  if (known !== undefined) return known;
  const split = parseUrl(url);
  if (splitUrls.size >= MAX_SPLIT_URLS) splitUrls.clear();
  splitUrls.set(url, split);
  return split;
}

function parseUrl(url: string): { origin: string; path: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppException(502, ErrorCode.UPSTREAM_UNAVAILABLE, `invalid upstream URL: ${url}`);
  }
  return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function withRequestId(
  headers: Record<string, string | string[] | undefined> | undefined,
  requestId: string | undefined,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (headers) {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) out[name] = value;
    }
  }
  if (requestId !== undefined) out['x-request-id'] = requestId;
  // The span being served is the parent of this call (W3C Trace Context), whatever the caller sent.
  const trace = traceOfRequest(requestId);
  if (trace) out.traceparent = traceparentOf(trace);
  return out;
}

async function readLimited(body: Dispatcher.ResponseData['body'], limit: number, upstream: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      body.destroy();
      throw new AppException(502, ErrorCode.UPSTREAM_BAD_RESPONSE, `${upstream} answered more than ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

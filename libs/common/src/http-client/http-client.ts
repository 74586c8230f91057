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

  /**
   * Sends raw bytes and reads the whole answer as bytes (proxying a non-streaming call). Through
   * `dispatch` with a handler that gathers the body ({@link BufferedCall}): undici's `request()`
   * would build a readable stream, an async resource and an abort-signal listener for a body read
   * whole, and `AbortSignal.timeout()` a signal with its own timer. On the data proxy's engine
   * call that was ≈ 60 µs of CPU in 220 (docs/BENCHMARKS.md, "The tokenizer's table and the engine
   * call's client").
   */
  request(options: RawRequestOptions): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const call = new BufferedCall(options, resolve, reject);
      let dispatchOptions: Dispatcher.DispatchOptions;
      try {
        dispatchOptions = requestOptions(options);
      } catch (err) {
        call.fail(err);
        return;
      }
      if (call.started()) this.dispatcher.dispatch(dispatchOptions, call);
    });
  }

  /**
   * Starts a call and returns as soon as headers arrive; the caller owns `body` and must consume
   * or destroy it. Use for SSE. Only `timeoutMs`/`signal` bound the whole stream.
   */
  async stream(options: RawRequestOptions): Promise<StreamResponse> {
    const upstream = upstreamOf(options);
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

/**
 * One call of {@link HttpClient.request}: undici's dispatch handler that gathers the answer's body
 * up to `maxResponseBytes`, and settles once. The caller's signal and the whole-call deadline abort
 * it; failures come out as `mapUpstreamError` makes them (a deadline as a `TimeoutError`, a 504; a
 * caller abort with the signal's reason, a 499).
 */
class BufferedCall implements Dispatcher.DispatchHandler {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private controller: Dispatcher.DispatchController | null = null;
  /** Why the call was aborted before undici started it (it is aborted as soon as it starts). */
  private abortReason: unknown = null;
  private deadline: NodeJS.Timeout | null = null;
  private settled = false;
  private readonly limit: number;
  private readonly onCallerAbort = (): void => this.abort(callerAbortReason(this.options.signal));

  constructor(
    private readonly options: RawRequestOptions,
    private readonly resolve: (response: RawResponse) => void,
    private readonly reject: (err: AppException) => void,
  ) {
    this.limit = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** Arms the signal and the deadline; false when the caller had already aborted (the call then failed). */
  started(): boolean {
    const { signal, timeoutMs } = this.options;
    if (signal?.aborted) {
      this.fail(callerAbortReason(signal));
      return false;
    }
    signal?.addEventListener('abort', this.onCallerAbort, { once: true });
    if (timeoutMs !== undefined)
      this.deadline = setTimeout(
        () => this.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
        timeoutMs,
      );
    return true;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason !== null) controller.abort(this.abortReason as Error);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: informational, the answer follows
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      controller.abort(
        new AppException(
          502,
          ErrorCode.UPSTREAM_BAD_RESPONSE,
          `${upstreamOf(this.options)} answered more than ${this.limit} bytes`,
        ),
      );
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (!this.settle()) return;
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.fail(err);
  }

  /** Fails the call with `err` as `mapUpstreamError` maps it (once). */
  fail(err: unknown): void {
    if (this.settle()) this.reject(mapUpstreamError(err, upstreamOf(this.options)));
  }

  private abort(reason: unknown): void {
    if (this.settled || this.abortReason !== null) return;
    this.abortReason = reason;
    this.controller?.abort(reason as Error);
  }

  /** Marks the call settled and disarms the signal and the deadline; false when it already was. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.deadline !== null) clearTimeout(this.deadline);
    this.options.signal?.removeEventListener('abort', this.onCallerAbort);
    return true;
  }
}

/** Why the caller's signal aborted: its reason, as undici's `request()` passes it on. */
function callerAbortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** The upstream's name in error messages: the caller's, else the URL's origin. */
function upstreamOf(options: HttpRequestOptions): string {
  return options.upstreamName ?? safeOrigin(options.url);
}

function requestOptions(options: RawRequestOptions, signal?: AbortSignal): Dispatcher.RequestOptions {
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

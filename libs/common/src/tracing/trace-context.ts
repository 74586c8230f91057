import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';

/**
 * W3C Trace Context across the hops (gateway → router → data proxy → engine). Every request a
 * service serves is a span: its trace id comes from the caller's `traceparent` (or is new), its
 * span id is new. Calls made through the pooled HTTP client for that request carry `traceparent`
 * naming the span as their parent, and log lines about it carry both ids.
 *
 * The span is found by the request id the code already passes along (`requestId` of the HTTP
 * client, of log lines), not by AsyncLocalStorage: on Node 20 an enabled AsyncLocalStorage hooks
 * every promise, which cost the gateway 18 % of its CPU per request (measured). Only services off
 * the per-token path (the controller) also run their handlers in an AsyncLocalStorage context, so
 * every call and line of theirs is covered without passing ids.
 */
export interface TraceContext {
  traceId: string;
  spanId: string;
  /** The caller's span, when the request came with a `traceparent`. */
  parentSpanId: string | null;
  sampled: boolean;
}

const storage = new AsyncLocalStorage<TraceContext>();
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Random hex ids from a pool refilled 4 KiB at a time (as Node's randomUUID does): a
 * `randomBytes` call per id costs ≈ 5 µs, on every request of every service.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

/** The parts of a valid `traceparent` header (version 00 or later, non-zero ids), else null. */
export function parseTraceparent(
  header: string | string[] | undefined,
): { traceId: string; parentSpanId: string; sampled: boolean } | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string') return null;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!match || match[1] === 'ff' || match[2] === ZERO_TRACE || match[3] === ZERO_SPAN) return null;
  return { traceId: match[2], parentSpanId: match[3], sampled: (parseInt(match[4], 16) & 1) === 1 };
}

/** The span of a request received with `header` (or starting a new trace without one). */
export function serverSpan(header: string | string[] | undefined): TraceContext {
  const parent = parseTraceparent(header);
  return {
    traceId: parent?.traceId ?? randomHex(16),
    spanId: randomHex(8),
    parentSpanId: parent?.parentSpanId ?? null,
    sampled: parent?.sampled ?? true,
  };
}

/** Far above any service's concurrent requests. */
const MAX_OPEN_REQUESTS = 65_536;

/** Spans of the requests being served, by request id. */
const byRequestId = new Map<string, TraceContext>();

/** Makes `context` the span of request `requestId` until `unbindRequestTrace`. */
export function bindRequestTrace(requestId: string, context: TraceContext): void {
  byRequestId.set(requestId, context);
  // A request that never finished (its client vanished mid-body) ages out: oldest first.
  if (byRequestId.size > MAX_OPEN_REQUESTS) byRequestId.delete(byRequestId.keys().next().value as string);
}

export function unbindRequestTrace(requestId: string, context: TraceContext): void {
  // A client may reuse an x-request-id for concurrent requests: only our own entry goes.
  if (byRequestId.get(requestId) === context) byRequestId.delete(requestId);
}

/** The span of a request being served, by its id, else the AsyncLocalStorage one (controller). */
export function traceOfRequest(requestId: string | undefined): TraceContext | undefined {
  return (requestId === undefined ? undefined : byRequestId.get(requestId)) ?? storage.getStore();
}

/** Runs `fn` (and everything it starts) inside `context`. */
export function runInTrace<T>(context: TraceContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The span being served now, if any (background work has none). */
export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

/** The `traceparent` an outgoing call from `context` sends. */
export function traceparentOf(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled ? '01' : '00'}`;
}

/**
 * Log fields of the span a line is about (pino's mixin): the request its `requestId` names, else
 * the AsyncLocalStorage context (controller).
 */
export function traceLogFields(line: object): Record<string, string> {
  const requestId = (line as { requestId?: unknown }).requestId;
  const context = traceOfRequest(typeof requestId === 'string' ? requestId : undefined);
  return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

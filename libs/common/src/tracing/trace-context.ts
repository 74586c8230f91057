import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/**
 * W3C Trace Context across the hops (gateway → router → data proxy → engine). Every request a
 * service serves runs in a span: its trace id comes from the caller's `traceparent` (or is new),
 * its span id is new. Every log line written while serving it carries both ids, and every call
 * made through the pooled HTTP client carries `traceparent` naming this span as the parent.
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
    traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: parent?.parentSpanId ?? null,
    sampled: parent?.sampled ?? true,
  };
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

/** Log fields of the current span (pino's mixin: added to every line written while serving a request). */
export function traceLogFields(): Record<string, string> {
  const context = storage.getStore();
  return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

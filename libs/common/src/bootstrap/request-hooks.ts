import type { FastifyInstance } from 'fastify';
import type { ConnectionTracker } from '../http-server/connection-tracker.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { OtlpSpanExporter } from '../tracing/otlp-exporter.js';
import {
  bindRequestTrace,
  runInTrace,
  serverSpan,
  unbindRequestTrace,
  type TraceContext,
} from '../tracing/trace-context.js';

const START_TIME = Symbol('startTime');
const TRACE = Symbol('trace');

/** What a request carries from its first hook to its last. */
interface TimedRequest {
  [START_TIME]?: bigint;
  [TRACE]?: TraceContext;
}

export interface RequestHookDeps {
  metrics: MetricsService;
  connections: ConnectionTracker;
  /** Where sampled server spans go; null without `--otlp-endpoint`. */
  spans: OtlpSpanExporter | null;
  /** Run handlers inside their request's span (AsyncLocalStorage): see `AppDefinition`. */
  asyncTraceContext: boolean;
}

/**
 * Per-request bookkeeping around every handler: the connection tracker (for shutdown), the
 * `x-request-id` response header, the in-flight gauge and duration histogram, and the request's
 * trace (bound for log lines, exported as a server span when sampled).
 */
export function registerRequestHooks(fastify: FastifyInstance, deps: RequestHookDeps): void {
  const { metrics, connections, spans } = deps;
  fastify.addHook('onRequest', (request, reply, done) => {
    connections.requestStarted(request.raw.socket);
    const timed = request as unknown as TimedRequest;
    timed[START_TIME] = process.hrtime.bigint();
    const trace = serverSpan(request.headers.traceparent);
    timed[TRACE] = trace;
    bindRequestTrace(request.id, trace);
    metrics.httpInFlight.inc();
    void reply.header('x-request-id', request.id);
    done();
  });
  // Off the per-token path, the handler (and everything it awaits or starts) also runs in the
  // request's span (AsyncLocalStorage). Entered here, after the body is read: the body parser's
  // stream events would lose an earlier context.
  if (deps.asyncTraceContext)
    fastify.addHook('preHandler', (request, _reply, done) => {
      const trace = (request as unknown as TimedRequest)[TRACE];
      if (trace) runInTrace(trace, done);
      else done();
    });

  fastify.addHook('onResponse', (request, reply, done) => {
    connections.requestEnded(request.raw.socket);
    const timed = request as unknown as TimedRequest;
    const started = timed[START_TIME];
    metrics.httpInFlight.dec();
    if (started !== undefined) {
      const ended = process.hrtime.bigint();
      const route = request.routeOptions.url ?? '<unmatched>';
      metrics.observeRequest(request.method, route, reply.statusCode, Number(ended - started) / 1e9);
      const trace = timed[TRACE];
      if (trace) unbindRequestTrace(request.id, trace);
      if (spans && trace?.sampled) {
        const endUnixNano = BigInt(Date.now()) * 1_000_000n;
        spans.record({
          context: trace,
          name: `${request.method} ${route}`,
          startUnixNano: endUnixNano - (ended - started),
          endUnixNano,
          attributes: {
            'http.request.method': request.method,
            'http.route': route,
            'http.response.status_code': reply.statusCode,
            'http.request.id': request.id,
          },
          error: reply.statusCode >= 500,
        });
      }
    }
    done();
  });
}

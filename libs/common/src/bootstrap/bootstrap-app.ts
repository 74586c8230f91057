// One unit over 300 lines: how a service process is built and started (options, logger, Fastify
// adapter, request hooks for metrics and traces, Swagger, listen and shutdown); the hooks and the
// adapter settings depend on each other.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { Dispatcher } from 'undici';
import type { AuthMessages } from '../auth/auth-messages.js';
import { CommonModule } from '../common.module.js';
import { trackConnections } from '../http-server/connection-tracker.js';
import {
  ConfigError,
  unknownFlagMessage,
  describeOptions,
  parseOptions,
  type OptionSpecs,
  type ParsedOptions,
} from '../config/app-options.js';
import type { BaseAppOptions } from '../config/app-config.js';
import type { WithCommonOptions } from '../config/common-options.js';
import type { ErrorBodyFormatter } from '../errors/all-exceptions.filter.js';
import type { ReadinessCheck } from '../health/health.controller.js';
import { createRootLogger, PinoNestLogger } from '../logging/logger.js';
import { processLogStyle } from './log-style.js';
import { OtlpSpanExporter } from '../tracing/otlp-exporter.js';
import { HttpClient } from '../http-client/http-client.js';
import {
  bindRequestTrace,
  runInTrace,
  serverSpan,
  unbindRequestTrace,
  type TraceContext,
} from '../tracing/trace-context.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { assertAdminKeyAllowed } from './admin-key-policy.js';
import { LISTENING_MESSAGE } from './listening-line.js';
import { setupSwagger, type SwaggerInfo } from './swagger.js';

/** Everything `bootstrapApp` needs to know about one service. */
export interface AppDefinition<S extends WithCommonOptions> {
  name: string;
  version?: string;
  /** The app's option spec; must include `COMMON_OPTIONS`. */
  options: S;
  /** The app's feature module, built from its parsed options. */
  module: (options: ParsedOptions<S>) => Type | DynamicModule;
  authMessages?: AuthMessages;
  readinessChecks?: ReadinessCheck[];
  defaultLiveness?: boolean;
  errorBodyFormatter?: ErrorBodyFormatter;
  /**
   * Also run every handler in its request's span with AsyncLocalStorage, so calls and log lines
   * that do not name their request id carry the trace. For services off the per-token path only:
   * on Node 20 it hooks every promise (≈ 45 µs per gateway request, measured).
   */
  asyncTraceContext?: boolean;
  /**
   * Hand JSON bodies to handlers as the raw Buffer instead of parsing them: for proxies that
   * forward the original bytes and read only a field or two.
   */
  rawJsonBodies?: boolean;
  /** Rewrites the command line before it is parsed (the controller expands `--config FILE`). */
  expandArgv?: (argv: readonly string[]) => string[];
  swagger: SwaggerInfo;
}

export interface CreateAppOverrides {
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  /** Replaces the pooled dispatcher (tests). */
  dispatcher?: Dispatcher;
}

export interface CreatedApp<S extends OptionSpecs> {
  app: NestFastifyApplication;
  options: ParsedOptions<S>;
  logger: PinoLogger;
}

const REQUEST_ID_PATTERN = /^[\w.:@/+=-]{1,128}$/;

function requestIdOf(req: IncomingMessage): string {
  const inbound = req.headers['x-request-id'];
  return typeof inbound === 'string' && REQUEST_ID_PATTERN.test(inbound) ? inbound : randomUUID();
}

const START_TIME = Symbol('startTime');
const TRACE = Symbol('trace');

/**
 * Creates (but does not start) a service: parses options, builds the Fastify adapter (JSON pino
 * logging with redaction, request ids, body limit, keep-alive), the Nest app with `CommonModule`,
 * metrics hooks and Swagger. Throws {@link ConfigError} for a bad option.
 */
export async function createApp<S extends WithCommonOptions>(
  definition: AppDefinition<S>,
  overrides: CreateAppOverrides = {},
): Promise<CreatedApp<S>> {
  const env = overrides.env ?? process.env;
  const { options, unknownFlags } = parseOptions(
    definition.options,
    (definition.expandArgv ?? ((argv: readonly string[]) => argv))(overrides.argv ?? process.argv.slice(2)),
    env,
  );
  const base = options as unknown as BaseAppOptions;
  assertAdminKeyAllowed(base.host, base['admin-api-key'], env.AREAL_ALLOW_DEFAULT_ADMIN_KEY === '1');

  const style = processLogStyle(base['log-format']);
  const logger = createRootLogger(definition.name, base['log-level'], style.format, style.colour);
  // An unknown flag is an error, as the reference's argparse makes it: a typo such as
  // `--admin-api-ky` must not start the service with the default key.
  if (unknownFlags.length > 0)
    throw new ConfigError(unknownFlags[0], unknownFlagMessage(unknownFlags[0], Object.keys(definition.options)));

  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: !base['access-log'], requestIdLogLabel: 'requestId' }),
    bodyLimit: base['max-body-bytes'],
    keepAliveTimeout: base['keep-alive-timeout-ms'],
    genReqId: requestIdOf,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  @Module({
    imports: [
      CommonModule.forApp({
        identity: { name: definition.name, version: definition.version ?? '0.1.0' },
        options: base,
        authMessages: definition.authMessages,
        readinessChecks: definition.readinessChecks,
        defaultLiveness: definition.defaultLiveness,
        errorBodyFormatter: definition.errorBodyFormatter,
        dispatcher: overrides.dispatcher,
      }),
      definition.module(options),
    ],
  })
  class RootModule {}

  const app = await NestFactory.create<NestFastifyApplication>(RootModule, adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // The JSON body parser is ours (below).
    bodyParser: false,
  });

  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  // Like FastAPI, accept `content-type: application/json` with an empty body (clients send it on
  // body-less POSTs such as /grant_capacity); Fastify's own parser would answer 400. Everything
  // else goes to Fastify's secure parser (prototype-poisoning protection included).
  const jsonParser = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  if (definition.rawJsonBodies) {
    fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  } else
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (body === '' || (typeof body === 'string' && body.trim() === '')) {
        done(null, undefined);
        return;
      }
      void jsonParser(request, body as string, done);
    });
  // Raw bytes (tensor payloads, forwarded bodies) arrive as a Buffer for the handler to read.
  fastify.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  const connections = trackConnections(app.getHttpServer());
  // Connections with no request in flight go at close, including ones that never sent a request
  // (Node's own idle-connection close keeps those, and they would hold the shutdown until the
  // grace period ends).
  fastify.addHook('preClose', (done) => {
    connections.closeUnused();
    done();
  });
  const spans = base['otlp-endpoint']
    ? new OtlpSpanExporter(base['otlp-endpoint'], definition.name, app.get(HttpClient))
    : null;
  // Spans still buffered go out before the process ends.
  if (spans) fastify.addHook('onClose', (_instance, done) => void spans.shutdown().then(() => done()));
  fastify.addHook('onRequest', (request, reply, done) => {
    connections.requestStarted(request.raw.socket);
    const timed = request as unknown as Record<symbol, unknown>;
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
  if (definition.asyncTraceContext)
    fastify.addHook('preHandler', (request, _reply, done) => {
      const trace = (request as unknown as Record<symbol, TraceContext | undefined>)[TRACE];
      if (trace) runInTrace(trace, done);
      else done();
    });

  fastify.addHook('onResponse', (request, reply, done) => {
    connections.requestEnded(request.raw.socket);
    const started = (request as unknown as Record<symbol, bigint | undefined>)[START_TIME];
    metrics.httpInFlight.dec();
    if (started !== undefined) {
      const ended = process.hrtime.bigint();
      const route = request.routeOptions.url ?? '<unmatched>';
      metrics.observeRequest(request.method, route, reply.statusCode, Number(ended - started) / 1e9);
      const trace = (request as unknown as Record<symbol, TraceContext | undefined>)[TRACE];
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

  if (base.swagger) setupSwagger(app, definition.swagger);
  await app.init();
  const server = app.getHttpServer();
  // Node requires headersTimeout > keepAliveTimeout, or idle sockets race the header timer.
  server.headersTimeout = base['keep-alive-timeout-ms'] + 1000;
  server.requestTimeout = 0;
  return { app, options, logger };
}

/**
 * Starts a service as a process: `node dist/apps/<app>/main.js [flags]`. Prints `--help`, exits
 * with status 2 and a message naming the flag on a bad option, logs one `listening` line with the
 * bound URL, and shuts down in order on SIGINT/SIGTERM (forced after `--shutdown-grace-ms`).
 * Resolves with the listening app (null after `--help`) for what main.ts does next.
 */
export async function bootstrapApp<S extends WithCommonOptions>(
  definition: AppDefinition<S>,
): Promise<NestFastifyApplication | null> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      `Usage: node dist/apps/${definition.name}/main.js [options]\n\n${describeOptions(definition.options)}\n`,
    );
    return null;
  }
  let created: CreatedApp<S>;
  try {
    created = await createApp(definition, { argv });
  } catch (err) {
    process.stderr.write(`${definition.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (!(err instanceof ConfigError) && !(err instanceof Error && err.message.startsWith('--'))) {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? '') : ''}\n`);
    }
    process.exit(2);
  }
  const { app, logger } = created;
  const base = created.options as unknown as BaseAppOptions;

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    // A resumed stdin would keep the event loop, and so the process, alive after the close.
    if (base['exit-with-stdin']) process.stdin.destroy();
    const force = setTimeout(() => {
      logger.warn({ graceMs: base['shutdown-grace-ms'] }, 'grace period over; exiting with requests in flight');
      process.exit(0);
    }, base['shutdown-grace-ms']);
    force.unref();
    app.close().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exitCode = 0;
      },
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  if (base['exit-with-stdin']) {
    // The launcher holds the other end of our stdin: when it goes, however it went, so do we.
    process.stdin.once('end', () => shutdown('stdin closed'));
    process.stdin.once('error', () => shutdown('stdin closed'));
    process.stdin.resume();
  }

  try {
    await app.listen({ port: base.port, host: base.host, backlog: base['listen-backlog'] });
  } catch (err) {
    logger.fatal({ err }, 'cannot listen');
    logger.flush();
    process.exit(1);
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : base.port;
  const host = base.host.includes(':') ? `[${base.host}]` : base.host;
  // Whoever started us learns the port from this line, whatever the log level (AReaL 2.0's launcher
  // passes `--log-level warning` to every service).
  const announcer = logger.isLevelEnabled('info') ? logger : logger.child({}, { level: 'info' });
  announcer.info({ url: `http://${host}:${port}`, port, version: definition.version ?? '0.1.0' }, LISTENING_MESSAGE);
  return app;
}

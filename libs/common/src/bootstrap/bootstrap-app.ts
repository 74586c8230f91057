import 'reflect-metadata';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { Dispatcher } from 'undici';
import type { AuthMessages } from '../auth/auth-messages.js';
import { CommonModule } from '../common.module.js';
import { trackConnections, type ConnectionTracker } from '../http-server/connection-tracker.js';
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
import { MetricsService } from '../metrics/metrics.service.js';
import { assertAdminKeyAllowed } from './admin-key-policy.js';
import {
  applyServerTimeouts,
  createFastifyAdapter,
  registerBodyParsers,
  type JsonBodyReuse,
} from './fastify-server.js';
import { exitOnCreateError, installShutdown, listenAndAnnounce } from './process-lifecycle.js';
import { registerRequestHooks } from './request-hooks.js';
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
  /** The app's shortcut for JSON bodies that repeat an earlier one (the data proxy's conversations), from its providers. */
  jsonBodyReuse?: (app: NestFastifyApplication) => JsonBodyReuse | null;
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

const versionOf = (definition: { version?: string }): string => definition.version ?? '0.1.0';

/**
 * The service's options from its command line (rewritten by `expandArgv`) and environment.
 * Refuses the default admin key off loopback and any unknown flag ({@link ConfigError}).
 */
function readOptions<S extends WithCommonOptions>(
  definition: AppDefinition<S>,
  overrides: CreateAppOverrides,
): ParsedOptions<S> {
  const env = overrides.env ?? process.env;
  const argv = overrides.argv ?? process.argv.slice(2);
  const { options, unknownFlags } = parseOptions(definition.options, definition.expandArgv?.(argv) ?? argv, env);
  const base = options as unknown as BaseAppOptions;
  assertAdminKeyAllowed(base.host, base['admin-api-key'], env.AREAL_ALLOW_DEFAULT_ADMIN_KEY === '1');
  // An unknown flag is an error, as the reference's argparse makes it: a typo such as
  // `--admin-api-ky` must not start the service with the default key.
  if (unknownFlags.length > 0)
    throw new ConfigError(unknownFlags[0], unknownFlagMessage(unknownFlags[0], Object.keys(definition.options)));
  return options;
}

/** The root module: `CommonModule` for this service, then the app's own module. */
function rootModuleOf<S extends WithCommonOptions>(
  definition: AppDefinition<S>,
  options: ParsedOptions<S>,
  overrides: CreateAppOverrides,
): Type {
  @Module({
    imports: [
      CommonModule.forApp({
        identity: { name: definition.name, version: versionOf(definition) },
        options: options as unknown as BaseAppOptions,
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
  return RootModule;
}

function createNestApp(root: Type, adapter: FastifyAdapter, logger: PinoLogger): Promise<NestFastifyApplication> {
  return NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // The JSON body parser is ours (registerBodyParsers).
    bodyParser: false,
  });
}

/**
 * What closing the app must finish: connections with no request in flight go at once, including
 * ones that never sent a request (Node's own idle-connection close keeps those, and they would
 * hold the shutdown until the grace period ends); spans still buffered go out before the end.
 */
function closeConnectionsAndFlushSpansOnClose(
  fastify: FastifyInstance,
  connections: ConnectionTracker,
  spans: OtlpSpanExporter | null,
): void {
  fastify.addHook('preClose', (done) => {
    connections.closeUnused();
    done();
  });
  if (spans) fastify.addHook('onClose', (_instance, done) => void spans.shutdown().then(() => done()));
}

/**
 * Creates (but does not start) a service: parses options, builds the Fastify adapter (JSON pino
 * logging with redaction, request ids, body limit, keep-alive), the Nest app with `CommonModule`,
 * body parsers, metrics and trace hooks, shutdown hooks and Swagger. Throws {@link ConfigError}
 * for a bad option.
 */
export async function createApp<S extends WithCommonOptions>(
  definition: AppDefinition<S>,
  overrides: CreateAppOverrides = {},
): Promise<CreatedApp<S>> {
  const options = readOptions(definition, overrides);
  const base = options as unknown as BaseAppOptions;
  const style = processLogStyle(base['log-format']);
  const logger = createRootLogger(definition.name, base['log-level'], style.format, style.colour);
  const app = await createNestApp(
    rootModuleOf(definition, options, overrides),
    createFastifyAdapter(base, logger),
    logger,
  );
  const fastify = app.getHttpAdapter().getInstance();
  registerBodyParsers(fastify, definition.rawJsonBodies ?? false, definition.jsonBodyReuse?.(app) ?? null);
  const connections = trackConnections(app.getHttpServer());
  const spans = base['otlp-endpoint']
    ? new OtlpSpanExporter(base['otlp-endpoint'], definition.name, app.get(HttpClient))
    : null;
  closeConnectionsAndFlushSpansOnClose(fastify, connections, spans);
  registerRequestHooks(fastify, {
    metrics: app.get(MetricsService),
    connections,
    spans,
    asyncTraceContext: definition.asyncTraceContext ?? false,
  });
  if (base.swagger) setupSwagger(app, definition.swagger);
  await app.init();
  applyServerTimeouts(app.getHttpServer(), base);
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
  const { app, logger, options } = await createApp(definition, { argv }).catch((err: unknown) =>
    exitOnCreateError(definition.name, err),
  );
  const base = options as unknown as BaseAppOptions;
  installShutdown(app, logger, base);
  await listenAndAnnounce(app, logger, base, versionOf(definition));
  return app;
}

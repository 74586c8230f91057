import type { OptionSpec, OptionSpecs, ParsedOptions } from './app-options.js';
import { LOG_FORMATS } from '../logging/pretty.js';
import { DEFAULT_ADMIN_API_KEY } from './default-admin-key.js';

/** Log levels as the reference spells them on the command line; `warning` maps to pino's `warn`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * Options every service accepts. Apps spread these into their own spec.
 *
 * The host defaults to loopback, not the reference's `0.0.0.0`: binding every interface must be
 * a deliberate choice (and then needs a non-default admin key).
 */
export const COMMON_OPTIONS = {
  host: { type: 'string', default: '127.0.0.1', description: 'bind address' },
  port: { type: 'int', default: 8080, min: 0, max: 65535, description: 'bind port (0 picks a free port)' },
  'admin-api-key': {
    type: 'string',
    default: DEFAULT_ADMIN_API_KEY,
    secret: true,
    description: 'admin key required by every control endpoint',
  },
  'log-level': { type: 'string', default: 'info', choices: LOG_LEVELS, description: 'log level' },
  'log-format': {
    type: 'string',
    default: 'auto',
    choices: LOG_FORMATS,
    description: 'auto: one readable line per event on a terminal, JSON lines otherwise; json; pretty',
  },
  'otlp-endpoint': {
    type: 'string',
    default: '',
    description:
      'OTLP/HTTP collector base URL (e.g. http://otel-collector:4318): a server span per request is exported; empty: off (traceparent is still propagated and logged)',
  },
  'access-log': { type: 'boolean', default: false, description: 'log one line per request (off on the hot path)' },
  'max-body-bytes': {
    type: 'int',
    default: 1024 * 1024,
    min: 1024,
    description: 'largest accepted request body; larger bodies get 413',
  },
  swagger: {
    type: 'boolean',
    default: true,
    description: 'serve Swagger UI at /docs and the document at /openapi.json',
  },
  'listen-backlog': {
    type: 'int',
    default: 4096,
    min: 1,
    description:
      "pending connections the kernel queues before accept (Node's default is 511: thousands of agents connecting at once are reset); capped by net.core.somaxconn",
  },
  'keep-alive-timeout-ms': {
    type: 'int',
    default: 65_000,
    min: 1000,
    description: 'server keep-alive timeout; keep it above every client idle timeout',
  },
  'shutdown-grace-ms': {
    type: 'int',
    default: 5000,
    min: 0,
    description: 'time allowed for in-flight requests on shutdown',
  },
  'exit-with-stdin': {
    type: 'boolean',
    default: false,
    description:
      'shut down when standard input closes (the controller starts services this way, so none outlives it, even after a kill -9)',
  },
  'http-connections': {
    type: 'int',
    default: 256,
    min: 0,
    description: 'outbound HTTP connections per upstream origin (pooled client); 0 = unbounded',
  },
  'http-keep-alive-timeout-ms': {
    type: 'int',
    default: 4000,
    min: 100,
    description: 'outbound idle keep-alive; below every upstream server keep-alive timeout',
  },
  'http-connect-timeout-ms': { type: 'int', default: 5000, min: 1, description: 'outbound connect timeout' },
  'http-headers-timeout-ms': {
    type: 'int',
    default: 300_000,
    min: 1,
    description: 'outbound default time to response headers (calls may set a shorter one)',
  },
  'http-body-timeout-ms': {
    type: 'int',
    default: 300_000,
    min: 0,
    description: 'outbound default idle time between body chunks (0 disables)',
  },
} as const satisfies OptionSpecs;

export type CommonOptions = ParsedOptions<typeof COMMON_OPTIONS>;

/** The shape an app's option spec must have: every common option, with the same type (defaults may differ). */
export type WithCommonOptions = OptionSpecs & {
  [K in keyof typeof COMMON_OPTIONS]: Extract<OptionSpec, { type: (typeof COMMON_OPTIONS)[K]['type'] }>;
};

import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { prettyDestination } from './pretty.js';
import { traceLogFields } from '../tracing/trace-context.js';

/**
 * Paths pino blanks out in every log line. Secrets never reach the logs: bearer tokens, cookies,
 * admin and session keys, provider keys.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'authorization',
  'api_key',
  'apiKey',
  'admin_api_key',
  'adminApiKey',
  'session_api_key',
  'provider_api_key',
  'token',
  '*.authorization',
  '*.api_key',
  '*.apiKey',
  '*.admin_api_key',
  '*.adminApiKey',
  '*.session_api_key',
  '*.provider_api_key',
  '*.token',
  '*["admin-api-key"]',
  '*["provider-api-key"]',
];

/** Maps the reference's level names (`warning`) onto pino's. */
export function toPinoLevel(level: string): LevelWithSilent {
  return (level === 'warning' ? 'warn' : level) as LevelWithSilent;
}

/**
 * The process logger: JSON lines on stdout (or, `pretty`, one readable line per event), secrets
 * redacted, `app` on every line.
 */
export function createRootLogger(
  appName: string,
  level: string,
  format: 'json' | 'pretty' = 'json',
  colour = false,
): PinoLogger {
  const options = {
    level: toPinoLevel(level),
    base: { app: appName, pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    // The trace and span ids of the request being served, on every line written while serving it.
    mixin: (line: object) => traceLogFields(line),
  };
  return format === 'pretty' ? pino(options, prettyDestination(process.stdout, colour)) : pino(options);
}

/**
 * Nest's own start-up chatter (a line per module, per controller and per route of every service)
 * is for debugging the framework, not for running the stack: it is logged at debug.
 */
const FRAMEWORK_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Nest's `LoggerService` on top of the process's pino logger, so framework and app logs share one
 * JSON stream. `new Logger(Ctx).log({ fields }, 'message')` becomes `{ ...fields, context, msg }`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: PinoLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(requested: Level, message: unknown, params: unknown[]): void {
    const rest = [...params];
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const level =
      requested === 'info' && context !== undefined && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : requested;
    if (!this.logger.isLevelEnabled(level)) return;
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      const text = typeof rest[0] === 'string' ? rest[0] : undefined;
      this.logger[level]({ context, ...(message as Record<string, unknown>) }, text);
    } else {
      // Nest's `logger.error(message, stack, context)` form.
      const stack = level === 'error' && typeof rest[0] === 'string' ? rest[0] : undefined;
      this.logger[level]({ context, stack }, String(message));
    }
  }
}

import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

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

/** The process logger: JSON lines on stdout, secrets redacted, `app` on every line. */
export function createRootLogger(appName: string, level: string): PinoLogger {
  return pino({
    level: toPinoLevel(level),
    base: { app: appName, pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

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

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const rest = [...params];
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
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

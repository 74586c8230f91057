import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, LogFn, Logger as PinoLogger } from 'pino';

/**
 * `request.log`, made only when a line is written. Fastify gives every request a pino child with
 * its request id bound; pino serialises (and redacts) those bindings when the child is made, which
 * cost ≈ 30 µs per request on every service (profiled on the data proxy). Our handlers never log
 * through `request.log` (they log through the process logger, the request's trace ids mixed in),
 * and Fastify itself does only for access lines (`--access-log`) and errors, so almost every child
 * was made and dropped unused. This one makes the child at its first enabled line.
 */
export class RequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | null = null;

  constructor(
    private readonly parent: PinoLogger,
    private readonly bindings: Bindings,
  ) {}

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }

  private logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  private write(level: Level, args: unknown[]): void {
    // Until the child is made its level is the parent's (a child made with options is made at once).
    if (this.made === null && !this.parent.isLevelEnabled(level)) return;
    this.logger()[level](...(args as Parameters<LogFn>));
  }
}

/**
 * Fastify's `childLoggerFactory`: a {@link RequestLogger}, or pino's child at once where a route
 * asks for its own level or serialisers (none of ours does).
 */
export function requestLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  if (Object.keys(options).length > 0) return logger.child(bindings, options);
  return new RequestLogger(logger as PinoLogger, bindings);
}

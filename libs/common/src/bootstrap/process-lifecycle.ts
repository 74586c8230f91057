import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as PinoLogger } from 'pino';
import type { BaseAppOptions } from '../config/app-config.js';
import { ConfigError } from '../config/app-options.js';
import { LISTENING_MESSAGE } from './listening-line.js';

/** Reports why a service could not be created and exits with status 2 (a stack only for a bug). */
export function exitOnCreateError(name: string, err: unknown): never {
  process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
  if (!(err instanceof ConfigError) && !(err instanceof Error && err.message.startsWith('--'))) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? '') : ''}\n`);
  }
  process.exit(2);
}

/**
 * Closes the app in order on SIGTERM, SIGINT and (with `--exit-with-stdin`) the end of stdin;
 * exits anyway once `--shutdown-grace-ms` has passed with requests still in flight.
 */
export function installShutdown(app: NestFastifyApplication, logger: PinoLogger, options: BaseAppOptions): void {
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    // A resumed stdin would keep the event loop, and so the process, alive after the close.
    if (options['exit-with-stdin']) process.stdin.destroy();
    const force = setTimeout(() => {
      logger.warn({ graceMs: options['shutdown-grace-ms'] }, 'grace period over; exiting with requests in flight');
      process.exit(0);
    }, options['shutdown-grace-ms']);
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
  if (options['exit-with-stdin']) {
    // The launcher holds the other end of our stdin: when it goes, however it went, so do we.
    process.stdin.once('end', () => shutdown('stdin closed'));
    process.stdin.once('error', () => shutdown('stdin closed'));
    process.stdin.resume();
  }
}

/**
 * Listens on `--host`/`--port` (exits with status 1 if it cannot) and logs the one `listening`
 * line, with the bound URL, that launchers and tests wait for.
 */
export async function listenAndAnnounce(
  app: NestFastifyApplication,
  logger: PinoLogger,
  options: BaseAppOptions,
  version: string,
): Promise<void> {
  try {
    await app.listen({ port: options.port, host: options.host, backlog: options['listen-backlog'] });
  } catch (err) {
    logger.fatal({ err }, 'cannot listen');
    logger.flush();
    process.exit(1);
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  // Whoever started us learns the port from this line, whatever the log level (AReaL 2.0's launcher
  // passes `--log-level warning` to every service).
  const announcer = logger.isLevelEnabled('info') ? logger : logger.child({}, { level: 'info' });
  announcer.info({ url: `http://${host}:${port}`, port, version }, LISTENING_MESSAGE);
}

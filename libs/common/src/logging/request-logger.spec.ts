import { Writable } from 'node:stream';
import { describe, expect, it, jest } from '@jest/globals';
import Fastify, { LogController } from 'fastify';
import { pino, type Logger } from 'pino';
import { RequestLogger, requestLoggerFactory } from './request-logger.js';

/** A pino logger at `level` whose lines are collected, parsed. */
function capturedLogger(level: string): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, destination), lines };
}

/** A Fastify server as our services make it (request ids, the request logger), one route. */
async function server(logger: Logger, accessLog: boolean) {
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: !accessLog, requestIdLogLabel: 'requestId' }),
    childLoggerFactory: requestLoggerFactory,
    genReqId: () => 'req-1',
  });
  app.get('/ping', () => ({ ok: true }));
  app.get('/logs', (request) => {
    request.log.warn({ what: 'handler' }, 'written through request.log');
    return { ok: true };
  });
  await app.ready();
  return app;
}

describe('request.log, made when first written', () => {
  it('a request that writes no line makes no pino child', async () => {
    const { logger, lines } = capturedLogger('info');
    const app = await server(logger, false);
    const child = jest.spyOn(logger, 'child');
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'GET', url: '/ping' })).statusCode).toBe(200);
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    await app.close();
  });

  it("lines written through it carry the request id, as pino's child writes them, one child per request", async () => {
    const { logger, lines } = capturedLogger('info');
    const app = await server(logger, true);
    const child = jest.spyOn(logger, 'child');
    expect((await app.inject({ method: 'GET', url: '/logs' })).statusCode).toBe(200);
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((line) => [line.msg, line.requestId])).toEqual([
      ['incoming request', 'req-1'],
      ['written through request.log', 'req-1'],
      ['request completed', 'req-1'],
    ]);
    expect(lines[1]).toMatchObject({ what: 'handler', level: 40 });
    await app.close();
  });

  it("follows the parent's level until it is made: a disabled line makes nothing", () => {
    const { logger, lines } = capturedLogger('warn');
    const child = jest.spyOn(logger, 'child');
    const requestLog = new RequestLogger(logger, { requestId: 'r' });
    expect(requestLog.level).toBe('warn');
    requestLog.info('not written');
    requestLog.debug({ a: 1 }, 'not written');
    requestLog.silent();
    expect(child).not.toHaveBeenCalled();
    requestLog.error({ err: 'x' }, 'written');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([expect.objectContaining({ msg: 'written', requestId: 'r', err: 'x' })]);
    // Its own level, once set, is the child's.
    requestLog.level = 'debug';
    requestLog.debug('now written');
    expect(logger.level).toBe('warn');
    expect(lines.map((line) => line.msg)).toEqual(['written', 'now written']);
    // A child of it binds both.
    requestLog.child({ step: 2 }).warn('nested');
    expect(lines[2]).toMatchObject({ requestId: 'r', step: 2, msg: 'nested' });
  });

  it("a route with its own level or serialisers gets pino's child at once", () => {
    const { logger } = capturedLogger('info');
    const made = requestLoggerFactory(logger, { requestId: 'r' }, { level: 'debug' });
    expect(made).not.toBeInstanceOf(RequestLogger);
    expect(made.level).toBe('debug');
    expect(requestLoggerFactory(logger, { requestId: 'r' }, {})).toBeInstanceOf(RequestLogger);
  });
});

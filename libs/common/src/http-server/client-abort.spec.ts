import { afterEach, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyReply } from 'fastify';
import { abortOnClientClose } from './client-abort.js';

/** The part of a Fastify reply `abortOnClientClose` reads: the Node response. */
const replyOf = (raw: unknown): FastifyReply => ({ raw }) as FastifyReply;

describe('abortOnClientClose', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  /** Serves one request with `handle`, and resolves with whether the signal was aborted once the response closed. */
  function serveOnce(handle: (res: ServerResponse) => void, clientGoesAway: boolean): Promise<boolean> {
    return new Promise((resolve) => {
      server = createServer((_req, res) => {
        const controller = abortOnClientClose(replyOf(res));
        res.once('close', () => setImmediate(() => resolve(controller.signal.aborted)));
        handle(res);
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server!.address() as AddressInfo;
        const req = request({ port, host: '127.0.0.1', path: '/' }, (res) => {
          res.resume();
          if (clientGoesAway) req.destroy();
        });
        req.on('error', () => undefined);
        req.end();
      });
    });
  }

  it('aborts when the client goes away before the answer is complete', async () => {
    // Headers and a first chunk go out; the client hangs up before the end.
    expect(await serveOnce((res) => res.write('partial'), true)).toBe(true);
  });

  it('does not abort a response that was answered in full', async () => {
    expect(await serveOnce((res) => res.end('whole answer'), false)).toBe(false);
  });

  it("does not abort an ended response that closes before it reports being flushed (Fastify's inject)", () => {
    const raw = Object.assign(new EventEmitter(), { writableEnded: true, writableFinished: false });
    const controller = abortOnClientClose(replyOf(raw));
    raw.emit('close');
    expect(controller.signal.aborted).toBe(false);
    const unfinished = Object.assign(new EventEmitter(), { writableEnded: false, writableFinished: false });
    const aborted = abortOnClientClose(replyOf(unfinished));
    unfinished.emit('close');
    expect(aborted.signal.aborted).toBe(true);
  });
});

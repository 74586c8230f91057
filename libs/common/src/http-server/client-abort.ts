import type { FastifyReply } from 'fastify';

/**
 * An AbortController aborted when the client goes away before its answer is complete (the
 * connection closes before the response was ended). Handlers pass its signal to whatever works
 * for that client (an upstream call, a generation, a long poll) so nothing is done for no one.
 * An ended response whose bytes were still being flushed when the connection closed has nothing
 * left to abort; and Fastify's `inject` (the in-process benches and tests) closes every response
 * before it reports it finished, which would otherwise abort (and build a DOMException) on every
 * request.
 */
export function abortOnClientClose(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  return controller;
}

import type { FastifyReply } from 'fastify';

/**
 * An AbortController aborted when the client goes away before its answer is complete (the
 * connection closes with the response unfinished). Handlers pass its signal to whatever works
 * for that client (an upstream call, a generation, a long poll) so nothing is done for no one.
 */
export function abortOnClientClose(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller;
}

import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';

/**
 * Answers 200 `text/event-stream` on `reply` and returns the stream to write SSE frames into.
 * `x-accel-buffering: no` keeps proxies such as nginx from holding events back.
 */
export function sendEventStream(reply: FastifyReply): PassThrough {
  const stream = new PassThrough();
  void reply
    .status(200)
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(stream);
  return stream;
}

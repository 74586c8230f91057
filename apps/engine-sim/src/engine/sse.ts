import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { sendEventStream } from '@app/common';

/**
 * Opens a `text/event-stream` answer on `reply` and returns the stream to write events into.
 * `onClose` runs if the client goes away before the stream ended.
 */
export function openEventStream(reply: FastifyReply, onClientGone: () => void): PassThrough {
  const stream = sendEventStream(reply);
  let ended = false;
  stream.once('end', () => (ended = true));
  reply.raw.once('close', () => {
    if (!ended && !reply.raw.writableFinished) onClientGone();
  });
  return stream;
}

/** Writes one `data: <json>` event. */
export function writeEvent(stream: PassThrough, payload: unknown): void {
  stream.write(`data: ${JSON.stringify(payload)}\n\n`);
}

/** Writes the terminating `data: [DONE]` and ends the stream. */
export function endEventStream(stream: PassThrough): void {
  stream.end('data: [DONE]\n\n');
}

/** Calls `onClientGone` if the client disconnects before a non-streaming answer is sent. */
export function onClientDisconnect(reply: FastifyReply, onClientGone: () => void): void {
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) onClientGone();
  });
}

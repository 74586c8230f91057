import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { sendEventStream } from '@app/common';
import type { EngineService, SubmitInput } from './engine.service.js';
import type { GenerationRequest } from './generation-request.js';

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

/**
 * Runs one generation to its end for a client that waits for the whole answer (no streaming).
 * Resolves with the finished generation, or with null when the client left first, in which
 * case the generation is cancelled.
 */
export function generateForClient(
  engine: EngineService,
  reply: FastifyReply,
  input: Omit<SubmitInput, 'listener'>,
): Promise<GenerationRequest | null> {
  return new Promise((resolve) => {
    let generation: GenerationRequest | null = null;
    onClientDisconnect(reply, () => {
      if (generation) engine.cancel(generation);
      resolve(null);
    });
    generation = engine.submit({ ...input, listener: { onFinish: (g) => resolve(g) } });
  });
}

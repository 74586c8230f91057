import type { FastifyReply, FastifyRequest } from 'fastify';
import { abortOnClientClose, callerKeyOf } from '@app/common';
import type { AgentApi } from '../metrics/data-proxy-metrics.js';
import type { ChatService } from './chat.service.js';
import type { ChatRequest } from './chat-request.js';
import type { PreparedChat, TurnResult } from './turn.js';
import type { TurnSink } from './turn-sink.js';

/** One agent API's turn once its body is read: the chat request it made, and its own stream and answer shapes. */
export interface AgentTurn<T> {
  api: AgentApi;
  chat: ChatRequest;
  stream(prepared: PreparedChat): TurnSink;
  answer(prepared: PreparedChat, result: TurnResult): T;
}

/**
 * What every agent-API controller does with a read turn: prepare it in the caller's session (a
 * session key records it, none serves it unrecorded), generate it (cancelled when the client goes
 * away), then stream it in the API's events or send the whole answer in the API's shape.
 */
export async function answerTurn<T>(
  chat: ChatService,
  request: FastifyRequest,
  reply: FastifyReply,
  turn: AgentTurn<T>,
): Promise<void> {
  const abort = abortOnClientClose(reply);
  const prepared = await chat.prepare(turn.chat, callerKeyOf(request), turn.api);
  const answer = await chat.serve(
    prepared,
    abort.signal,
    request.id,
    () => turn.stream(prepared),
    (result) => turn.answer(prepared, result),
  );
  if (answer !== null) void reply.status(200).send(answer);
}

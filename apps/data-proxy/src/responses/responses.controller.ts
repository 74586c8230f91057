import { Controller, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppException, callerKeyOf, ErrorCode, SessionKey } from '@app/common';
import { AgentTurnRoute, ApiResponsesCreate } from '@app/contracts';
import { answerTurn } from '../chat/agent-turn.js';
import { ChatService } from '../chat/chat.service.js';
import { ExternalModelsService } from '../external/external-models.js';
import { SessionStore } from '../sessions/session-store.service.js';
import { itemNotFound, parseResponsesRequest, previousResponseIdOf } from './responses-request.js';
import { outputItems, recordedOutputItem, responseIdOfItem, responseObject } from './responses-response.js';
import { ResponsesStream } from './responses-stream.js';

/**
 * OpenAI's Responses API on the chat pipeline. A session key records the turn (its id is the
 * response id, which rewards and `previous_response_id` name); `previous_response_id` continues a
 * response recorded in the caller's own session.
 */
@ApiTags('agent APIs')
@Controller()
export class DataProxyResponsesController {
  constructor(
    private readonly chat: ChatService,
    private readonly external: ExternalModelsService,
    private readonly sessions: SessionStore,
  ) {}

  @Post(['responses', 'v1/responses'])
  @AgentTurnRoute(
    SessionKey({ optional: true }),
    ApiResponsesCreate(),
    'OpenAI Responses API (streaming with stream: true), recorded like a chat turn',
  )
  create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { body } = request;
    const token = callerKeyOf(request);
    this.external.refuseExternal(body, '/v1/responses');
    const previousId = previousResponseIdOf(body);
    const parsed = parseResponsesRequest(
      body,
      previousId === null ? [] : this.conversationOf(token, previousId),
      (id, where) => this.recordedItem(token, id, where),
    );
    return answerTurn(this.chat, request, reply, {
      api: 'responses',
      chat: parsed.chat,
      stream: (prepared) => new ResponsesStream(reply, prepared.meta, parsed.echo, parsed.chat.logprobs !== null),
      answer: (prepared, result) =>
        responseObject(prepared.meta, parsed.echo, result, outputItems(prepared.meta, result)),
    });
  }

  /** The output item an `item_reference` names, from a response recorded in the caller's session; 404 otherwise. */
  private recordedItem(token: string | null, itemId: string, where: string): Record<string, unknown> {
    const responseId = responseIdOfItem(itemId);
    const interaction = responseId === null ? undefined : this.sessions.resolve(token)?.findInteraction(responseId);
    const item = interaction === undefined ? undefined : recordedOutputItem(interaction, itemId);
    if (item === undefined) throw itemNotFound(itemId, where);
    // The parser reads a referenced item as any input item: field by field.
    return { ...item };
  }

  /** The messages and answer of a response recorded in the caller's session; 404 otherwise. */
  private conversationOf(token: string | null, responseId: string): unknown[] {
    const interaction = this.sessions.resolve(token)?.findInteraction(responseId);
    if (!interaction)
      throw new AppException(
        404,
        ErrorCode.PREVIOUS_RESPONSE_NOT_FOUND,
        `Previous response with id '${responseId}' not found in this session.`,
        { param: 'previous_response_id' },
      );
    return [...interaction.messages, ...interaction.outputMessages];
  }
}

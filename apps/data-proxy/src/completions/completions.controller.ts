import { Controller, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SessionKey } from '@app/common';
import { AgentTurnRoute, ApiTextCompletion } from '@app/contracts';
import { answerTurn } from '../chat/agent-turn.js';
import { ChatService } from '../chat/chat.service.js';
import { ExternalModelsService } from '../external/external-models.js';
import { DataProxyModel } from '../tokenization/data-proxy-model.js';
import { parseCompletionsRequest } from './completions-request.js';
import { textCompletion } from './completions-response.js';
import { CompletionsStream } from './completions-stream.js';

/**
 * OpenAI's legacy completions API on the chat pipeline: the prompt (text or token ids) is sent as
 * it is, never templated, and the turn is recorded like a chat turn (a later prompt that starts
 * with this turn's tokens continues it).
 */
@ApiTags('agent APIs')
@Controller()
export class DataProxyCompletionsController {
  constructor(
    private readonly chat: ChatService,
    private readonly external: ExternalModelsService,
    private readonly model: DataProxyModel,
  ) {}

  @Post(['completions', 'v1/completions'])
  @AgentTurnRoute(
    SessionKey({ optional: true }),
    ApiTextCompletion(),
    'OpenAI legacy completion of a raw prompt (streaming with stream: true), recorded',
  )
  create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.external.refuseExternal(request.body, '/v1/completions');
    const parsed = parseCompletionsRequest(request.body, this.model.tokenizer.vocabSize);
    return answerTurn(this.chat, request, reply, {
      api: 'completions',
      chat: parsed.chat,
      stream: (prepared) =>
        new CompletionsStream(reply, prepared.meta, {
          includeUsage: parsed.chat.includeUsage,
          logprobs: parsed.logprobs,
          promptIds: parsed.chat.returnTokenIds ? prepared.promptIds : null,
        }),
      answer: (prepared, result) =>
        textCompletion(prepared.meta, result, {
          logprobs: parsed.logprobs,
          returnTokenIds: parsed.chat.returnTokenIds,
        }),
    });
  }
}

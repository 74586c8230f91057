import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { abortOnClientClose, CallerKey, SessionKey } from '@app/common';
import { ApiTextCompletion } from '@app/contracts';
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
  @HttpCode(200)
  @SessionKey({ optional: true })
  @ApiOperation({ summary: 'OpenAI legacy completion of a raw prompt (streaming with stream: true), recorded' })
  @ApiTextCompletion()
  async create(
    @Body() body: unknown,
    @CallerKey() key: string | null,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const abort = abortOnClientClose(reply);
    this.external.refuseExternal(body, '/v1/completions');
    const parsed = parseCompletionsRequest(body, this.model.tokenizer.vocabSize);
    const prepared = await this.chat.prepare(parsed.chat, key, 'completions');
    const answer = await this.chat.serve(
      prepared,
      abort.signal,
      request.id,
      () =>
        new CompletionsStream(reply, prepared.meta, {
          includeUsage: parsed.chat.includeUsage,
          logprobs: parsed.logprobs,
          promptIds: parsed.chat.returnTokenIds ? prepared.promptIds : null,
        }),
      (result) =>
        textCompletion(prepared.meta, result, {
          logprobs: parsed.logprobs,
          returnTokenIds: parsed.chat.returnTokenIds,
        }),
    );
    if (answer !== null) void reply.status(200).send(answer);
  }
}

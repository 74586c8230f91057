import { Body, Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { abortOnClientClose, extractBearerToken } from '@app/common';
import { ExternalModelsService } from '../external/external-models.js';
import { SessionStore } from '../sessions/session-store.service.js';
import { ChatService } from './chat.service.js';
import { ChatCompletionChunkDto, ChatCompletionRequestDto, ChatCompletionResponseDto } from '@app/contracts';

/**
 * OpenAI-compatible chat. Auth is optional: a session key (or the admin key, for the HITL session)
 * records the interaction in that session; no key or an unknown one is served but not kept.
 */
@ApiTags('chat')
@Controller()
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly external: ExternalModelsService,
    private readonly sessions: SessionStore,
  ) {}

  @Post(['chat/completions', 'v1/chat/completions'])
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Chat completion (streaming with stream: true); exact token ids, log-probs and versions are recorded',
  })
  @ApiBody({
    schema: {
      type: 'object',
      example: { model: 'default', messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 32 },
    },
  })
  @ApiBody({ type: ChatCompletionRequestDto })
  @ApiExtraModels(ChatCompletionChunkDto)
  @ApiOkResponse({
    description:
      'The completion; with `stream: true` server-sent events of ChatCompletionChunkDto, then `data: [DONE]`',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ChatCompletionResponseDto) } },
      'text/event-stream': { schema: { $ref: getSchemaPath(ChatCompletionChunkDto) } },
    },
  })
  @ApiResponse({ status: 401, description: 'Unknown or expired session key' })
  @ApiResponse({
    status: 502,
    description: 'The engine failed or broke its protocol (ENGINE_PROTOCOL); nothing was recorded',
  })
  @ApiResponse({ status: 504, description: 'The engine did not answer within --request-timeout' })
  async create(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // A client that goes away cancels the generation (and the engine request).
    const abort = abortOnClientClose(reply);
    const externalModel = this.external.match(body);
    if (externalModel) {
      const session = this.sessions.resolve(extractBearerToken(authorization));
      session?.touch();
      await this.external.forward(
        externalModel,
        body as Record<string, unknown>,
        request.headers,
        session,
        reply,
        abort.signal,
      );
      return;
    }
    const prepared = await this.chat.prepare(body, extractBearerToken(authorization));
    if (prepared.request.stream) {
      await this.chat.stream(prepared, reply, abort.signal, request.id);
      return;
    }
    const completion = await this.chat.complete(prepared, abort.signal, request.id);
    if (!abort.signal.aborted) void reply.status(200).send(completion);
  }
}

import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { abortOnClientClose, CallerKey, SessionKey } from '@app/common';
import { ExternalModelsService } from '../external/external-models.js';
import { SessionStore } from '../sessions/session-store.service.js';
import { ChatService } from './chat.service.js';
import { parseChatRequest } from './chat-request.js';
import { chatCompletion } from './chat-response.js';
import { ChatStream } from './chat-stream.js';
import { ApiChatCompletion } from '@app/contracts';

/**
 * OpenAI-compatible chat. Auth is optional: a session key (or the admin key, for the HITL session)
 * records the interaction in that session; no key or an unknown one is served but not kept.
 */
@ApiTags('chat')
@Controller()
export class DataProxyChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly external: ExternalModelsService,
    private readonly sessions: SessionStore,
  ) {}

  @Post(['chat/completions', 'v1/chat/completions'])
  @HttpCode(200)
  @SessionKey({ optional: true })
  @ApiOperation({
    summary: 'Chat completion (streaming with stream: true); exact token ids, log-probs and versions are recorded',
  })
  @ApiChatCompletion()
  async create(
    @Body() body: unknown,
    @CallerKey() key: string | null,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // A client that goes away cancels the generation (and the engine request).
    const abort = abortOnClientClose(reply);
    const externalModel = this.external.match(body);
    if (externalModel) {
      const session = this.sessions.resolve(key);
      if (session) this.sessions.touch(session);
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
    const chatRequest = parseChatRequest(body);
    const prepared = await this.chat.prepare(chatRequest, key);
    const answer = await this.chat.serve(
      prepared,
      abort.signal,
      request.id,
      () =>
        new ChatStream(reply, prepared.meta, {
          logprobs: chatRequest.logprobs !== null,
          promptIds: chatRequest.returnTokenIds ? prepared.promptIds : null,
        }),
      (result) => chatCompletion(prepared.meta, result, { returnTokenIds: chatRequest.returnTokenIds }),
    );
    if (answer !== null) void reply.status(200).send(answer);
  }
}

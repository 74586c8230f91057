import { Controller, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { abortOnClientClose, callerKeyOf, SessionKey } from '@app/common';
import { ExternalModelsService } from '../external/external-models.js';
import { SessionStore } from '../sessions/session-store.service.js';
import { answerTurn } from './agent-turn.js';
import { ChatService } from './chat.service.js';
import { parseChatRequest } from './chat-request.js';
import { chatCompletion } from './chat-response.js';
import { ChatStream } from './chat-stream.js';
import { AgentTurnRoute, ApiChatCompletion } from '@app/contracts';

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
  @AgentTurnRoute(
    SessionKey({ optional: true }),
    ApiChatCompletion(),
    'Chat completion (streaming with stream: true); exact token ids, log-probs and versions are recorded',
  )
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { body } = request;
    const key = callerKeyOf(request);
    const externalModel = this.external.match(body);
    if (externalModel) {
      const session = this.sessions.resolve(key);
      if (session) this.sessions.touch(session);
      // A client that goes away cancels the forwarded call.
      const abort = abortOnClientClose(reply);
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
    await answerTurn(this.chat, request, reply, {
      api: 'chat',
      chat: chatRequest,
      stream: (prepared) =>
        new ChatStream(reply, prepared.meta, {
          logprobs: chatRequest.logprobs !== null,
          promptIds: chatRequest.returnTokenIds ? prepared.promptIds : null,
        }),
      answer: (prepared, result) =>
        chatCompletion(prepared.meta, result, { returnTokenIds: chatRequest.returnTokenIds }),
    });
  }
}

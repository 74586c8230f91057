import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AnthropicKey } from '@app/common';
import { AgentTurnRoute, ApiCountTokens, ApiMessagesCreate, type CountTokensResponseDto } from '@app/contracts';
import { answerTurn } from '../chat/agent-turn.js';
import { ChatService } from '../chat/chat.service.js';
import { ExternalModelsService } from '../external/external-models.js';
import { parseMessagesRequest } from './messages-request.js';
import { contentBlocks, messageObject } from './messages-response.js';
import { MessagesStream } from './messages-stream.js';

/**
 * Anthropic's Messages API on the chat pipeline. The key may come as `x-api-key` (the Anthropic
 * SDK's header) or a bearer token; the message id is the interaction id rewards name.
 */
@ApiTags('agent APIs')
@Controller()
export class DataProxyMessagesController {
  constructor(
    private readonly chat: ChatService,
    private readonly external: ExternalModelsService,
  ) {}

  @Post('v1/messages')
  @AgentTurnRoute(
    AnthropicKey({ optional: true }),
    ApiMessagesCreate(),
    'Anthropic Messages API (streaming with stream: true), recorded like a chat turn',
  )
  create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.external.refuseExternal(request.body, '/v1/messages');
    return answerTurn(this.chat, request, reply, {
      api: 'messages',
      chat: parseMessagesRequest(request.body),
      stream: (prepared) => new MessagesStream(reply, prepared.meta, prepared.promptIds.length),
      answer: (prepared, result) =>
        messageObject(prepared.meta, prepared.promptIds.length, result, contentBlocks(result)),
    });
  }

  /** The prompt's token count with the served model's own chat template and tokenizer. */
  @Post('v1/messages/count_tokens')
  @HttpCode(200)
  @ApiOperation({ summary: 'Counts the input tokens of a Messages request with the real template and tokenizer' })
  @ApiCountTokens()
  async countTokens(@Body() body: unknown): Promise<CountTokensResponseDto> {
    const request = parseMessagesRequest(body, true);
    const ids = await this.chat.templatedPrompt(request, request.messages);
    return { input_tokens: ids.length };
  }
}

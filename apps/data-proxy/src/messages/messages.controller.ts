import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { abortOnClientClose, AnthropicKey, CallerKey } from '@app/common';
import { ApiMessagesCreate, CountTokensRequestDto, CountTokensResponseDto } from '@app/contracts';
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
  @HttpCode(200)
  @AnthropicKey({ optional: true })
  @ApiOperation({ summary: 'Anthropic Messages API (streaming with stream: true), recorded like a chat turn' })
  @ApiMessagesCreate()
  async create(
    @Body() body: unknown,
    @CallerKey() key: string | null,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const abort = abortOnClientClose(reply);
    this.external.refuseExternal(body, '/v1/messages');
    const chatRequest = parseMessagesRequest(body);
    const prepared = await this.chat.prepare(chatRequest, key, 'messages');
    const promptTokens = prepared.promptIds.length;
    const answer = await this.chat.serve(
      prepared,
      abort.signal,
      request.id,
      () => new MessagesStream(reply, prepared.meta, promptTokens),
      (result) => messageObject(prepared.meta, promptTokens, result, contentBlocks(result)),
    );
    if (answer !== null) void reply.status(200).send(answer);
  }

  /** The prompt's token count with the served model's own chat template and tokenizer. */
  @Post('v1/messages/count_tokens')
  @HttpCode(200)
  @ApiOperation({ summary: 'Counts the input tokens of a Messages request with the real template and tokenizer' })
  @ApiBody({ type: CountTokensRequestDto })
  @ApiOkResponse({ type: CountTokensResponseDto })
  async countTokens(@Body() body: unknown): Promise<CountTokensResponseDto> {
    const request = parseMessagesRequest(body, true);
    const ids = await this.chat.templatedPrompt(request, request.messages, undefined);
    return { input_tokens: ids.length };
  }
}

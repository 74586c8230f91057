import { Body, Controller, HttpCode, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForwarderService, rawBody, readJson } from '../proxy/forwarder.service.js';
import { PinCacheService } from '../router-client/pin-cache.service.js';
import { RouterClient } from '../router-client/router-client.service.js';
import {
  ApiChatCompletion,
  ApiGenerate,
  ApiMessagesCreate,
  ApiResponsesCreate,
  ApiTextCompletion,
  CountTokensRequestDto,
  CountTokensResponseDto,
  SetRewardRequestDto,
  SetRewardResponseDto,
} from '@app/contracts';
import { AnthropicKey, CallerKey, isJsonObject, SessionKey } from '@app/common';

/**
 * What every agent turn goes through, whichever API it speaks (chat, Responses, Messages,
 * completions, SGLang's token-level `/generate`): ask the router where the caller's session
 * lives, forward the original bytes there, relay the answer (or the stream). Only `model` and
 * `stream` are read.
 */
@ApiTags('chat')
@Controller()
export class GatewayChatController {
  constructor(
    private readonly router: RouterClient,
    private readonly forwarder: ForwarderService,
    private readonly pins: PinCacheService,
  ) {}

  /** The data proxy holding the caller's session: from the pin cache, else from the router. */
  private async workerFor(token: string, path: string, model: string | undefined, requestId: string): Promise<string> {
    const cached = this.pins.lookup(token);
    if (cached !== undefined) return cached;
    const route = await this.router.route({ api_key: token, path, ...(model ? { model } : {}) }, requestId);
    this.pins.remember(token, route.worker_addr, route.pin_seq, route.session_id);
    return route.worker_addr;
  }

  @Post(['chat/completions', 'v1/chat/completions'])
  @HttpCode(200)
  @ApiOperation({
    summary: 'OpenAI chat completion (streaming with stream: true), with a session key or the admin key',
  })
  @SessionKey()
  @ApiChatCompletion()
  async chat(
    @Body() body: unknown,
    @CallerKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.forwardTurn(body, request, reply, '/chat/completions', key);
  }

  @Post(['responses', 'v1/responses'])
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI Responses API (streaming with stream: true), with a session key or the admin key' })
  @SessionKey()
  @ApiResponsesCreate()
  async responses(
    @Body() body: unknown,
    @CallerKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.forwardTurn(body, request, reply, '/v1/responses', key);
  }

  @Post('v1/messages')
  @HttpCode(200)
  @AnthropicKey()
  @ApiOperation({
    summary: 'Anthropic Messages API (streaming with stream: true); the key as x-api-key or a bearer token',
  })
  @ApiMessagesCreate()
  async messages(
    @Body() body: unknown,
    @CallerKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.forwardTurn(body, request, reply, '/v1/messages', key);
  }

  @Post('v1/messages/count_tokens')
  @HttpCode(200)
  @AnthropicKey()
  @ApiOperation({ summary: 'Counts a Messages request’s input tokens with the served model’s template and tokenizer' })
  @ApiBody({ type: CountTokensRequestDto })
  @ApiOkResponse({ type: CountTokensResponseDto })
  async countTokens(
    @Body() body: unknown,
    @CallerKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.forwardTurn(body, request, reply, '/v1/messages/count_tokens', key);
  }

  @Post(['completions', 'v1/completions'])
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI legacy completion of a raw prompt (text or token ids; never templated)' })
  @SessionKey()
  @ApiTextCompletion()
  async completions(
    @Body() body: unknown,
    @CallerKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.forwardTurn(body, request, reply, '/v1/completions', key);
  }

  @Post('generate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "SGLang's /generate (token in, token out, batches and n included), with a session key or the admin key; recorded like chat",
  })
  @SessionKey()
  @ApiGenerate()
  async generate(
    @Body() body: unknown,
    @CallerKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.forwardTurn(body, request, reply, '/generate', key);
  }

  @Put('generate')
  @HttpCode(200)
  @ApiOperation({ summary: 'SGLang /generate by PUT (SGLang takes both)' })
  @SessionKey()
  @ApiGenerate()
  async generatePut(
    @Body() body: unknown,
    @CallerKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.forwardTurn(body, request, reply, '/generate', key);
  }

  /** One agent turn of any API: the session's data proxy gets the original bytes; the answer or stream comes back. */
  private async forwardTurn(
    body: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
    path: string,
    token: string,
  ): Promise<void> {
    const { value } = readJson(body);
    const model = isJsonObject(value) && typeof value.model === 'string' ? value.model : undefined;
    const stream = isJsonObject(value) && value.stream === true;
    const workerAddr = await this.workerFor(token, path, model, request.id);
    const target = { workerAddr, path, body: rawBody(body) };
    if (stream) await this.forwarder.stream(request, reply, target);
    else await this.forwarder.relay(request, reply, target);
  }

  @Post(['rl/set_reward', 'v1/rl/set_reward'])
  @HttpCode(200)
  @ApiOperation({ summary: 'Reward the caller’s session (session key, or the admin key for the HITL session)' })
  @ApiBody({ type: SetRewardRequestDto })
  @ApiOkResponse({ type: SetRewardResponseDto })
  @ApiResponse({ status: 401, description: 'Unknown or expired session key' })
  @SessionKey()
  async setReward(
    @Body() body: unknown,
    @CallerKey() key: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { value } = readJson(body);
    const model = isJsonObject(value) && typeof value.model === 'string' ? value.model : undefined;
    const workerAddr = await this.workerFor(key, '/rl/set_reward', model, request.id);
    await this.forwarder.relay(request, reply, {
      workerAddr,
      path: '/rl/set_reward',
      body: rawBody(body),
    });
  }
}

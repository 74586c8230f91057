import { Controller, HttpCode, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForwarderService, rawBody, readJson, type ForwardTarget } from '../proxy/forwarder.service.js';
import { PinCacheService } from '../router-client/pin-cache.service.js';
import { RouterClient } from '../router-client/router-client.service.js';
import {
  AgentTurnRoute,
  ApiChatCompletion,
  ApiGenerate,
  ApiMessagesCreate,
  ApiResponsesCreate,
  ApiTextCompletion,
  ApiCountTokens,
  SetRewardRequestDto,
  SetRewardResponseDto,
} from '@app/contracts';
import { AnthropicKey, callerKeyOf, isJsonObject, SessionKey } from '@app/common';

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
  @AgentTurnRoute(
    SessionKey(),
    ApiChatCompletion(),
    'OpenAI chat completion (streaming with stream: true), with a session key or the admin key',
  )
  chat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forwardTurn(request, reply, '/chat/completions');
  }

  @Post(['responses', 'v1/responses'])
  @AgentTurnRoute(
    SessionKey(),
    ApiResponsesCreate(),
    'OpenAI Responses API (streaming with stream: true), with a session key or the admin key',
  )
  responses(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forwardTurn(request, reply, '/v1/responses');
  }

  @Post('v1/messages')
  @AgentTurnRoute(
    AnthropicKey(),
    ApiMessagesCreate(),
    'Anthropic Messages API (streaming with stream: true); the key as x-api-key or a bearer token',
  )
  messages(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forwardTurn(request, reply, '/v1/messages');
  }

  @Post('v1/messages/count_tokens')
  @AgentTurnRoute(
    AnthropicKey(),
    ApiCountTokens(),
    'Counts a Messages request’s input tokens with the served model’s template and tokenizer',
  )
  countTokens(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forwardTurn(request, reply, '/v1/messages/count_tokens');
  }

  @Post(['completions', 'v1/completions'])
  @AgentTurnRoute(
    SessionKey(),
    ApiTextCompletion(),
    'OpenAI legacy completion of a raw prompt (text or token ids; never templated)',
  )
  completions(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forwardTurn(request, reply, '/v1/completions');
  }

  @Post('generate')
  @AgentTurnRoute(
    SessionKey(),
    ApiGenerate(),
    "SGLang's /generate (token in, token out, batches and n included), with a session key or the admin key; recorded like chat",
  )
  generate(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forwardTurn(request, reply, '/generate');
  }

  @Put('generate')
  @AgentTurnRoute(SessionKey(), ApiGenerate(), 'SGLang /generate by PUT (SGLang takes both)')
  generatePut(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.forwardTurn(request, reply, '/generate');
  }

  /** One agent turn of any API: the session's data proxy gets the original bytes; the answer or stream comes back. */
  private async forwardTurn(request: FastifyRequest, reply: FastifyReply, path: string): Promise<void> {
    const { value } = readJson(request.body);
    const target = await this.targetOf(request, path, value);
    if (isJsonObject(value) && value.stream === true) await this.forwarder.stream(request, reply, target);
    else await this.forwarder.relay(request, reply, target);
  }

  /** Where the caller's request goes: `path` on the data proxy of the caller's session, with the original bytes. */
  private async targetOf(request: FastifyRequest, path: string, value: unknown): Promise<ForwardTarget> {
    const model = isJsonObject(value) && typeof value.model === 'string' ? value.model : undefined;
    const workerAddr = await this.workerFor(callerKeyOf(request)!, path, model, request.id);
    return { workerAddr, path, body: rawBody(request.body) };
  }

  @Post(['rl/set_reward', 'v1/rl/set_reward'])
  @HttpCode(200)
  @ApiOperation({ summary: 'Reward the caller’s session (session key, or the admin key for the HITL session)' })
  @ApiBody({ type: SetRewardRequestDto })
  @ApiOkResponse({ type: SetRewardResponseDto })
  @ApiResponse({ status: 401, description: 'Unknown or expired session key' })
  @SessionKey()
  async setReward(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const target = await this.targetOf(request, '/rl/set_reward', readJson(request.body).value);
    await this.forwarder.relay(request, reply, target);
  }
}

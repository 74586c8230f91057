import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForwarderService, rawBody, readJson } from '../proxy/forwarder.service.js';
import { RouterClient } from '../router-client/router-client.service.js';
import { isObject, requireBearer } from './bearer.js';

/**
 * What every agent turn goes through: ask the router where the caller's session lives, forward
 * the original bytes there, relay the answer (or the stream). Only `model` and `stream` are read.
 */
@ApiTags('chat')
@ApiBearerAuth()
@Controller()
export class ChatController {
  constructor(
    private readonly router: RouterClient,
    private readonly forwarder: ForwarderService,
  ) {}

  @Post(['chat/completions', 'v1/chat/completions'])
  @HttpCode(200)
  @ApiOperation({
    summary: 'OpenAI chat completion (streaming with stream: true), with a session key or the admin key',
  })
  async chat(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const token = requireBearer(request);
    const { value } = readJson(body);
    const model = isObject(value) && typeof value.model === 'string' ? value.model : undefined;
    const stream = isObject(value) && value.stream === true;
    const route = await this.router.route(
      { api_key: token, path: '/chat/completions', ...(model ? { model } : {}) },
      request.id,
    );
    const target = { workerAddr: route.worker_addr, path: '/chat/completions', body: rawBody(body) };
    if (stream) await this.forwarder.stream(request, reply, target);
    else await this.forwarder.relay(request, reply, target);
  }

  @Post(['rl/set_reward', 'v1/rl/set_reward'])
  @HttpCode(200)
  @ApiOperation({ summary: 'Reward the caller’s session (session key, or the admin key for the HITL session)' })
  async setReward(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const token = requireBearer(request);
    const { value } = readJson(body);
    const model = isObject(value) && typeof value.model === 'string' ? value.model : undefined;
    const route = await this.router.route(
      { api_key: token, path: '/rl/set_reward', ...(model ? { model } : {}) },
      request.id,
    );
    await this.forwarder.relay(request, reply, {
      workerAddr: route.worker_addr,
      path: '/rl/set_reward',
      body: rawBody(body),
    });
  }
}

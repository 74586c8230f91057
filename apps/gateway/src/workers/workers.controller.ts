import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_OPTIONS, ControlPlane, type RawResponse } from '@app/common';
import type { GatewayOptions } from '../config/gateway-options.js';
import { ForwarderService, rawBody, send } from '../proxy/forwarder.service.js';
import { RouterClient } from '../router-client/router-client.service.js';
import {
  MemoryTagsRequestDto,
  PauseGenerationRequestDto,
  SetVersionRequestDto,
  SetVersionResponseDto,
  VersionResponseDto,
  WorkerResultsResponseDto,
} from '@app/contracts';

/**
 * Per-worker control (weight updates): resolve the worker id in the router, then call that data
 * proxy with the caller's own headers (a call without a key stays one, for the data proxy's own
 * `--control-allow-from` to judge).
 */
@ApiTags('workers')
@ControlPlane()
@Controller()
export class GatewayWorkersController {
  constructor(
    private readonly router: RouterClient,
    private readonly forwarder: ForwarderService,
    @Inject(APP_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  @Post(['pause_generation/:worker_id', 'callback/pause_generation/:worker_id'])
  @HttpCode(200)
  @ApiOperation({
    summary: "Pause one data proxy's generation (its in-flight requests park and resubmit after continue)",
  })
  @ApiBody({ type: PauseGenerationRequestDto, required: false })
  @ApiOkResponse({ type: WorkerResultsResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown worker id' })
  pause(
    @Param('worker_id') workerId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<WorkerResultsResponseDto> {
    return this.control(workerId, '/pause_generation', body, request);
  }

  @Post(['continue_generation/:worker_id', 'callback/continue_generation/:worker_id'])
  @HttpCode(200)
  @ApiOperation({ summary: "Continue one data proxy's generation" })
  @ApiOkResponse({ type: WorkerResultsResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown worker id' })
  resume(
    @Param('worker_id') workerId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<WorkerResultsResponseDto> {
    return this.control(workerId, '/continue_generation', body, request);
  }

  @Post('release_memory_occupation/:worker_id')
  @HttpCode(200)
  @ApiOperation({ summary: "Offload one data proxy's engine (weights and KV cache) to free GPU memory for training" })
  @ApiOkResponse({ type: WorkerResultsResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown worker id' })
  releaseMemory(
    @Param('worker_id') workerId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<WorkerResultsResponseDto> {
    return this.control(workerId, '/release_memory_occupation', body, request);
  }

  @Post('resume_memory_occupation/:worker_id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Load them back: {"tags"?: [...]}' })
  @ApiBody({ type: MemoryTagsRequestDto, required: false })
  @ApiOkResponse({ type: WorkerResultsResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown worker id' })
  resumeMemory(
    @Param('worker_id') workerId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<WorkerResultsResponseDto> {
    return this.control(workerId, '/resume_memory_occupation', body, request);
  }

  @Post('set_version/:worker_id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set the weight version one data proxy stamps on new tokens' })
  @ApiBody({ type: SetVersionRequestDto })
  @ApiOkResponse({ type: SetVersionResponseDto, description: "The data proxy's answer, relayed" })
  @ApiResponse({ status: 404, description: 'Unknown worker id' })
  async setVersion(
    @Param('worker_id') workerId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    send(reply, await this.relay(workerId, 'POST', '/set_version', rawBody(body), request));
  }

  @Get('get_version/:worker_id')
  @ApiOperation({ summary: "One data proxy's current weight version" })
  @ApiOkResponse({ type: VersionResponseDto, description: "The data proxy's answer, relayed" })
  @ApiResponse({ status: 404, description: 'Unknown worker id' })
  async getVersion(
    @Param('worker_id') workerId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    send(reply, await this.relay(workerId, 'GET', '/get_version', undefined, request));
  }

  /** The data proxy's own answer to one call, for relaying as is. */
  private async relay(
    workerId: string,
    method: 'GET' | 'POST',
    path: string,
    body: string | Buffer | undefined,
    request: FastifyRequest,
  ): Promise<RawResponse> {
    const workerAddr = await this.router.resolveWorker(workerId, request.id);
    return this.forwarder.call(request, {
      workerAddr,
      path,
      body,
      method,
      timeoutMs: this.options.ms['control-timeout'],
    });
  }

  /** Always 200 with the worker's result: a failed worker is `ok: false`, never a gateway error. */
  private async control(
    workerId: string,
    path: string,
    body: unknown,
    request: FastifyRequest,
  ): Promise<WorkerResultsResponseDto> {
    const workerAddr = await this.router.resolveWorker(workerId, request.id);
    try {
      const given = rawBody(body);
      const response = await this.forwarder.call(request, {
        workerAddr,
        path,
        body: given ?? '{}',
        contentType: given === undefined || given.length === 0 ? 'application/json' : undefined,
        timeoutMs: this.options.ms['control-timeout'],
      });
      const error = response.status < 400 ? null : response.body.toString('utf8').slice(0, 500);
      return { results: [{ worker_addr: workerAddr, status: response.status, ok: response.status < 400, error }] };
    } catch (err) {
      return {
        results: [
          { worker_addr: workerAddr, status: 502, ok: false, error: err instanceof Error ? err.message : String(err) },
        ],
      };
    }
  }
}

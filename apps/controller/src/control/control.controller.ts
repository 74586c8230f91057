import { Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { abortOnClientClose, AdminOnly, ControlPlane } from '@app/common';
import { GatewayClient } from '../clients/gateway-client.js';
import { StackService } from '../launcher/stack.service.js';
import { ReadyQueueService } from '../online/ready-queue.service.js';
import { TrajectoryDeliveryService } from '../online/trajectory-delivery.service.js';
import { ControlService } from './control.service.js';
import {
  BroadcastResponseDto,
  ControllerSetVersionRequestDto,
  ControllerStatusResponseDto,
  GrantCapacityResponseDto,
  OnlineReadyRequestDto,
  OnlineReadyResponseDto,
  OnloadRequestDto,
  GatewayRegisterModelRequestDto,
  RegisterModelRequestDto,
  RegisterModelResponseDto,
  StatusResponseDto,
  StrictRequestDto,
  VersionResponseDto,
  WaitTrajectoriesRequestDto,
  WaitTrajectoriesResponseDto,
} from '@app/contracts';

/**
 * The trainer's control API. Every endpoint needs the admin key; the weight-update broadcasts
 * (set_version, pause, continue, offload, onload) also take a call without a key from the
 * networks in `--control-allow-from`.
 */
@ApiTags('control')
@AdminOnly()
@Controller()
export class ControllerControlController {
  constructor(
    private readonly control: ControlService,
    private readonly stack: StackService,
    private readonly ready: ReadyQueueService,
    private readonly delivery: TrajectoryDeliveryService,
    private readonly gateway: GatewayClient,
  ) {}

  @Get('status')
  @ApiOperation({ summary: 'Topology, health, version, paused state, capacity, launched processes, ready queue' })
  @ApiOkResponse({ type: ControllerStatusResponseDto })
  status(): Promise<ControllerStatusResponseDto> {
    return this.control.status();
  }

  @Get('get_version')
  @ApiOperation({ summary: 'The weight version last set through the controller' })
  @ApiOkResponse({ type: VersionResponseDto })
  getVersion(): VersionResponseDto {
    return { version: this.control.version };
  }

  @Post('set_version')
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({ summary: 'Set the weight version on every data proxy: {"version": int, "strict"?: bool}' })
  @ApiBody({ type: ControllerSetVersionRequestDto })
  @ApiOkResponse({ type: BroadcastResponseDto })
  @ApiResponse({ status: 502, type: BroadcastResponseDto, description: 'Too few data proxies succeeded (see results)' })
  setVersion(@Body() body: ControllerSetVersionRequestDto): Promise<BroadcastResponseDto> {
    return this.control.broadcast('set_version', { version: body.version }, body.strict ?? false);
  }

  @Post('pause')
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({ summary: 'Pause generation on every data proxy (in-flight requests park and resume later)' })
  @ApiBody({ type: StrictRequestDto, required: false })
  @ApiOkResponse({ type: BroadcastResponseDto })
  @ApiResponse({ status: 502, type: BroadcastResponseDto, description: 'Too few data proxies succeeded (see results)' })
  pause(@Body() body: StrictRequestDto): Promise<BroadcastResponseDto> {
    return this.control.broadcast('pause_generation', {}, body.strict ?? false);
  }

  @Post(['continue', 'resume'])
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({ summary: 'Continue generation on every data proxy (alias /resume)' })
  @ApiBody({ type: StrictRequestDto, required: false })
  @ApiOkResponse({ type: BroadcastResponseDto })
  @ApiResponse({ status: 502, type: BroadcastResponseDto, description: 'Too few data proxies succeeded (see results)' })
  resume(@Body() body: StrictRequestDto): Promise<BroadcastResponseDto> {
    return this.control.broadcast('continue_generation', {}, body.strict ?? false);
  }

  @Post('offload')
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({
    summary: "Offload every engine's weights and KV cache (SGLang release_memory_occupation, vLLM sleep)",
  })
  @ApiBody({ type: StrictRequestDto, required: false })
  @ApiOkResponse({ type: BroadcastResponseDto })
  @ApiResponse({ status: 502, type: BroadcastResponseDto, description: 'Too few data proxies succeeded (see results)' })
  offload(@Body() body: StrictRequestDto): Promise<BroadcastResponseDto> {
    return this.control.broadcast('release_memory_occupation', {}, body.strict ?? false);
  }

  @Post('onload')
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({ summary: 'Load them back on every engine: {"tags"?: ["weights", "kv_cache"]}' })
  @ApiBody({ type: OnloadRequestDto, required: false })
  @ApiOkResponse({ type: BroadcastResponseDto })
  @ApiResponse({ status: 502, type: BroadcastResponseDto, description: 'Too few data proxies succeeded (see results)' })
  onload(@Body() body: OnloadRequestDto): Promise<BroadcastResponseDto> {
    const payload = body.tags ? { tags: body.tags } : {};
    return this.control.broadcast('resume_memory_occupation', payload, body.strict ?? false);
  }

  @Post('register_model')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register a model through the gateway: {"model", "url"?, "api_key"?, "data_proxy_addrs"?}' })
  @ApiBody({ type: GatewayRegisterModelRequestDto })
  @ApiOkResponse({
    type: RegisterModelResponseDto,
    description: "The gateway's answer, relayed with its status",
  })
  async registerModel(@Body() body: GatewayRegisterModelRequestDto, @Res() reply: FastifyReply): Promise<void> {
    this.control.requireReady();
    const payload: Required<RegisterModelRequestDto> = {
      model: body.model,
      url: body.url ?? '',
      api_key: body.api_key ?? null,
      data_proxy_addrs: body.data_proxy_addrs ?? this.stack.dataProxies.map((d) => d.addr),
    };
    relay(reply, await this.gateway.registerModel(payload));
  }

  @Post('grant_capacity')
  @HttpCode(200)
  @ApiOperation({ summary: 'Allow one more session to start (staleness control), through the gateway' })
  @ApiOkResponse({ type: GrantCapacityResponseDto, description: "The gateway's answer, relayed with its status" })
  async grantCapacity(@Res() reply: FastifyReply): Promise<void> {
    this.control.requireReady();
    relay(reply, await this.gateway.grantCapacity());
  }

  @Post('callback/online_ready')
  @HttpCode(200)
  @ApiOperation({ summary: 'A data proxy announces a ready trajectory: {"session_id", "trajectory_id"} (idempotent)' })
  @ApiBody({ type: OnlineReadyRequestDto })
  @ApiOkResponse({ type: OnlineReadyResponseDto })
  onlineReady(@Body() body: OnlineReadyRequestDto): OnlineReadyResponseDto {
    return { status: 'ok', queued: this.ready.push(body.session_id, body.trajectory_id) };
  }

  @Post('trajectories/wait')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Wait for ready trajectories and export them: {"count"?: 1, "timeout_s"?: 30, "discount"?, "style"?, "format"?: "json" | "rpc", "schema"?: "interactions" | "traj"}',
  })
  @ApiBody({ type: WaitTrajectoriesRequestDto, required: false })
  @ApiOkResponse({ type: WaitTrajectoriesResponseDto })
  async waitTrajectories(
    @Body() body: WaitTrajectoriesRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WaitTrajectoriesResponseDto> {
    this.control.requireReady();
    return this.delivery.wait(body, abortOnClientClose(reply).signal);
  }

  @Post('shutdown')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop the whole stack and the controller (same as SIGTERM)' })
  @ApiOkResponse({ type: StatusResponseDto })
  shutdown(): StatusResponseDto {
    setImmediate(() => process.kill(process.pid, 'SIGTERM'));
    return { status: 'shutting down' };
  }
}

/** Passes an upstream JSON answer back with its status. */
function relay(reply: FastifyReply, res: { status: number; json: unknown; text: string }): void {
  void reply
    .status(res.status)
    .header('content-type', 'application/json')
    .send(res.json !== undefined ? JSON.stringify(res.json) : res.text);
}

import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly, ControlPlane } from '@app/common';
import { InfBridgeService } from './inf-bridge.service.js';
import {
  ConfigureBackendRequestDto,
  ConfigureBackendResponseDto,
  MemoryTagsRequestDto,
  PauseGenerationRequestDto,
  PausedResponseDto,
  SetVersionRequestDto,
  SetVersionResponseDto,
  StatusResponseDto,
  VersionResponseDto,
} from '@app/contracts';

/**
 * Weight-update coordination: AReaL 2.0's internal control plane. Its trainer calls pause,
 * continue, offload, onload and set_version without a key, which is accepted only from the
 * networks in `--control-allow-from`; from anywhere else they need the admin key (the reference
 * leaves them open). `/get_version` is readable by anyone, like `/health`.
 */
@ApiTags('control')
@Controller()
export class DataProxyControlController {
  constructor(private readonly bridge: InfBridgeService) {}

  @Post('pause_generation')
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({
    summary:
      'Park new generations and pause the engine. {"mode": "abort"} (default): in-flight requests abort and resubmit after continue; SGLang "in_place"/"retract": they stay on the engine and finish after continue',
  })
  @ApiBody({ type: PauseGenerationRequestDto, required: false })
  @ApiOkResponse({ type: PausedResponseDto })
  async pause(@Body() body: PauseGenerationRequestDto, @Req() request: FastifyRequest): Promise<PausedResponseDto> {
    await this.bridge.pause(body.mode ?? 'abort', request.id);
    return { status: 'ok', paused: true };
  }

  @Post('continue_generation')
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({
    summary: 'Resume the engine, then release every parked generation (after onload, when memory was offloaded)',
  })
  @ApiOkResponse({ type: PausedResponseDto })
  async continue(@Req() request: FastifyRequest): Promise<PausedResponseDto> {
    await this.bridge.resume(request.id);
    return { status: 'ok', paused: false };
  }

  @Post('release_memory_occupation')
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({
    summary:
      'Pause and drain the engine, then offload its weights and KV cache (SGLang release_memory_occupation, vLLM sleep); generation resumes after onload and continue. 409 ENGINE_MISCONFIGURED when the engine lacks the flag that makes it free memory',
  })
  @ApiOkResponse({ type: StatusResponseDto })
  @ApiResponse({ status: 409, description: 'The engine lacks the launch flag offload needs (ENGINE_MISCONFIGURED)' })
  async releaseMemory(): Promise<StatusResponseDto> {
    await this.bridge.offload();
    return { status: 'ok' };
  }

  @Post('resume_memory_occupation')
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({ summary: 'Load them back: {"tags"?: ["weights", "kv_cache"]} (everything when absent)' })
  @ApiBody({ type: MemoryTagsRequestDto, required: false })
  @ApiOkResponse({ type: StatusResponseDto })
  @ApiResponse({ status: 409, description: 'The engine lacks the launch flag onload needs (ENGINE_MISCONFIGURED)' })
  async resumeMemory(@Body() body: MemoryTagsRequestDto): Promise<StatusResponseDto> {
    await this.bridge.onload(body.tags ?? null);
    return { status: 'ok' };
  }

  @Post('set_version')
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({ summary: 'Set the weight version stamped on tokens generated from now on' })
  @ApiBody({ type: SetVersionRequestDto })
  @ApiOkResponse({ type: SetVersionResponseDto })
  async setVersion(@Body() body: SetVersionRequestDto, @Req() request: FastifyRequest): Promise<SetVersionResponseDto> {
    await this.bridge.setVersion(body.version, request.id);
    return { status: 'ok', version: body.version };
  }

  @Get('get_version')
  @ApiOkResponse({ type: VersionResponseDto })
  getVersion(): VersionResponseDto {
    return { version: this.bridge.version };
  }

  @Post('configure_backend')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Point new generations at another engine; in-flight ones finish where they are' })
  @ApiBody({ type: ConfigureBackendRequestDto })
  @ApiOkResponse({ type: ConfigureBackendResponseDto })
  configureBackend(@Body() body: ConfigureBackendRequestDto): ConfigureBackendResponseDto {
    this.bridge.configureBackend(body.backend_addr);
    return { status: 'ok', backend_addr: body.backend_addr };
  }

  @Post('configure')
  @HttpCode(200)
  @ControlPlane()
  @ApiOperation({ summary: 'No-op kept for scheduler compatibility' })
  @ApiOkResponse({ type: StatusResponseDto })
  configure(): StatusResponseDto {
    return { status: 'ok' };
  }
}

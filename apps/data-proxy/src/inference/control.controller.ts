import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly, AppException, ErrorCode, isJsonObject } from '@app/common';
import type { PauseMode } from './engine-backend.js';
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

const PAUSE_MODES: readonly PauseMode[] = ['abort', 'in_place', 'retract'];

/**
 * Weight-update coordination. Every control endpoint needs the admin key (the reference leaves
 * them open); `/get_version` is readable by anyone, like `/health`.
 */
@ApiTags('control')
@Controller()
export class ControlController {
  constructor(private readonly bridge: InfBridgeService) {}

  @Post('pause_generation')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary:
      'Park new generations and pause the engine. {"mode": "abort"} (default): in-flight requests abort and resubmit after continue; SGLang "in_place"/"retract": they stay on the engine and finish after continue',
  })
  @ApiBody({ type: PauseGenerationRequestDto, required: false })
  @ApiOkResponse({ type: PausedResponseDto })
  async pause(@Body() body: unknown): Promise<PausedResponseDto> {
    const mode = isJsonObject(body) && body.mode !== undefined && body.mode !== null ? body.mode : 'abort';
    if (!PAUSE_MODES.includes(mode as PauseMode))
      throw new AppException(400, ErrorCode.BAD_REQUEST, `mode must be one of ${PAUSE_MODES.join(', ')}`);
    await this.bridge.pause(mode as PauseMode);
    return { status: 'ok', paused: true };
  }

  @Post('continue_generation')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary: 'Resume the engine, then release every parked generation (after onload, when memory was offloaded)',
  })
  @ApiOkResponse({ type: PausedResponseDto })
  async continue(): Promise<PausedResponseDto> {
    await this.bridge.resume();
    return { status: 'ok', paused: false };
  }

  @Post('release_memory_occupation')
  @HttpCode(200)
  @AdminOnly()
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
  @AdminOnly()
  @ApiOperation({ summary: 'Load them back: {"tags"?: ["weights", "kv_cache"]} (everything when absent)' })
  @ApiBody({ type: MemoryTagsRequestDto, required: false })
  @ApiOkResponse({ type: StatusResponseDto })
  @ApiResponse({ status: 409, description: 'The engine lacks the launch flag onload needs (ENGINE_MISCONFIGURED)' })
  async resumeMemory(@Body() body: unknown): Promise<StatusResponseDto> {
    const tags = body === undefined || body === null ? undefined : isJsonObject(body) ? body.tags : 'invalid';
    if (
      tags !== undefined &&
      tags !== null &&
      (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t.length === 0 || t.length > 64))
    )
      throw new AppException(400, ErrorCode.BAD_REQUEST, 'tags must be a list of non-empty strings');
    await this.bridge.onload(Array.isArray(tags) ? (tags as string[]) : null);
    return { status: 'ok' };
  }

  @Post('set_version')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Set the weight version stamped on tokens generated from now on' })
  @ApiBody({ type: SetVersionRequestDto })
  @ApiOkResponse({ type: SetVersionResponseDto })
  async setVersion(@Body() body: unknown): Promise<SetVersionResponseDto> {
    const version = isJsonObject(body) ? body.version : undefined;
    if (typeof version !== 'number' || !Number.isSafeInteger(version)) {
      throw new AppException(400, ErrorCode.BAD_REQUEST, "'version' (int) is required");
    }
    await this.bridge.setVersion(version);
    return { status: 'ok', version };
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
  configureBackend(@Body() body: unknown): ConfigureBackendResponseDto {
    const addr = isJsonObject(body) ? body.backend_addr : undefined;
    if (typeof addr !== 'string' || addr.length === 0)
      throw new AppException(400, ErrorCode.BAD_REQUEST, 'backend_addr is required');
    try {
      const url = new URL(addr);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new AppException(400, ErrorCode.BAD_REQUEST, 'backend_addr must be an http(s) URL');
    }
    this.bridge.configureBackend(addr);
    return { status: 'ok', backend_addr: addr };
  }

  @Post('configure')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'No-op kept for scheduler compatibility' })
  @ApiOkResponse({ type: StatusResponseDto })
  configure(): StatusResponseDto {
    return { status: 'ok' };
  }
}

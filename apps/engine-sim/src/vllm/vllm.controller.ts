import { Body, Controller, Get, HttpCode, Inject, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiEmptyOkResponse, APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';
import { EngineService } from '../engine/engine.service.js';
import { badRequest } from '../engine/request-fields.js';
import { VllmCompletionService } from './vllm-completion.service.js';
import { parseVllmCompletion } from './vllm-protocol.js';
import {
  VllmArealResultDto,
  VllmCompletionRequestDto,
  VllmCompletionResponseDto,
  VllmIsPausedDto,
  VllmIsSleepingDto,
  VllmPauseStatusDto,
} from '@app/contracts';

/**
 * vLLM's OpenAI-compatible `/v1/completions` with token-id prompts; the dev-mode endpoints
 * (`/pause`, `/resume`, `/is_paused`, `/sleep`, `/wake_up`, `/is_sleeping`: 404 unless
 * `--vllm-server-dev-mode`), and the pause/continue endpoints AReaL's vLLM entrypoint adds
 * (`/areal_pause_generation`, `/areal_continue_generation`: 404 with `--vllm-pause-api stock`).
 */
@ApiTags('vllm')
@Controller()
export class VllmController {
  constructor(
    private readonly engine: EngineService,
    private readonly completion: VllmCompletionService,
    @Inject(APP_OPTIONS) private readonly options: EngineSimOptions,
  ) {}

  @Post('v1/completions')
  @ApiOperation({ summary: 'OpenAI completions with a token-id (or text) prompt; logprobs and streaming' })
  @ApiBody({ type: VllmCompletionRequestDto })
  @ApiExtraModels(VllmCompletionResponseDto)
  @ApiOkResponse({
    description: 'The completion; with `stream: true` server-sent events of the same shape, then `data: [DONE]`',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(VllmCompletionResponseDto) } },
      'text/event-stream': { schema: { $ref: getSchemaPath(VllmCompletionResponseDto) } },
    },
  })
  async completions(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const tokenizer = this.engine.model.tokenizer;
    const request = parseVllmCompletion(body, (id) => tokenizer.isValidId(id));
    const served = this.options['served-model-name'];
    if (request.model !== undefined && request.model !== served) {
      throw new AppException(404, ErrorCode.NOT_FOUND, `The model \`${request.model}\` does not exist.`);
    }
    const promptIds = request.promptIds ?? (await tokenizer.encode(request.promptText ?? ''));
    if (promptIds.length === 0) throw badRequest('The prompt is empty');
    await this.completion.serve(request, promptIds, reply);
  }

  @Post('sleep')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "vLLM's sleep (dev mode, --enable-sleep-mode): in-flight requests abort, weights and KV cache go; 200 with an empty body",
  })
  @ApiEmptyOkResponse('200 with an empty body, as vLLM')
  sleep(@Res() reply: FastifyReply): void {
    this.requireDevMode();
    if (!this.options['enable-sleep-mode'])
      throw new AppException(
        400,
        ErrorCode.BAD_REQUEST,
        'Sleep mode is not enabled. Start vLLM with --enable-sleep-mode.',
      );
    this.engine.sleep();
    void reply.status(200).send('');
  }

  @Post('wake_up')
  @HttpCode(200)
  @ApiOperation({
    summary: "vLLM's wake_up (dev mode; `?tags=weights&tags=kv_cache` accepted); 200 with an empty body",
  })
  @ApiEmptyOkResponse('200 with an empty body, as vLLM')
  wakeUp(@Res() reply: FastifyReply): void {
    this.requireDevMode();
    this.engine.resumeMemory();
    void reply.status(200).send('');
  }

  @Get('is_sleeping')
  @ApiOkResponse({ type: VllmIsSleepingDto })
  isSleeping(): VllmIsSleepingDto {
    this.requireDevMode();
    return { is_sleeping: this.engine.isMemoryReleased };
  }

  @Post('pause')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Stock vLLM pause (dev mode): mode=abort aborts in-flight requests, wait lets them finish first, keep freezes them; new requests wait until /resume',
  })
  @ApiOkResponse({ type: VllmPauseStatusDto })
  async stockPause(@Query('mode') mode: string | undefined): Promise<VllmPauseStatusDto> {
    this.requireDevMode();
    const chosen = mode ?? 'abort';
    if (chosen !== 'abort' && chosen !== 'wait' && chosen !== 'keep')
      throw new AppException(400, ErrorCode.BAD_REQUEST, `Invalid mode: ${chosen}`, {
        body: { error: `Invalid mode: ${chosen}` },
        omitCode: true,
      });
    this.engine.pause(chosen === 'keep' ? 'in_place' : chosen);
    if (chosen === 'wait') await this.engine.drained();
    return { status: 'paused' };
  }

  @Post('resume')
  @HttpCode(200)
  @ApiOkResponse({ type: VllmPauseStatusDto })
  stockResume(): VllmPauseStatusDto {
    this.requireDevMode();
    this.engine.resume();
    return { status: 'resumed' };
  }

  @Get('is_paused')
  @ApiOkResponse({ type: VllmIsPausedDto })
  isPaused(): VllmIsPausedDto {
    this.requireDevMode();
    return { is_paused: this.engine.pauseMode !== null };
  }

  @Post('areal_pause_generation')
  @HttpCode(200)
  @ApiOperation({ summary: "AReaL's vLLM extension: abort everything in flight and hold new requests until continue" })
  @ApiOkResponse({ type: VllmArealResultDto })
  pause(): VllmArealResultDto {
    this.requireArealEntrypoint();
    this.engine.pause('abort');
    return { success: true, message: 'Generation paused and all requests aborted' };
  }

  @Post('areal_continue_generation')
  @HttpCode(200)
  @ApiOkResponse({ type: VllmArealResultDto })
  continue(): VllmArealResultDto {
    this.requireArealEntrypoint();
    this.engine.resume();
    return { success: true, message: 'Generation continued' };
  }

  /** vLLM registers these routes only with VLLM_SERVER_DEV_MODE=1: FastAPI's plain 404 otherwise. */
  private requireDevMode(): void {
    if (!this.options['vllm-server-dev-mode']) throw routeNotFound();
  }

  /** Only AReaL's vLLM entrypoint has the /areal_* routes. */
  private requireArealEntrypoint(): void {
    if (this.options['vllm-pause-api'] !== 'areal') throw routeNotFound();
  }
}

function routeNotFound(): AppException {
  return new AppException(404, ErrorCode.NOT_FOUND, 'Not Found', { body: { detail: 'Not Found' }, omitCode: true });
}

import { Body, Controller, Get, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiEmptyOkResponse, APP_OPTIONS } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';
import { EngineBusyError, EngineService, type PauseMode } from '../engine/engine.service.js';
import { asObject, badRequest, optionalBoolean, optionalString } from '../engine/request-fields.js';
import { SIMULATOR_NOTE } from '../engine/limits.js';
import { SglangGenerationService, sglangError } from './sglang-generation.service.js';
import { parseSglangGenerate } from './sglang-protocol.js';
import {
  SglangAbortRequestDto,
  SglangGenerateRequestDto,
  SglangGenerateResponseDto,
  SglangMemoryTagsRequestDto,
  SglangMessageResponseDto,
  SglangModelInfoDto,
  SglangPauseRequestDto,
  SglangServerInfoDto,
  SglangUpdateWeightVersionRequestDto,
  SglangUpdateWeightVersionResponseDto,
  SglangUpdateWeightsFromDiskRequestDto,
  SglangUpdateWeightsResponseDto,
  SglangWeightVersionDto,
} from '@app/contracts';

const PAUSE_MODES: readonly PauseMode[] = ['abort', 'in_place', 'retract'];

/** SGLang's native HTTP API (`python -m sglang.launch_server`), as far as the data proxy and trainers use it. */
@ApiTags('sglang')
@Controller()
export class SglangController {
  constructor(
    private readonly engine: EngineService,
    private readonly generation: SglangGenerationService,
    @Inject(APP_OPTIONS) private readonly options: EngineSimOptions,
  ) {}

  @Post('generate')
  @ApiOperation({ summary: 'Generate from input_ids or text; streaming with stream: true' })
  @ApiBody({ type: SglangGenerateRequestDto })
  @ApiExtraModels(SglangGenerateResponseDto)
  @ApiOkResponse({
    description: 'The output; with `stream: true` server-sent events of the same shape, then `data: [DONE]`',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(SglangGenerateResponseDto) } },
      'text/event-stream': { schema: { $ref: getSchemaPath(SglangGenerateResponseDto) } },
    },
  })
  async generate(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const tokenizer = this.engine.model.tokenizer;
    const request = parseSglangGenerate(body, (id) => tokenizer.isValidId(id));
    const promptIds = request.inputIds ?? (await tokenizer.encode(request.text ?? ''));
    if (promptIds.length === 0) throw badRequest('The input is empty');
    await this.generation.serve(request, promptIds, reply);
  }

  @Post('pause_generation')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Pause: mode abort (default) ends in-flight requests with their tokens; in_place/retract freezes them',
  })
  @ApiBody({ type: SglangPauseRequestDto, required: false })
  @ApiOkResponse({ type: SglangMessageResponseDto })
  pause(@Body() body: unknown): SglangMessageResponseDto {
    const obj = body === undefined || body === null ? {} : asObject(body, 'request body');
    const mode = (optionalString(obj, 'mode') ?? 'abort') as PauseMode;
    if (!PAUSE_MODES.includes(mode)) throw badRequest(`mode must be one of ${PAUSE_MODES.join(', ')}`);
    this.engine.pause(mode);
    return { message: 'Generation paused successfully.', status: 'ok' };
  }

  @Post('continue_generation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Continue after a pause; queued requests start' })
  @ApiOkResponse({ type: SglangMessageResponseDto })
  continue(): SglangMessageResponseDto {
    this.engine.resume();
    return { message: 'Generation continued successfully.', status: 'ok' };
  }

  @Post('release_memory_occupation')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Offload weights and KV cache (200 null). Refused (400) while requests run or wait; frees nothing without --enable-memory-saver',
  })
  @ApiBody({ type: SglangMemoryTagsRequestDto, required: false })
  @ApiOkResponse({
    description: 'JSON null, as SGLang',
    content: { 'application/json': { schema: { nullable: true, enum: [null] } } },
  })
  releaseMemory(@Body() body: unknown, @Res() reply: FastifyReply): void {
    if (body !== undefined && body !== null) asObject(body, 'request body');
    try {
      this.engine.releaseMemory();
    } catch (err) {
      if (err instanceof EngineBusyError) throw sglangError(400, err.message);
      throw err;
    }
    sendJsonNull(reply);
  }

  @Post('resume_memory_occupation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Load weights and KV cache back (200 null): {"tags"?: ["weights", "kv_cache"]}' })
  @ApiBody({ type: SglangMemoryTagsRequestDto, required: false })
  @ApiOkResponse({
    description: 'JSON null, as SGLang',
    content: { 'application/json': { schema: { nullable: true, enum: [null] } } },
  })
  resumeMemory(@Body() body: unknown, @Res() reply: FastifyReply): void {
    const obj = body === undefined || body === null ? {} : asObject(body, 'request body');
    if (
      obj.tags !== undefined &&
      obj.tags !== null &&
      (!Array.isArray(obj.tags) || obj.tags.some((t) => typeof t !== 'string'))
    )
      throw badRequest('tags must be a list of strings');
    this.engine.resumeMemory();
    sendJsonNull(reply);
  }

  @Post('abort_request')
  @HttpCode(200)
  @ApiOperation({ summary: 'Abort one request by rid, or all with abort_all' })
  @ApiBody({ type: SglangAbortRequestDto })
  @ApiEmptyOkResponse('200 with an empty body, as SGLang')
  abortRequest(@Body() body: unknown, @Res() reply: FastifyReply): void {
    const obj = body === undefined || body === null ? {} : asObject(body, 'request body');
    const rid = optionalString(obj, 'rid', 256) ?? null;
    const all = optionalBoolean(obj, 'abort_all') ?? false;
    this.engine.abort(rid, all);
    void reply.status(200).send('');
  }

  @Post('update_weight_version')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Set the weight version reported from now on; aborts every request first unless abort_all_requests is false (SGLang default true)',
  })
  @ApiBody({ type: SglangUpdateWeightVersionRequestDto })
  @ApiOkResponse({ type: SglangUpdateWeightVersionResponseDto })
  updateWeightVersion(@Body() body: unknown): SglangUpdateWeightVersionResponseDto {
    const obj = asObject(body, 'request body');
    const version = versionField(obj, 'new_version');
    if (version === undefined) throw badRequest('new_version is required');
    this.engine.setWeightVersion(version, optionalBoolean(obj, 'abort_all_requests') ?? true);
    return { success: true, message: `Weight version updated to ${version}`, new_version: version };
  }

  @Post('update_weights_from_disk')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pretend to load new weights from model_path; bumps weight_version if given' })
  @ApiBody({ type: SglangUpdateWeightsFromDiskRequestDto })
  @ApiOkResponse({ type: SglangUpdateWeightsResponseDto })
  updateWeightsFromDisk(@Body() body: unknown): SglangUpdateWeightsResponseDto {
    const obj = asObject(body, 'request body');
    if (optionalString(obj, 'model_path') === undefined) throw badRequest('model_path is required');
    const version = versionField(obj, 'weight_version');
    const abortAll = optionalBoolean(obj, 'abort_all_requests') ?? false;
    let message = 'Succeeded to update model weights.';
    if (abortAll) this.engine.abort(null, true);
    if (version !== undefined) {
      this.engine.setWeightVersion(version, false);
      message += ` Weight version updated to ${version}.`;
    }
    return { success: true, message, num_paused_requests: 0 };
  }

  @Get('get_model_info')
  @ApiOkResponse({ type: SglangModelInfoDto })
  modelInfo(): SglangModelInfoDto {
    return {
      model_path: this.options['served-model-name'],
      tokenizer_path: this.engine.model.tokenizer.path,
      is_generation: true,
      preferred_sampling_params: null,
      weight_version: this.engine.weightVersion,
      engine: 'engine-sim',
      note: SIMULATOR_NOTE,
    };
  }

  @Get('get_weight_version')
  @ApiOkResponse({ type: SglangWeightVersionDto })
  weightVersion(): SglangWeightVersionDto {
    return { weight_version: this.engine.weightVersion };
  }

  @Get('get_server_info')
  @ApiOkResponse({ type: SglangServerInfoDto })
  serverInfo(): SglangServerInfoDto {
    return {
      model_path: this.options['served-model-name'],
      served_model_name: this.options['served-model-name'],
      tokenizer_path: this.engine.model.tokenizer.path,
      context_length: this.options['context-length'],
      max_running_requests: this.options['max-running'],
      random_seed: this.options.seed,
      weight_version: this.engine.weightVersion,
      enable_memory_saver: this.options['enable-memory-saver'],
      mode: this.options.mode,
      protocol: this.options.protocol,
      prefill_us_per_token: this.options['prefill-us-per-token'],
      decode_ms_per_token: this.options['decode-ms-per-token'],
      incremental_streaming_output: this.options['incremental-streaming-output'],
      internal_states: [
        {
          running_requests: this.engine.runningCount,
          waiting_requests: this.engine.waitingCount,
          paused: this.engine.pauseMode,
          memory_released: this.engine.isMemoryReleased,
        },
      ],
      version: 'engine-sim-0.1.0',
      note: SIMULATOR_NOTE,
    };
  }

  @Post('flush_cache')
  @ApiOperation({ summary: 'Flush the (simulated) cache; refused while requests run, as SGLang does' })
  @ApiOkResponse({
    description: "SGLang's text answer",
    content: { 'text/plain': { schema: { type: 'string', example: 'Cache flushed.' } } },
  })
  flushCache(@Res() reply: FastifyReply): void {
    const idle = this.engine.runningCount === 0 && this.engine.waitingCount === 0;
    void reply
      .status(idle ? 200 : 400)
      .header('content-type', 'text/plain; charset=utf-8')
      .send(
        'Cache flushed.\nPlease check backend logs for more details. (When there are running or waiting requests, the operation will not be performed.)\n',
      );
  }

  @Get('flush_cache')
  @ApiOperation({ summary: 'GET form of flush_cache (SGLang accepts both)' })
  @ApiOkResponse({
    description: "SGLang's text answer",
    content: { 'text/plain': { schema: { type: 'string', example: 'Cache flushed.' } } },
  })
  flushCacheGet(@Res() reply: FastifyReply): void {
    this.flushCache(reply);
  }
}

/** SGLang's memory endpoints answer 200 with the JSON `null`. */
function sendJsonNull(reply: FastifyReply): void {
  void reply.status(200).header('content-type', 'application/json').send('null');
}

/** A version given as a string (SGLang's type) or a number (what AReaL trainers hold). */
function versionField(obj: Record<string, unknown>, field: string): string | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value.length === 0 || value.length > 256)
    throw badRequest(`${field} must be a non-empty string`);
  return value;
}

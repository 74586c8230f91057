import { Body, Controller, Get, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  abortOnClientClose,
  AdminOnly,
  APP_OPTIONS,
  AppException,
  ErrorCode,
  optionalJsonObject,
  requireJsonObject,
} from '@app/common';
import type { ControllerOptions } from '../config/controller-options.js';
import { ControlService } from '../control/control.service.js';
import type { EpisodeOutcome } from './episode.js';
import { bad, integerField, MAX_BATCH_ITEMS, parseEpisodeRequest, timeoutField } from './rollout-request.js';
import { RolloutService } from './rollout.service.js';
import {
  BatchRolloutRequestDto,
  BatchRolloutResponseDto,
  CapacityResponseDto,
  ControllerCapacityResponseDto,
  PrepareBatchRequestDto,
  PrepareBatchResponseDto,
  ResetRolloutRequestDto,
  ResetRolloutResponseDto,
  RolloutStatusResponseDto,
  SubmitRolloutRequestDto,
  SubmitRolloutResponseDto,
  WaitForTaskRequestDto,
  WaitForTaskResponseDto,
  WaitRolloutRequestDto,
  WaitRolloutResponseDto,
} from '@app/contracts';

const DEFAULT_WAIT_S = 3600;

/**
 * The trainer's rollout API (the reference's rollout calls, over HTTP): agent episodes run by the controller, gated by
 * the staleness budget. Every endpoint needs the admin key. Waiting endpoints never lose work:
 * at their timeout, or when the caller leaves, what they would have returned stays available.
 */
@ApiTags('rollout')
@AdminOnly()
@Controller()
export class RolloutController {
  constructor(
    @Inject(APP_OPTIONS) private readonly options: ControllerOptions,
    private readonly rollouts: RolloutService,
    private readonly control: ControlService,
  ) {}

  @Post('rollout/submit')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Queue one episode: {"data", "agent"?, "agent_kwargs"?, "group_size"?, "accept"?, "task_id"?, "discount"?, "style"?, "format"?}; its outcome goes to /rollout/wait',
  })
  @ApiBody({ type: SubmitRolloutRequestDto })
  @ApiOkResponse({ type: SubmitRolloutResponseDto })
  @ApiResponse({ status: 409, description: 'task_id already taken' })
  async submit(@Body() body: unknown): Promise<SubmitRolloutResponseDto> {
    const b = requireJsonObject(body);
    const request = parseEpisodeRequest(b, this.options.agent, ['data', 'task_id']);
    const taskId = b.task_id === undefined ? undefined : integerField(b, 'task_id', 0, Number.MAX_SAFE_INTEGER);
    if (taskId !== undefined && !this.rollouts.executor.isTaskIdFree(taskId))
      throw new AppException(409, ErrorCode.CONFLICT, `Task ${taskId} already exists`);
    const spec = await this.rollouts.resolveSpec(request);
    const executor = this.rollouts.executor;
    return { task_id: executor.submit(b.data ?? {}, spec, executor.poolOwner, taskId) };
  }

  @Post('rollout/wait')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Wait for `count` finished episodes of /rollout/submit (oldest first, rejected ones included with their reason): {"count", "timeout_s"?}',
  })
  @ApiBody({ type: WaitRolloutRequestDto })
  @ApiOkResponse({ type: WaitRolloutResponseDto })
  async wait(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<WaitRolloutResponseDto> {
    const b = requireJsonObject(body);
    const count = integerField(b, 'count', 1, MAX_BATCH_ITEMS);
    const timeoutS = timeoutField(b, 'timeout_s', DEFAULT_WAIT_S);
    const results = await this.rollouts.executor.waitPool(count, timeoutS * 1000, abortOnClientClose(reply).signal);
    return { results: results ?? [], timed_out: results === null };
  }

  @Post('rollout/wait_for_task')
  @HttpCode(200)
  @ApiOperation({ summary: 'Wait for one submitted episode: {"task_id", "timeout_s"?}' })
  @ApiBody({ type: WaitForTaskRequestDto })
  @ApiOkResponse({ type: WaitForTaskResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown task id' })
  async waitForTask(
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WaitForTaskResponseDto> {
    const b = requireJsonObject(body);
    const taskId = integerField(b, 'task_id', 0, Number.MAX_SAFE_INTEGER);
    const timeoutS = timeoutField(b, 'timeout_s', DEFAULT_WAIT_S);
    const pending = this.rollouts.executor.waitForTask(taskId, timeoutS * 1000, abortOnClientClose(reply).signal);
    if (!pending) throw new AppException(404, ErrorCode.NOT_FOUND, `Task ${taskId} is never submitted.`);
    const result = await pending;
    return { result, timed_out: result === null };
  }

  @Post('rollout/batch')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Run a batch and return its accepted episodes: {"items" | "batch_size", "agent"?, "agent_kwargs"?, "group_size"?, "accept"?, "timeout_s"?, ...}',
  })
  @ApiBody({ type: BatchRolloutRequestDto })
  @ApiOkResponse({ type: BatchRolloutResponseDto })
  async batch(
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BatchRolloutResponseDto> {
    const b = requireJsonObject(body);
    const request = parseEpisodeRequest(b, this.options.agent, ['items', 'batch_size', 'timeout_s']);
    let items: unknown[];
    if (b.items !== undefined && b.items !== null) {
      if (!Array.isArray(b.items) || b.items.length === 0 || b.items.length > MAX_BATCH_ITEMS)
        throw bad(`items must be a list of 1 to ${MAX_BATCH_ITEMS} entries`);
      if (b.batch_size !== undefined && b.batch_size !== b.items.length)
        throw bad(`len(items)=${b.items.length} does not match batch_size=${JSON.stringify(b.batch_size)}`);
      items = b.items;
    } else {
      items = Array.from({ length: integerField(b, 'batch_size', 1, MAX_BATCH_ITEMS) }, () => ({}));
    }
    const timeoutS = timeoutField(b, 'timeout_s', DEFAULT_WAIT_S);
    const spec = await this.rollouts.resolveSpec(request);
    const signal = abortOnClientClose(reply).signal;
    const { outcomes, unfinished } = await this.rollouts.executor.runBatch(items, spec, timeoutS * 1000, signal);
    return batchAnswer(outcomes, unfinished);
  }

  @Post('rollout/prepare_batch')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Next batch of accepted episodes from a JSONL dataset, continuously (the cursor persists; "reset": true starts over): {"dataset"?, "batch_size", "agent"?, "group_size"?, "accept"?, "dynamic_bs"?, "timeout_s"?}',
  })
  @ApiBody({ type: PrepareBatchRequestDto })
  @ApiOkResponse({ type: PrepareBatchResponseDto })
  @ApiResponse({ status: 429, description: 'Too many prepare_batch streams' })
  async prepareBatch(
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PrepareBatchResponseDto> {
    const b = requireJsonObject(body);
    const request = parseEpisodeRequest(b, this.options.agent, [
      'dataset',
      'batch_size',
      'dynamic_bs',
      'reset',
      'timeout_s',
    ]);
    if (b.dataset !== undefined && b.dataset !== null && (typeof b.dataset !== 'string' || !b.dataset))
      throw bad('dataset must be a JSONL file path');
    const dataset = (b.dataset as string | undefined) ?? null;
    const batchSize = integerField(b, 'batch_size', 1, MAX_BATCH_ITEMS);
    if (b.dynamic_bs !== undefined && typeof b.dynamic_bs !== 'boolean') throw bad('dynamic_bs must be a boolean');
    if (b.reset !== undefined && typeof b.reset !== 'boolean') throw bad('reset must be a boolean');
    const timeoutS = timeoutField(b, 'timeout_s', DEFAULT_WAIT_S);
    const stream = await this.rollouts.stream(dataset, request);
    if (b.reset === true) stream.reset();
    const signal = abortOnClientClose(reply).signal;
    const batch = await stream.prepare(batchSize, b.dynamic_bs === true, timeoutS * 1000, signal);
    return {
      ...batch,
      accepted: batch.trajectories.length,
      cursor: stream.cursor
        ? { position: stream.cursor.position, epoch: stream.cursor.epoch, size: stream.cursor.items.length }
        : null,
    };
  }

  @Post('rollout/reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start prepare_batch over from the first item: {"dataset"?} (all datasets if absent)' })
  @ApiBody({ type: ResetRolloutRequestDto, required: false })
  @ApiOkResponse({ type: ResetRolloutResponseDto })
  reset(@Body() body: unknown): ResetRolloutResponseDto {
    const b = optionalJsonObject(body);
    if (b.dataset !== undefined && typeof b.dataset !== 'string') throw bad('dataset must be a file path');
    return { status: 'ok', streams_reset: this.rollouts.reset(b.dataset ?? null) };
  }

  @Get('rollout/status')
  @ApiOperation({ summary: 'Episodes queued, running and finished, the staleness terms, the prepare_batch cursors' })
  @ApiOkResponse({ type: RolloutStatusResponseDto })
  status(): RolloutStatusResponseDto {
    return this.rollouts.status();
  }

  @Get('capacity')
  @ApiOperation({
    summary: "How many episodes may start now, with the staleness terms, and the router's session permits",
  })
  @ApiOkResponse({ type: ControllerCapacityResponseDto })
  async capacity(): Promise<ControllerCapacityResponseDto> {
    const terms = this.rollouts.executor.staleness.terms();
    const permits = await this.control
      .router('GET', '/capacity')
      .then((res) => {
        const capacity = res.status === 200 ? (res.json as Partial<CapacityResponseDto>).capacity : undefined;
        return typeof capacity === 'number' ? capacity : null;
      })
      .catch(() => null);
    return { ...terms, router_permits: permits };
  }
}

/**
 * The accepted episodes of a batch, and why the others were rejected. When every episode failed
 * because of the agent itself (it threw, or returned no numeric reward), the batch is answered
 * 422 with the reasons: that is a bug in the agent, not a training signal.
 */
function batchAnswer(outcomes: EpisodeOutcome[], unfinished: number[]): BatchRolloutResponseDto {
  const trajectories = outcomes.filter((o) => o.accepted);
  const rejected = outcomes.filter((o) => !o.accepted);
  const rejections = rejected.map((o) => ({ task_id: o.task_id, reason: o.reason ?? 'rejected' }));
  if (outcomes.length > 0 && trajectories.length === 0 && rejected.every((o) => o.rejected_by === 'agent')) {
    throw new AppException(422, ErrorCode.VALIDATION_FAILED, `every episode failed: ${rejections[0].reason}`, {
      body: { error: 'every episode failed in the agent', code: ErrorCode.VALIDATION_FAILED, rejections },
    });
  }
  return {
    trajectories,
    accepted: trajectories.length,
    rejected: rejections.length,
    rejections,
    timed_out: unfinished.length > 0,
    unfinished_task_ids: unfinished,
  };
}

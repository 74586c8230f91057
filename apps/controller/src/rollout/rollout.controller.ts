import { Body, Controller, Get, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { abortOnClientClose, AdminOnly, APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { ControllerOptions } from '../config/controller-options.js';
import { RouterClient } from '../clients/router-client.js';
import type { EpisodeOutcome } from './episode.js';
import { bad, episodeRequestOf } from './rollout-request.js';
import { RolloutService } from './rollout.service.js';
import {
  BatchRolloutRequestDto,
  BatchRolloutResponseDto,
  MAX_BATCH_ITEMS,
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
    private readonly router: RouterClient,
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
  async submit(@Body() body: SubmitRolloutRequestDto): Promise<SubmitRolloutResponseDto> {
    const request = episodeRequestOf(body, this.options.agent);
    const taskId = body.task_id ?? undefined;
    if (taskId !== undefined && !this.rollouts.executor.isTaskIdFree(taskId))
      throw new AppException(409, ErrorCode.CONFLICT, `Task ${taskId} already exists`);
    const spec = await this.rollouts.resolveSpec(request);
    const executor = this.rollouts.executor;
    return { task_id: executor.submit(body.data ?? {}, spec, executor.poolOwner, taskId) };
  }

  @Post('rollout/wait')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Wait for `count` finished episodes of /rollout/submit (oldest first, rejected ones included with their reason): {"count", "timeout_s"?}',
  })
  @ApiBody({ type: WaitRolloutRequestDto })
  @ApiOkResponse({ type: WaitRolloutResponseDto })
  async wait(
    @Body() body: WaitRolloutRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WaitRolloutResponseDto> {
    const timeoutMs = waitMs(body.timeout_s);
    const results = await this.rollouts.executor.waitPool(body.count, timeoutMs, abortOnClientClose(reply).signal);
    return { results: results ?? [], timed_out: results === null };
  }

  @Post('rollout/wait_for_task')
  @HttpCode(200)
  @ApiOperation({ summary: 'Wait for one submitted episode: {"task_id", "timeout_s"?}' })
  @ApiBody({ type: WaitForTaskRequestDto })
  @ApiOkResponse({ type: WaitForTaskResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown task id' })
  async waitForTask(
    @Body() body: WaitForTaskRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WaitForTaskResponseDto> {
    const timeoutMs = waitMs(body.timeout_s);
    const pending = this.rollouts.executor.waitForTask(body.task_id, timeoutMs, abortOnClientClose(reply).signal);
    if (!pending) throw new AppException(404, ErrorCode.NOT_FOUND, `Task ${body.task_id} is never submitted.`);
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
    @Body() body: BatchRolloutRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BatchRolloutResponseDto> {
    const request = episodeRequestOf(body, this.options.agent);
    let items: unknown[];
    if (body.items) {
      if (body.batch_size !== undefined && body.batch_size !== null && body.batch_size !== body.items.length)
        throw bad(`len(items)=${body.items.length} does not match batch_size=${body.batch_size}`);
      items = body.items;
    } else {
      if (body.batch_size === undefined || body.batch_size === null)
        throw bad(`batch_size is required without items: an integer from 1 to ${MAX_BATCH_ITEMS}`);
      items = Array.from({ length: body.batch_size }, () => ({}));
    }
    const timeoutMs = waitMs(body.timeout_s);
    const spec = await this.rollouts.resolveSpec(request);
    const signal = abortOnClientClose(reply).signal;
    const { outcomes, unfinished } = await this.rollouts.executor.runBatch(items, spec, timeoutMs, signal);
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
    @Body() body: PrepareBatchRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PrepareBatchResponseDto> {
    const request = episodeRequestOf(body, this.options.agent);
    const timeoutMs = waitMs(body.timeout_s);
    const stream = await this.rollouts.stream(body.dataset ?? null, request);
    if (body.reset === true) stream.reset();
    const signal = abortOnClientClose(reply).signal;
    const batch = await stream.prepare(body.batch_size, body.dynamic_bs === true, timeoutMs, signal);
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
  reset(@Body() body: ResetRolloutRequestDto): ResetRolloutResponseDto {
    return { status: 'ok', streams_reset: this.rollouts.reset(body.dataset ?? null) };
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
    const permits = await this.router
      .capacity()
      .then((res) => {
        const capacity = res.status === 200 ? res.json?.capacity : undefined;
        // A router without permits (AReaL 2.0) has none to report.
        return typeof capacity === 'number' && res.json?.permits !== 'off' ? capacity : null;
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

/** A wait's `timeout_s` (seconds on the wire, default an hour) in milliseconds. */
function waitMs(timeoutS: number | undefined): number {
  return (timeoutS ?? DEFAULT_WAIT_S) * 1000;
}

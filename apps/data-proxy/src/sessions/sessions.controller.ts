import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly, AppException, ErrorCode } from '@app/common';
import { SessionStore } from './session-store.service.js';
import {
  RemoveSessionsRequestDto,
  RemoveSessionsResponseDto,
  SessionInspectionDto,
  StartSessionRequestDto,
  StartSessionResponseDto,
} from '@app/contracts';

/** Session creation and inspection (admin key). */
@ApiTags('sessions')
@Controller()
export class DataProxySessionsController {
  constructor(private readonly sessions: SessionStore) {}

  @Post('rl/start_session')
  @HttpCode(201)
  @AdminOnly()
  @ApiOperation({
    summary:
      'Start a session for task_id: {"session_id", "api_key"}; with group_size, the later upstream group form {"group_id", "sessions": [...]}',
  })
  @ApiCreatedResponse({ type: StartSessionResponseDto })
  @ApiConflictResponse({ description: 'api_key is still bound to a live session without a rewarded trajectory' })
  @ApiBody({ type: StartSessionRequestDto })
  start(@Body() body: StartSessionRequestDto): StartSessionResponseDto {
    const deterministicSampling = body.deterministic_sampling === true;
    const reuse = body.api_key ? body.api_key : null;
    if (body.group_size === undefined || body.group_size === null) {
      const { session, apiKey } = this.sessions.start(body.task_id, reuse, { deterministicSampling });
      return { session_id: session.id, api_key: apiKey };
    }
    const groupId = `grp-${randomUUID()}`;
    const group = this.sessions.startGroup(body.task_id, Math.max(1, body.group_size), reuse, {
      deterministicSampling,
      groupId,
    });
    return {
      group_id: groupId,
      sessions: group.map((s) => ({ session_id: s.session.id, session_api_key: s.apiKey })),
    };
  }

  @Post('rl/remove_session')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Remove sessions (the gateway drops a session the router refused to pin)' })
  @ApiBody({ type: RemoveSessionsRequestDto })
  @ApiOkResponse({ type: RemoveSessionsResponseDto })
  remove(@Body() body: RemoveSessionsRequestDto): RemoveSessionsResponseDto {
    const ids = body.session_ids ?? (body.session_id ? [body.session_id] : []);
    if (ids.length === 0)
      throw new AppException(422, ErrorCode.VALIDATION_FAILED, 'session_id or session_ids is required');
    return { status: 'ok', removed: ids.filter((id) => this.sessions.remove(id)) };
  }

  @Get('rl/sessions/:session_id')
  @AdminOnly()
  @ApiOperation({
    summary:
      "Inspect a session: its active trajectory's interactions (exact ids, log-probs, versions) and ready trajectories",
  })
  @ApiNotFoundResponse({ description: 'Unknown session' })
  @ApiOkResponse({ type: SessionInspectionDto })
  inspect(@Param('session_id') sessionId: string): SessionInspectionDto {
    const session = this.sessions.get(sessionId);
    if (!session) throw new AppException(404, ErrorCode.NOT_FOUND, `Session ${sessionId} not found`);
    return {
      session_id: session.id,
      last_access: session.lastAccess / 1000,
      pending_reward: session.pendingReward !== null,
      ready_trajectories: [...session.ready.values()].map((t) => ({
        trajectory_id: t.trajectoryId,
        interaction_count: t.cache.size,
        callback_delivered: t.delivered,
      })),
      interactions: [...session.active.values()].map((i) => ({
        interaction_id: i.id,
        kind: i.kind,
        parent_id: i.parentId,
        chat_template_type: i.chatTemplateType,
        messages: i.messages,
        output_messages: i.outputMessages,
        prompt_ids: Array.from(i.promptIds),
        output_ids: Array.from(i.outputIds),
        output_logprobs: Array.from(i.outputLogprobs),
        output_versions: Array.from(i.outputVersions),
        stop_reason: i.stopReason,
        reward: i.reward,
      })),
    };
  }
}

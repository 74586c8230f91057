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
import { AdminOnly, AppException, ErrorCode, requireJsonObject } from '@app/common';
import { SessionStore, type Session } from './session-store.service.js';
import {
  RemoveSessionsRequestDto,
  RemoveSessionsResponseDto,
  SessionInspectionDto,
  StartSessionRequestDto,
  StartSessionResponseDto,
} from '@app/contracts';

function invalid(message: string): AppException {
  return new AppException(422, ErrorCode.VALIDATION_FAILED, message);
}

/** Session creation and inspection (admin key). */
@ApiTags('sessions')
@Controller()
export class SessionsController {
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
  start(@Body() body: unknown): StartSessionResponseDto {
    const {
      task_id: taskId,
      api_key: apiKey,
      group_size: groupSize,
      deterministic_sampling: deterministic,
    } = requireJsonObject(body);
    if (deterministic !== undefined && deterministic !== null && typeof deterministic !== 'boolean')
      throw invalid('deterministic_sampling must be a boolean');
    const seeded = (session: Session): Session => {
      session.deterministicSampling = deterministic === true;
      this.sessions.persist(session);
      return session;
    };
    if (typeof taskId !== 'string' || taskId.length === 0 || taskId.length > 256) {
      throw invalid('task_id must be a non-empty string of at most 256 characters');
    }
    if (apiKey !== undefined && apiKey !== null && (typeof apiKey !== 'string' || apiKey.length > 1024)) {
      throw invalid('api_key must be a string');
    }
    const reuse = typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : null;
    if (groupSize === undefined || groupSize === null) {
      const { session, apiKey: key } = this.sessions.start(taskId, reuse);
      return { session_id: seeded(session).id, api_key: key };
    }
    if (typeof groupSize !== 'number' || !Number.isInteger(groupSize) || groupSize > 1024) {
      throw invalid('group_size must be an integer of at most 1024');
    }
    const group = this.sessions.startGroup(taskId, Math.max(1, groupSize), reuse);
    const groupId = `grp-${randomUUID()}`;
    for (const member of group) member.session.groupId = groupId;
    return {
      group_id: groupId,
      sessions: group.map((s) => ({ session_id: seeded(s.session).id, session_api_key: s.apiKey })),
    };
  }

  @Post('rl/remove_session')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Remove sessions (the gateway drops a session the router refused to pin)' })
  @ApiBody({ type: RemoveSessionsRequestDto })
  @ApiOkResponse({ type: RemoveSessionsResponseDto })
  remove(@Body() body: unknown): RemoveSessionsResponseDto {
    const b =
      typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const ids = Array.isArray(b.session_ids) ? b.session_ids : typeof b.session_id === 'string' ? [b.session_id] : null;
    if (!ids || ids.length === 0 || ids.some((id) => typeof id !== 'string'))
      throw invalid('session_id or session_ids is required');
    return { status: 'ok', removed: (ids as string[]).filter((id) => this.sessions.remove(id)) };
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
        callback_delivered: t.callback.delivered,
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

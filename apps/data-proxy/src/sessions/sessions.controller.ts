import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, AppException, ErrorCode } from '@app/common';
import { SessionStore } from './session-store.service.js';

/** Session creation (admin key). Rewards and export live in the RL-bookkeeping part. */
@ApiTags('sessions')
@Controller()
export class SessionsController {
  constructor(private readonly sessions: SessionStore) {}

  @Post('rl/start_session')
  @HttpCode(201)
  @AdminOnly()
  @ApiOperation({ summary: 'Start a session for task_id: returns its id (task_id-idx) and a fresh session key' })
  @ApiCreatedResponse({ description: '{"session_id", "api_key"}' })
  @ApiConflictResponse({ description: 'api_key is still bound to a live session' })
  start(@Body() body: unknown): { session_id: string; api_key: string } {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new AppException(422, ErrorCode.VALIDATION_FAILED, 'body must be a JSON object with task_id');
    const { task_id: taskId, api_key: apiKey } = body as Record<string, unknown>;
    if (typeof taskId !== 'string' || taskId.length === 0 || taskId.length > 256) {
      throw new AppException(
        422,
        ErrorCode.VALIDATION_FAILED,
        'task_id must be a non-empty string of at most 256 characters',
      );
    }
    if (apiKey !== undefined && apiKey !== null && (typeof apiKey !== 'string' || apiKey.length > 1024)) {
      throw new AppException(422, ErrorCode.VALIDATION_FAILED, 'api_key must be a string');
    }
    const { session, apiKey: key } = this.sessions.start(
      taskId,
      typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : null,
    );
    return { session_id: session.id, api_key: key };
  }

  @Get('rl/sessions/:session_id')
  @AdminOnly()
  @ApiOperation({
    summary:
      "Inspect a session's active trajectory: every recorded interaction with its exact ids, log-probs and versions",
  })
  @ApiNotFoundResponse({ description: 'Unknown session' })
  inspect(@Param('session_id') sessionId: string): Record<string, unknown> {
    const session = this.sessions.get(sessionId);
    if (!session) throw new AppException(404, ErrorCode.NOT_FOUND, `Session ${sessionId} not found`);
    return {
      session_id: session.id,
      last_access: session.lastAccess / 1000,
      interactions: [...session.active.values()].map((i) => ({
        interaction_id: i.id,
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

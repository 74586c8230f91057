import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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
}

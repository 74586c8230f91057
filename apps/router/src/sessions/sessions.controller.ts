import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { AdminOnly } from '@app/common';
import {
  RegisterSessionRequestDto,
  RegisterSessionResponseDto,
  RemoveSessionRequestDto,
  RemoveSessionResponseDto,
  RestoreSessionsRequestDto,
  RestoreSessionsResponseDto,
} from '@app/contracts';
import { SessionsService } from './sessions.service.js';

@ApiTags('sessions')
@AdminOnly()
@Controller()
export class RouterSessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post('register_session')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Pin a session (or a group of sessions) to a worker; takes one capacity permit per session (none with --capacity-permits off)',
  })
  @ApiOkResponse({ type: RegisterSessionResponseDto })
  @ApiNotFoundResponse({ description: 'worker_addr is not a registered worker' })
  @ApiConflictResponse({ description: 'group_id already registered' })
  @ApiTooManyRequestsResponse({ description: 'No capacity permit left; nothing registered' })
  register(@Body() body: RegisterSessionRequestDto): RegisterSessionResponseDto {
    return this.sessions.register(body);
  }

  @Post('restore_sessions')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "A data proxy's live sessions, announced after a router restart: pinned again with their groups (and the HITL pin), without capacity permits",
  })
  @ApiOkResponse({ type: RestoreSessionsResponseDto })
  @ApiNotFoundResponse({ description: 'worker_addr is not a registered worker' })
  restore(@Body() body: RestoreSessionsRequestDto): RestoreSessionsResponseDto {
    return this.sessions.restore(body);
  }

  @Post('remove_session')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Unpin a session (by session_id) or a whole group (by group_id); the HITL session persists',
  })
  @ApiOkResponse({ type: RemoveSessionResponseDto })
  remove(@Body() body: RemoveSessionRequestDto): RemoveSessionResponseDto {
    return this.sessions.remove(body);
  }
}

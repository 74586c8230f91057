import { Body, Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '@app/common';
import {
  RegisterSessionRequestDto,
  RegisterSessionResponseDto,
  RemoveSessionRequestDto,
  RemoveSessionResponseDto,
  RestoreSessionsRequestDto,
  RestoreSessionsResponseDto,
} from '@app/contracts';
import { RouterPost } from '../router-operation.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('sessions')
@AdminOnly()
@Controller()
export class RouterSessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @RouterPost('register_session', {
    summary:
      'Pin a session (or a group of sessions) to a worker; takes one capacity permit per session (none with --capacity-permits off)',
    answer: RegisterSessionResponseDto,
    errors: {
      404: 'worker_addr is not a registered worker',
      409: 'group_id already registered',
      429: 'No capacity permit left; nothing registered',
    },
  })
  register(@Body() body: RegisterSessionRequestDto): RegisterSessionResponseDto {
    return this.sessions.register(body);
  }

  @RouterPost('restore_sessions', {
    summary:
      "A data proxy's live sessions, announced after a router restart: pinned again with their groups (and the HITL pin), without capacity permits",
    answer: RestoreSessionsResponseDto,
    errors: { 404: 'worker_addr is not a registered worker' },
  })
  restore(@Body() body: RestoreSessionsRequestDto): RestoreSessionsResponseDto {
    return this.sessions.restore(body);
  }

  @RouterPost('remove_session', {
    summary: 'Unpin a session (by session_id) or a whole group (by group_id); the HITL session persists',
    answer: RemoveSessionResponseDto,
  })
  remove(@Body() body: RemoveSessionRequestDto): RemoveSessionResponseDto {
    return this.sessions.remove(body);
  }
}

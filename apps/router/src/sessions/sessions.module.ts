import { Module } from '@nestjs/common';
import { RouterStateModule } from '../router-state.module.js';
import { RouterSessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';

/** Session and group pins, the HITL session, restores from the data proxies. */
@Module({
  imports: [RouterStateModule],
  controllers: [RouterSessionsController],
  providers: [SessionsService],
})
export class SessionsModule {}

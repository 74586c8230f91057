import { Module } from '@nestjs/common';
import { PersistenceModule } from '../persistence/persistence.module.js';
import { SessionStore } from './session-store.service.js';
import { DataProxySessionsController } from './sessions.controller.js';

/** Sessions, their keys and recorded trajectories (journaled), and the session endpoints. */
@Module({
  imports: [PersistenceModule],
  controllers: [DataProxySessionsController],
  providers: [SessionStore],
  exports: [SessionStore],
})
export class SessionsModule {}

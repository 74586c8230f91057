import { Module } from '@nestjs/common';
import { SESSION_KEY_VALIDATOR } from '@app/common';
import { PersistenceModule } from '../persistence/persistence.module.js';
import { DataProxySessionKeys } from './session-keys.js';
import { SessionStore } from './session-store.service.js';
import { DataProxySessionsController } from './sessions.controller.js';

/**
 * Sessions, their keys and recorded trajectories (journaled), and the session endpoints; which
 * keys are live, for the routes that take the admin key or a session key (`@AdminOrSessionKey`).
 */
@Module({
  imports: [PersistenceModule],
  controllers: [DataProxySessionsController],
  providers: [SessionStore, { provide: SESSION_KEY_VALIDATOR, useClass: DataProxySessionKeys }],
  exports: [SessionStore, SESSION_KEY_VALIDATOR],
})
export class SessionsModule {}

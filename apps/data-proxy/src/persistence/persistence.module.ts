import { Module } from '@nestjs/common';
import { APP_OPTIONS } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { openSessionJournal, SESSION_JOURNAL } from './session-journal.js';

/** The crash journal under `--state-dir`, opened (and replayed) once at start. */
@Module({
  providers: [
    { provide: SESSION_JOURNAL, inject: [APP_OPTIONS], useFactory: (o: DataProxyOptions) => openSessionJournal(o) },
  ],
  exports: [SESSION_JOURNAL],
})
export class PersistenceModule {}

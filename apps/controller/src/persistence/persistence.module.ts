import { Module } from '@nestjs/common';
import { ControllerStateService } from './controller-state.service.js';

/** The controller's journal under `--state-dir`: the ready queue, the episode pool, the dataset streams. */
@Module({
  providers: [ControllerStateService],
  exports: [ControllerStateService],
})
export class PersistenceModule {}

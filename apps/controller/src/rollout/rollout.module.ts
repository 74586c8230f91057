import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module.js';
import { ControlModule } from '../control/control.module.js';
import { OnlineModule } from '../online/online.module.js';
import { PersistenceModule } from '../persistence/persistence.module.js';
import { EpisodeRunner } from './episode.js';
import { RolloutExecutor } from './rollout-executor.service.js';
import { RolloutController } from './rollout.controller.js';
import { RolloutService } from './rollout.service.js';

/** Agent episodes within the staleness budget: submit, wait, batches, dataset streams. */
@Module({
  imports: [ControlModule, PersistenceModule, ClientsModule, OnlineModule],
  controllers: [RolloutController],
  providers: [EpisodeRunner, RolloutExecutor, RolloutService],
  exports: [RolloutExecutor],
})
export class RolloutModule {}

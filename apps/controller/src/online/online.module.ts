import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module.js';
import { PersistenceModule } from '../persistence/persistence.module.js';
import { ReadyQueueService } from './ready-queue.service.js';
import { TrajectoryDeliveryService } from './trajectory-delivery.service.js';

/** Ready trajectories announced by the data proxies, and their delivery to a waiting trainer. */
@Module({
  imports: [PersistenceModule, ClientsModule],
  providers: [ReadyQueueService, TrajectoryDeliveryService],
  exports: [ReadyQueueService, TrajectoryDeliveryService],
})
export class OnlineModule {}

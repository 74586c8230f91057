import { Module } from '@nestjs/common';
import { RouterStateModule } from '../router-state.module.js';
import { HealthPollerService } from './health-poller.service.js';
import { RouterWorkersController } from './workers.controller.js';
import { WorkersService } from './workers.service.js';

/** Worker registration and health polling. */
@Module({
  imports: [RouterStateModule],
  controllers: [RouterWorkersController],
  providers: [WorkersService, HealthPollerService],
})
export class WorkersModule {}

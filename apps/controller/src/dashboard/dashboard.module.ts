import { Module } from '@nestjs/common';
import { ControlModule } from '../control/control.module.js';
import { RolloutModule } from '../rollout/rollout.module.js';
import { ControllerDashboardController } from './dashboard.controller.js';
import { DashboardService } from './dashboard.service.js';

/** The live dashboard and its snapshot stream. */
@Module({
  imports: [ControlModule, RolloutModule],
  controllers: [ControllerDashboardController],
  providers: [DashboardService],
})
export class DashboardModule {}

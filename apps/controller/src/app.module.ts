import { Module } from '@nestjs/common';
import { ControlModule } from './control/control.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { ControllerMetricsModule } from './metrics/metrics.module.js';
import { RolloutModule } from './rollout/rollout.module.js';

/**
 * The controller: launches (or attaches to) the stack and gives the trainer one control API. Its
 * module graph is drawn in docs/ARCHITECTURE.md.
 */
@Module({
  imports: [ControlModule, RolloutModule, DashboardModule, ControllerMetricsModule],
})
export class ControllerAppModule {}

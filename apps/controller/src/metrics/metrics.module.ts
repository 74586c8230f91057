import { Module } from '@nestjs/common';
import { ControlModule } from '../control/control.module.js';
import { RolloutModule } from '../rollout/rollout.module.js';
import { ControllerMetrics } from './controller-metrics.js';

/** The controller's gauges, read at scrape time. */
@Module({
  imports: [ControlModule, RolloutModule],
  providers: [ControllerMetrics],
})
export class ControllerMetricsModule {}

import { Module } from '@nestjs/common';
import { RouterMetrics } from './router-metrics.js';
import { RouterState } from './router-state.js';

/** The router's tables (workers, sessions and pins, models, capacity permits) and their gauges. */
@Module({
  providers: [RouterState, RouterMetrics],
  exports: [RouterState],
})
export class RouterStateModule {}

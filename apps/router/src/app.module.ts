import { Module } from '@nestjs/common';
import { CapacityController } from './capacity/capacity.controller.js';
import { RouterHealthController } from './health/router-health.controller.js';
import { RouterModelsController } from './models/models.controller.js';
import { PinsController } from './pins/pins.controller.js';
import { RouterMetrics } from './router-metrics.js';
import { RouterState } from './router-state.js';
import { RouteService } from './routing/route.service.js';
import { RoutingController } from './routing/routing.controller.js';
import { RouterSessionsController } from './sessions/sessions.controller.js';
import { SessionsService } from './sessions/sessions.service.js';
import { HealthPollerService } from './workers/health-poller.service.js';
import { RouterWorkersController } from './workers/workers.controller.js';
import { WorkersService } from './workers/workers.service.js';

/** The router: worker registry and health, session pins, models, capacity permits, routing. Never proxies. */
@Module({
  controllers: [
    RouterHealthController,
    RouterWorkersController,
    RoutingController,
    RouterSessionsController,
    RouterModelsController,
    CapacityController,
    PinsController,
  ],
  providers: [RouterState, RouterMetrics, HealthPollerService, WorkersService, SessionsService, RouteService],
})
export class RouterAppModule {}

import { Module } from '@nestjs/common';
import { CapacityModule } from './capacity/capacity.module.js';
import { RouterHealthModule } from './health/health.module.js';
import { ModelsModule } from './models/models.module.js';
import { PinsModule } from './pins/pins.module.js';
import { RoutingModule } from './routing/routing.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { WorkersModule } from './workers/workers.module.js';

/**
 * The router: worker registry and health, session pins, models, capacity permits, routing. Never
 * proxies. Its module graph is drawn in docs/ARCHITECTURE.md.
 */
@Module({
  imports: [RouterHealthModule, WorkersModule, RoutingModule, SessionsModule, ModelsModule, CapacityModule, PinsModule],
})
export class RouterAppModule {}

import { Module } from '@nestjs/common';
import { ChatModule } from './chat/chat.module.js';
import { GatewayHealthModule } from './health/health.module.js';
import { ModelsModule } from './models/models.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { WorkersModule } from './workers/workers.module.js';

/**
 * The gateway: the OpenAI-compatible edge. Stateless: asks the router, forwards bytes, relays
 * answers. Its module graph is drawn in docs/ARCHITECTURE.md.
 */
@Module({
  imports: [GatewayHealthModule, ChatModule, SessionsModule, WorkersModule, ModelsModule],
})
export class GatewayAppModule {}

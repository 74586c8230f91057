import { Module } from '@nestjs/common';
import { GatewayChatController } from './chat/chat.controller.js';
import { GatewayHealthController } from './health/gateway-health.controller.js';
import { GatewayModelsController } from './models/models.controller.js';
import { GatewaySessionsController } from './sessions/sessions.controller.js';
import { GatewayWorkersController } from './workers/workers.controller.js';
import { ModelRegistrationService } from './models/model-registration.service.js';
import { ForwarderService } from './proxy/forwarder.service.js';
import { SessionStartService } from './sessions/session-start.service.js';
import { PinCacheService } from './router-client/pin-cache.service.js';
import { RouterClient } from './router-client/router-client.service.js';

/** The gateway: the OpenAI-compatible edge. Stateless: asks the router, forwards bytes, relays answers. */
@Module({
  controllers: [
    GatewayHealthController,
    GatewayChatController,
    GatewaySessionsController,
    GatewayWorkersController,
    GatewayModelsController,
  ],
  providers: [RouterClient, ForwarderService, PinCacheService, ModelRegistrationService, SessionStartService],
})
export class GatewayAppModule {}

import { Module } from '@nestjs/common';
import { ChatController } from './endpoints/chat.controller.js';
import { GatewayHealthController } from './endpoints/gateway-health.controller.js';
import { ModelsController } from './endpoints/models.controller.js';
import { SessionsController } from './endpoints/sessions.controller.js';
import { WorkersController } from './endpoints/workers.controller.js';
import { ModelRegistrationService } from './models/model-registration.service.js';
import { ForwarderService } from './proxy/forwarder.service.js';
import { SessionStartService } from './sessions/session-start.service.js';
import { PinCacheService } from './router-client/pin-cache.service.js';
import { RouterClient } from './router-client/router-client.service.js';

/** The gateway: the OpenAI-compatible edge. Stateless: asks the router, forwards bytes, relays answers. */
@Module({
  controllers: [GatewayHealthController, ChatController, SessionsController, WorkersController, ModelsController],
  providers: [RouterClient, ForwarderService, PinCacheService, ModelRegistrationService, SessionStartService],
})
export class GatewayAppModule {}

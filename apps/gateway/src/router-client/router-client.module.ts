import { Module } from '@nestjs/common';
import { SESSION_KEY_VALIDATOR } from '@app/common';
import { PinCacheService } from './pin-cache.service.js';
import { RouterClient } from './router-client.service.js';
import { GatewaySessionKeys } from './session-keys.js';

/**
 * The router's API as the gateway calls it, the pin cache the router's pin stream keeps exact, and
 * which session keys are live (the router knows them), for `@AdminOrSessionKey` routes.
 */
@Module({
  providers: [RouterClient, PinCacheService, { provide: SESSION_KEY_VALIDATOR, useClass: GatewaySessionKeys }],
  exports: [RouterClient, PinCacheService, SESSION_KEY_VALIDATOR],
})
export class RouterClientModule {}

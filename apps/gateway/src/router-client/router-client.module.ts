import { Module } from '@nestjs/common';
import { PinCacheService } from './pin-cache.service.js';
import { RouterClient } from './router-client.service.js';

/** The router's API as the gateway calls it, and the pin cache the router's pin stream keeps exact. */
@Module({
  providers: [RouterClient, PinCacheService],
  exports: [RouterClient, PinCacheService],
})
export class RouterClientModule {}

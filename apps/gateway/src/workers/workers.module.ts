import { Module } from '@nestjs/common';
import { ProxyModule } from '../proxy/proxy.module.js';
import { RouterClientModule } from '../router-client/router-client.module.js';
import { GatewayWorkersController } from './workers.controller.js';

/** Per-worker control calls (pause, continue, versions, memory), relayed to one data proxy each. */
@Module({
  imports: [RouterClientModule, ProxyModule],
  controllers: [GatewayWorkersController],
})
export class WorkersModule {}

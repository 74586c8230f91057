import { Module } from '@nestjs/common';
import { LauncherModule } from '../launcher/launcher.module.js';
import { DataProxyClient } from './data-proxy-client.js';
import { GatewayClient } from './gateway-client.js';
import { RouterClient } from './router-client.js';

/** The controller's calls to the gateway, the router and the data proxies, typed with their contracts. */
@Module({
  imports: [LauncherModule],
  providers: [GatewayClient, RouterClient, DataProxyClient],
  exports: [GatewayClient, RouterClient, DataProxyClient],
})
export class ClientsModule {}

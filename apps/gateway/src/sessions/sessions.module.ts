import { Module } from '@nestjs/common';
import { ProxyModule } from '../proxy/proxy.module.js';
import { RouterClientModule } from '../router-client/router-client.module.js';
import { SessionStartService } from './session-start.service.js';
import { GatewaySessionsController } from './sessions.controller.js';

/** Session start (pinned by the router), rewards and export, forwarded to the session's data proxy. */
@Module({
  imports: [RouterClientModule, ProxyModule],
  controllers: [GatewaySessionsController],
  providers: [SessionStartService],
})
export class SessionsModule {}

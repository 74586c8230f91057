import { Module } from '@nestjs/common';
import { ProxyModule } from '../proxy/proxy.module.js';
import { RouterClientModule } from '../router-client/router-client.module.js';
import { GatewayChatController } from './chat.controller.js';

/** The agent APIs' edge: route by session key, forward, relay. */
@Module({
  imports: [RouterClientModule, ProxyModule],
  controllers: [GatewayChatController],
})
export class ChatModule {}

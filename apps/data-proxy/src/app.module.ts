import { DynamicModule, Module } from '@nestjs/common';
import { APP_OPTIONS } from '@app/common';
import { ChatController } from './chat/chat.controller.js';
import { ChatService } from './chat/chat.service.js';
import type { DataProxyOptions } from './config/data-proxy-options.js';
import { DataProxyHealthController } from './health/data-proxy-health.controller.js';
import { ControlController } from './inference/control.controller.js';
import { InfBridgeService } from './inference/inf-bridge.service.js';
import { SessionStore } from './sessions/session-store.service.js';
import { SessionsController } from './sessions/sessions.controller.js';
import { DataProxyModel } from './tokenization/data-proxy-model.js';

/** The data proxy: chat path (template, tokenizer, InfBridge, versions) and sessions, beside one engine. */
@Module({})
export class DataProxyAppModule {
  static forOptions(): DynamicModule {
    return {
      module: DataProxyAppModule,
      controllers: [DataProxyHealthController, ChatController, ControlController, SessionsController],
      providers: [
        {
          provide: DataProxyModel,
          inject: [APP_OPTIONS],
          useFactory: (o: DataProxyOptions) => DataProxyModel.load(o['tokenizer-path']),
        },
        InfBridgeService,
        SessionStore,
        ChatService,
      ],
    };
  }
}

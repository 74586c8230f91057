import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { ExternalModelsModule } from '../external/external.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { DataProxyResponsesController } from './responses.controller.js';

/** The OpenAI Responses API over the chat turn pipeline. */
@Module({
  imports: [ChatModule, ExternalModelsModule, SessionsModule],
  controllers: [DataProxyResponsesController],
})
export class ResponsesModule {}

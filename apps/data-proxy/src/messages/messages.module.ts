import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { ExternalModelsModule } from '../external/external.module.js';
import { DataProxyMessagesController } from './messages.controller.js';

/** The Anthropic Messages API over the chat turn pipeline. */
@Module({
  imports: [ChatModule, ExternalModelsModule],
  controllers: [DataProxyMessagesController],
})
export class MessagesModule {}

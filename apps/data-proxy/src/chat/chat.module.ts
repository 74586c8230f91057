import { Module } from '@nestjs/common';
import { ExternalModelsModule } from '../external/external.module.js';
import { InferenceModule } from '../inference/inference.module.js';
import { DataProxyMetricsModule } from '../metrics/metrics.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokenizationModule } from '../tokenization/tokenization.module.js';
import { DataProxyChatController } from './chat.controller.js';
import { ChatService } from './chat.service.js';
import { ConversationBodies } from './conversation-bodies.js';

/** OpenAI chat, and the turn pipeline every agent API shares (ChatService). */
@Module({
  imports: [TokenizationModule, InferenceModule, SessionsModule, DataProxyMetricsModule, ExternalModelsModule],
  controllers: [DataProxyChatController],
  providers: [ChatService, ConversationBodies],
  exports: [ChatService, ConversationBodies],
})
export class ChatModule {}

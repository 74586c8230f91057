import { Module } from '@nestjs/common';
import { ChatModule } from './chat/chat.module.js';
import { CompletionsModule } from './completions/completions.module.js';
import { ExportModule } from './export/export.module.js';
import { ExternalModelsModule } from './external/external.module.js';
import { GenerateModule } from './generate/generate.module.js';
import { DataProxyHealthModule } from './health/health.module.js';
import { InferenceModule } from './inference/inference.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { RegistrationModule } from './registration/registration.module.js';
import { ResponsesModule } from './responses/responses.module.js';
import { RewardsModule } from './rewards/rewards.module.js';
import { SessionsModule } from './sessions/sessions.module.js';

/**
 * The data proxy, beside one engine: the chat path (template, tokenizer, InfBridge, versions), and
 * the RL bookkeeping (sessions, rewards, trajectories, export, tensor shards, online callbacks,
 * external models). Its module graph is drawn in docs/ARCHITECTURE.md.
 */
@Module({
  imports: [
    DataProxyHealthModule,
    ChatModule,
    ResponsesModule,
    MessagesModule,
    CompletionsModule,
    GenerateModule,
    InferenceModule,
    SessionsModule,
    RewardsModule,
    ExportModule,
    ExternalModelsModule,
    RegistrationModule,
  ],
})
export class DataProxyAppModule {}

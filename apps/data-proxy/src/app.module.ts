import { Module } from '@nestjs/common';
import { APP_OPTIONS } from '@app/common';
import { DataProxyChatController } from './chat/chat.controller.js';
import { DataProxyCompletionsController } from './completions/completions.controller.js';
import { DataProxyMessagesController } from './messages/messages.controller.js';
import { DataProxyResponsesController } from './responses/responses.controller.js';
import { ChatService } from './chat/chat.service.js';
import { DataProxyMetrics } from './metrics/data-proxy-metrics.js';
import type { DataProxyOptions } from './config/data-proxy-options.js';
import { DataProxyHealthController } from './health/data-proxy-health.controller.js';
import { DataProxyControlController } from './inference/control.controller.js';
import { InfBridgeService } from './inference/inf-bridge.service.js';
import { SessionStore } from './sessions/session-store.service.js';
import { DataProxySessionsController } from './sessions/sessions.controller.js';
import { DataProxyModel } from './tokenization/data-proxy-model.js';
import type { ReasoningParserName, ToolCallParserName } from './chat/parsers/parser-registry.js';
import { DataController, ShardReadGuard } from './export/data.controller.js';
import { ExportController } from './export/export.controller.js';
import { ExportService } from './export/export.service.js';
import { ShardStore } from './export/shard-store.service.js';
import { ExternalModelsController, ExternalModelsService } from './external/external-models.js';
import { ReadyLoopService } from './rewards/ready-loop.service.js';
import { RewardsController } from './rewards/rewards.controller.js';
import { RewardsService } from './rewards/rewards.service.js';
import { RouterRegistrationService } from './registration/router-registration.service.js';
import { openSessionJournal, SESSION_JOURNAL } from './persistence/session-journal.js';
import { ServingAddress } from './serving/serving-address.js';

/**
 * The data proxy, beside one engine: the chat path (template, tokenizer, InfBridge, versions), and
 * the RL bookkeeping (sessions, rewards, trajectories, export, tensor shards, online callbacks,
 * external models).
 */
@Module({
  controllers: [
    DataProxyHealthController,
    DataProxyChatController,
    DataProxyResponsesController,
    DataProxyMessagesController,
    DataProxyCompletionsController,
    DataProxyControlController,
    DataProxySessionsController,
    RewardsController,
    ExportController,
    DataController,
    ExternalModelsController,
  ],
  providers: [
    {
      provide: DataProxyModel,
      inject: [APP_OPTIONS],
      useFactory: (o: DataProxyOptions) =>
        DataProxyModel.load({
          tokenizerPath: o['tokenizer-path'],
          chatTemplate: o['chat-template'],
          // Both are refused at start unless they are among the declared choices.
          toolCallParser: o['tool-call-parser'] as ToolCallParserName,
          reasoningParser: o['reasoning-parser'] as ReasoningParserName,
        }),
    },
    { provide: SESSION_JOURNAL, inject: [APP_OPTIONS], useFactory: (o: DataProxyOptions) => openSessionJournal(o) },
    InfBridgeService,
    SessionStore,
    ServingAddress,
    ChatService,
    DataProxyMetrics,
    RewardsService,
    RouterRegistrationService,
    ReadyLoopService,
    ShardStore,
    ShardReadGuard,
    ExportService,
    ExternalModelsService,
  ],
})
export class DataProxyAppModule {}

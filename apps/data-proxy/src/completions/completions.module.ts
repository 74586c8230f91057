import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { ExternalModelsModule } from '../external/external.module.js';
import { TokenizationModule } from '../tokenization/tokenization.module.js';
import { DataProxyCompletionsController } from './completions.controller.js';

/** OpenAI legacy completions (raw prompts) over the chat turn pipeline. */
@Module({
  imports: [ChatModule, ExternalModelsModule, TokenizationModule],
  controllers: [DataProxyCompletionsController],
})
export class CompletionsModule {}

import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { InferenceModule } from '../inference/inference.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokenizationModule } from '../tokenization/tokenization.module.js';
import { DataProxyGenerateController } from './generate.controller.js';
import { GenerateService } from './generate.service.js';

/** SGLang's `/generate` (token in, token out) over the chat turn pipeline. */
@Module({
  imports: [ChatModule, TokenizationModule, InferenceModule, SessionsModule],
  controllers: [DataProxyGenerateController],
  providers: [GenerateService],
})
export class GenerateModule {}

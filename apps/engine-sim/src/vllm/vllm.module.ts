import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module.js';
import { VllmCompletionService } from './vllm-completion.service.js';
import { VllmController } from './vllm.controller.js';

/** vLLM's HTTP protocol. */
@Module({
  imports: [EngineModule],
  controllers: [VllmController],
  providers: [VllmCompletionService],
})
export class VllmModule {}

import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module.js';
import { VllmController } from './vllm.controller.js';

/** vLLM's HTTP protocol. */
@Module({
  imports: [EngineModule],
  controllers: [VllmController],
})
export class VllmModule {}

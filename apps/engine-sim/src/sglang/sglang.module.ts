import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module.js';
import { SglangGenerationService } from './sglang-generation.service.js';
import { SglangController } from './sglang.controller.js';

/** SGLang's HTTP protocol. */
@Module({
  imports: [EngineModule],
  controllers: [SglangController],
  providers: [SglangGenerationService],
})
export class SglangModule {}

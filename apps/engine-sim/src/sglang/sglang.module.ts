import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module.js';
import { SglangController } from './sglang.controller.js';

/** SGLang's HTTP protocol. */
@Module({
  imports: [EngineModule],
  controllers: [SglangController],
})
export class SglangModule {}

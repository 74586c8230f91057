import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module.js';
import { EngineHealthController } from './engine-health.controller.js';

/** engine-sim's liveness, as each protocol's engine answers it. */
@Module({
  imports: [EngineModule],
  controllers: [EngineHealthController],
})
export class EngineHealthModule {}

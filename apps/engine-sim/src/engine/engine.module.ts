import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_OPTIONS } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';
import { EngineApiKeyGuard } from './api-key.guard.js';
import { EngineMetrics } from './engine-metrics.js';
import { EngineModel } from './engine-model.js';
import { EngineService } from './engine.service.js';
import { FaultsController } from './faults.controller.js';
import { EngineModelsController } from './models.controller.js';

/** The engine both protocols serve: the model, generation, faults, the model list, the API key. */
@Module({
  controllers: [EngineModelsController, FaultsController],
  providers: [
    // The tokenizer and corpus load once, before the app listens.
    {
      provide: EngineModel,
      inject: [APP_OPTIONS],
      useFactory: (o: EngineSimOptions) => EngineModel.load(o['tokenizer-path'], o['chat-template']),
    },
    EngineService,
    EngineMetrics,
    { provide: APP_GUARD, useClass: EngineApiKeyGuard },
  ],
  exports: [EngineService],
})
export class EngineModule {}

import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_OPTIONS } from '@app/common';
import type { EngineSimOptions } from './config/engine-sim-options.js';
import { EngineApiKeyGuard } from './engine/api-key.guard.js';
import { EngineHealthController } from './health/engine-health.controller.js';
import { EngineMetrics } from './engine/engine-metrics.js';
import { EngineModel } from './engine/engine-model.js';
import { EngineService } from './engine/engine.service.js';
import { FaultsController } from './engine/faults.controller.js';
import { EngineModelsController } from './engine/models.controller.js';
import { SglangController } from './sglang/sglang.controller.js';
import { VllmController } from './vllm/vllm.controller.js';

/** engine-sim: one engine, served over SGLang's and/or vLLM's HTTP protocol. */
@Module({})
export class EngineSimAppModule {
  static forOptions(options: EngineSimOptions): DynamicModule {
    const controllers: Type[] = [EngineHealthController, EngineModelsController, FaultsController];
    if (options.protocol !== 'vllm') controllers.push(SglangController);
    if (options.protocol !== 'sglang') controllers.push(VllmController);
    return {
      module: EngineSimAppModule,
      controllers,
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
    };
  }
}

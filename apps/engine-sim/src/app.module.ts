import { DynamicModule, Module, Type } from '@nestjs/common';
import type { EngineSimOptions } from './config/engine-sim-options.js';
import { EngineModule } from './engine/engine.module.js';
import { EngineHealthModule } from './health/health.module.js';
import { SglangModule } from './sglang/sglang.module.js';
import { VllmModule } from './vllm/vllm.module.js';

/** engine-sim: one engine, served over SGLang's and/or vLLM's HTTP protocol. Its module graph is drawn in docs/ARCHITECTURE.md. */
@Module({})
export class EngineSimAppModule {
  static forOptions(options: EngineSimOptions): DynamicModule {
    const imports: Type[] = [EngineHealthModule, EngineModule];
    if (options.protocol !== 'vllm') imports.push(SglangModule);
    if (options.protocol !== 'sglang') imports.push(VllmModule);
    return { module: EngineSimAppModule, imports };
  }
}

import type { AppDefinition } from '@app/common';
import { EngineSimAppModule } from './app.module.js';
import { ENGINE_SIM_OPTIONS } from './config/engine-sim-options.js';
import { SglangErrorResponseDto, VllmErrorResponseDto } from '@app/contracts';
import { engineErrorBody, engineErrorBodyClass } from './engine/protocol-errors.js';

/** How engine-sim boots; shared by `main.ts` and tests. */
export const ENGINE_SIM_APP: AppDefinition<typeof ENGINE_SIM_OPTIONS> = {
  name: 'engine-sim',
  options: ENGINE_SIM_OPTIONS,
  module: (options) => EngineSimAppModule.forOptions(options),
  errorBodyFormatter: engineErrorBody,
  swagger: {
    title: 'engine-sim',
    description:
      'A CPU inference engine that speaks the SGLang (/generate, pause/continue, abort, weight versions) and vLLM (/v1/completions, AReaL pause extensions) protocols with real token ids from the configured tokenizer, real sampling and consistent log-probabilities. It is not a language model.',
    errorBody: engineErrorBodyClass,
    errorBodies: [SglangErrorResponseDto, VllmErrorResponseDto],
  },
};

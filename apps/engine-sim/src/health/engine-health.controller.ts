import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiEmptyOkResponse, APP_OPTIONS } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';
import { EngineService } from '../engine/engine.service.js';
import { NO_PENALTIES } from '../engine/generation-request.js';

/** SGLang polls for scheduler output once a second while a health probe waits. */
const HEALTH_POLL_MS = 1000;

/**
 * `GET /health` and `GET /health_generate`, empty bodies as the engines answer.
 *
 * vLLM (`--protocol vllm`): an immediate 200, pause or not. SGLang: a one-token greedy generation
 * (rid `HEALTH_CHECK_…`); every second it checks whether the scheduler produced any output since
 * the probe began: 200 if so, else 503 after `--health-check-timeout`. So a healthy answer takes
 * at least a second, and while generation is paused the probe waits at the gate and ends in 503.
 * `--no-health-generation` (SGLANG_ENABLE_HEALTH_ENDPOINT_GENERATION=0) answers at once.
 */
@ApiTags('health')
@Controller()
export class EngineHealthController {
  constructor(
    private readonly engine: EngineService,
    @Inject(APP_OPTIONS) private readonly options: EngineSimOptions,
  ) {}

  @Get(['health', 'health_generate'])
  @ApiServiceUnavailableResponse({ description: 'SGLang: no scheduler output within the health-check timeout' })
  @ApiEmptyOkResponse('Healthy: 200 with an empty body, as SGLang (which generates a token first)')
  @ApiResponse({
    status: 503,
    description: 'Not healthy (the probe generation failed or timed out)',
    content: { 'text/plain': { schema: { type: 'string', maxLength: 0 } } },
  })
  async health(@Res() reply: FastifyReply): Promise<void> {
    const generating = this.options.protocol !== 'vllm' && this.options['health-generation'];
    const healthy = generating ? await this.probeGeneration() : true;
    void reply.status(healthy ? 200 : 503).send('');
  }

  private async probeGeneration(): Promise<boolean> {
    const startedAt = performance.now();
    const probe = this.engine.submit({
      rid: `HEALTH_CHECK_${Math.random().toString(16).slice(2)}`,
      promptIds: [0],
      params: {
        maxNewTokens: 1,
        temperature: 0,
        topP: 1,
        topK: 1,
        stop: [],
        stopTokenIds: [],
        ignoreEos: false,
        skipSpecialTokens: true,
        ...NO_PENALTIES,
        seed: 0,
      },
      listener: { onFinish: () => undefined },
    });
    const deadline = startedAt + this.options.ms['health-check-timeout'];
    try {
      for (;;) {
        await sleep(Math.min(HEALTH_POLL_MS, Math.max(0, deadline - performance.now())));
        if (this.engine.lastOutputAt > startedAt) return true;
        if (performance.now() >= deadline) return false;
      }
    } finally {
      this.engine.cancel(probe);
    }
  }
}

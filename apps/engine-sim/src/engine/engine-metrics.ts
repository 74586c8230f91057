import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '@app/common';
import { EngineService } from './engine.service.js';

/** Engine state for Prometheus, read at scrape time. */
@Injectable()
export class EngineMetrics {
  constructor(metrics: MetricsService, engine: EngineService) {
    const registers = [metrics.registry];
    metrics.gauge('engine_requests_running', 'Requests in the running batch', () => engine.runningCount);
    metrics.gauge(
      'engine_requests_waiting',
      'Requests queued (max-running reached, or paused)',
      () => engine.waitingCount,
    );
    metrics.gauge('engine_paused', '1 while generation is paused', () => (engine.pauseMode === null ? 0 : 1));
    metrics.gauge(
      'engine_memory_released',
      '1 while weights and KV cache are offloaded (release_memory_occupation / sleep)',
      () => (engine.isMemoryReleased ? 1 : 0),
    );
    let reportedTokens = 0;
    new Counter({
      name: 'engine_generated_tokens_total',
      help: 'Tokens generated',
      registers,
      collect() {
        this.inc(engine.counters.tokensGenerated - reportedTokens);
        reportedTokens = engine.counters.tokensGenerated;
      },
    });
    const reported: Record<string, number> = { stop: 0, length: 0, abort: 0 };
    new Counter({
      name: 'engine_requests_finished_total',
      help: 'Requests finished, by finish reason',
      labelNames: ['reason'],
      registers,
      collect() {
        for (const [reason, count] of Object.entries(engine.counters.requestsFinished)) {
          this.inc({ reason }, count - reported[reason]);
          reported[reason] = count;
        }
      },
    });
  }
}

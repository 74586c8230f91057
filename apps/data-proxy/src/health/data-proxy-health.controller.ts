import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { APP_OPTIONS, RecentErrors } from '@app/common';
import { DataProxyMetrics } from '../metrics/data-proxy-metrics.js';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { InfBridgeService } from '../inference/inf-bridge.service.js';
import { SessionStore } from '../sessions/session-store.service.js';
import { DataProxyHealthResponseDto } from '@app/contracts';

/**
 * Liveness with the reference's body, plus `active_requests` for the router's least-busy strategy
 * and the counters the controller's dashboard shows (totals since start: it computes the rates).
 */
@ApiTags('health')
@Controller('health')
export class DataProxyHealthController {
  constructor(
    private readonly bridge: InfBridgeService,
    private readonly sessions: SessionStore,
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
    private readonly turns: DataProxyMetrics,
    private readonly errors: RecentErrors,
  ) {}

  @Get()
  @ApiOkResponse({ type: DataProxyHealthResponseDto })
  health(): DataProxyHealthResponseDto {
    return {
      status: 'ok',
      backend: this.bridge.backendAddr,
      backend_type: this.options['backend-type'],
      sessions: this.sessions.count,
      paused: this.bridge.gate.isPaused,
      offloaded: this.bridge.isOffloaded,
      version: this.bridge.version,
      active_requests: this.bridge.activeRequests,
      parked_requests: this.bridge.parked,
      resubmits: this.bridge.resubmits,
      turns: this.turns.totals.turns,
      prompt_tokens: this.turns.totals.promptTokens,
      output_tokens: this.turns.totals.outputTokens,
      cache_hit_rate:
        this.turns.cache.promptTokens > 0 ? this.turns.cache.cachedTokens / this.turns.cache.promptTokens : null,
      recent_errors: this.errors.list(),
    };
  }
}

import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { APP_OPTIONS } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { InfBridgeService } from '../inference/inf-bridge.service.js';
import { SessionStore } from '../sessions/session-store.service.js';
import { DataProxyHealthResponseDto } from '@app/contracts';

/** Liveness with the reference's body, plus `active_requests` for the router's least-busy strategy. */
@ApiTags('health')
@Controller('health')
export class DataProxyHealthController {
  constructor(
    private readonly bridge: InfBridgeService,
    private readonly sessions: SessionStore,
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
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
    };
  }
}

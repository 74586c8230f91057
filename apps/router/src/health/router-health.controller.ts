import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RouterHealthResponseDto } from '@app/contracts';
import { APP_OPTIONS } from '@app/common';
import type { RouterOptions } from '../config/router-options.js';
import { RouterState } from '../router-state.js';

/** Liveness with the reference's body; unauthenticated. */
@ApiTags('health')
@Controller('health')
export class RouterHealthController {
  constructor(
    private readonly state: RouterState,
    @Inject(APP_OPTIONS) private readonly options: RouterOptions,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness and a summary of router state' })
  @ApiOkResponse({ type: RouterHealthResponseDto })
  health(): RouterHealthResponseDto {
    return {
      status: 'ok',
      workers: this.state.workers.size,
      healthy_workers: this.state.workers.healthyWorkers().length,
      sessions: this.state.sessions.count(),
      capacity: this.state.capacity.capacity,
      strategy: this.options['routing-strategy'],
    };
  }
}

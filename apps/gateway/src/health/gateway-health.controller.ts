import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { APP_OPTIONS } from '@app/common';
import type { GatewayOptions } from '../config/gateway-options.js';
import { GatewayHealthResponseDto } from '@app/contracts';

/** Liveness with the reference's body; readiness (router reachable) is `/health/ready`. */
@ApiTags('health')
@Controller('health')
export class GatewayHealthController {
  constructor(@Inject(APP_OPTIONS) private readonly options: GatewayOptions) {}

  @Get()
  @ApiOkResponse({ type: GatewayHealthResponseDto })
  health(): GatewayHealthResponseDto {
    return { status: 'ok', router_addr: this.options['router-addr'] };
  }
}

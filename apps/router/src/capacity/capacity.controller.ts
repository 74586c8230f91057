import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CapacityResponseDto, CapacityStatusResponseDto } from '@app/contracts';
import { AdminOnly } from '@app/common';
import { RouterState } from '../router-state.js';

@ApiTags('capacity')
@AdminOnly()
@Controller()
export class CapacityController {
  constructor(private readonly state: RouterState) {}

  @Post('grant_capacity')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add one staleness permit (one episode may start)' })
  @ApiOkResponse({ type: CapacityResponseDto })
  grant(): CapacityResponseDto {
    return { status: 'ok', capacity: this.state.capacity.grant() };
  }

  @Post('release_capacity')
  @HttpCode(200)
  @ApiOperation({ summary: 'Return one permit (a session that will not run)' })
  @ApiOkResponse({ type: CapacityResponseDto })
  release(): CapacityResponseDto {
    return { status: 'ok', capacity: this.state.capacity.release() };
  }

  @Get('capacity')
  @ApiOperation({ summary: 'Permits available now, and whether session starts take them' })
  @ApiOkResponse({ type: CapacityStatusResponseDto })
  current(): CapacityStatusResponseDto {
    const { capacity, enforced } = this.state.capacity;
    return { status: 'ok', capacity, permits: enforced ? 'on' : 'off' };
  }
}

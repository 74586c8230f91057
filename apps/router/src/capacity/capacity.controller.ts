import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CapacityResponseDto, CapacityStatusResponseDto } from '@app/contracts';
import { AdminOnly } from '@app/common';
import { RouterGet, RouterPost } from '../router-operation.js';
import { RouterState } from '../router-state.js';

@ApiTags('capacity')
@AdminOnly()
@Controller()
export class CapacityController {
  constructor(private readonly state: RouterState) {}

  @RouterPost('grant_capacity', {
    summary: 'Add one staleness permit (one episode may start)',
    answer: CapacityResponseDto,
  })
  grant(): CapacityResponseDto {
    return { status: 'ok', capacity: this.state.capacity.grant() };
  }

  @RouterPost('release_capacity', {
    summary: 'Return one permit (a session that will not run)',
    answer: CapacityResponseDto,
  })
  release(): CapacityResponseDto {
    return { status: 'ok', capacity: this.state.capacity.release() };
  }

  @RouterGet('capacity', {
    summary: 'Permits available now, and whether session starts take them',
    answer: CapacityStatusResponseDto,
  })
  current(): CapacityStatusResponseDto {
    const { capacity, enforced } = this.state.capacity;
    return { status: 'ok', capacity, permits: enforced ? 'on' : 'off' };
  }
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class RouterHealthResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'All registered workers, healthy or not' }) workers!: number;
  @ApiProperty() healthy_workers!: number;
  @ApiProperty({ description: 'Registered sessions (the HITL pin counts as one)' }) sessions!: number;
  @ApiProperty({ description: 'Capacity permits available' }) capacity!: number;
  @ApiProperty({ example: 'round_robin' }) strategy!: string;
}

export class CapacityResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'Permits available now' }) capacity!: number;
}

/** `GET /capacity`: the permits, and whether session starts take them (`--capacity-permits`). */
export class CapacityStatusResponseDto extends CapacityResponseDto {
  @ApiProperty({
    enum: ['on', 'off'],
    description: 'off: sessions start without permits (AReaL 2.0); grants are still counted',
  })
  permits!: 'on' | 'off';
}

/**
 * One event of `GET /pins/events` (a server-sent event's `data`): `hello` first, then
 * `invalidate` (these keys' pins changed) or `flush` (forget every cached pin).
 */
export class PinEventDto {
  @ApiProperty({ enum: ['hello', 'invalidate', 'flush'] }) type!: 'hello' | 'invalidate' | 'flush';
  @ApiProperty({ description: 'Pin-change sequence number after this event' }) seq!: number;
  @ApiPropertyOptional({ type: [String], description: '`invalidate`: the session keys whose pins changed' })
  keys?: string[];
}

import { ApiProperty } from '@nestjs/swagger';
import { RecentErrorDto } from '../data-proxy/data-proxy.dto.js';

/** One point of the weight-version timeline: a new version, a pause, a continue. */
export class TimelineEventDto {
  @ApiProperty({ description: 'Unix milliseconds', example: 1764619200000 }) at!: number;
  @ApiProperty({ enum: ['version', 'pause', 'continue'] }) kind!: 'version' | 'pause' | 'continue';
  @ApiProperty({ description: 'The version after the event', example: 3 }) version!: number;
}

/** A server error a service answered lately (its `/health` `recent_errors`, or the controller's own), and where. */
export class DashboardErrorDto extends RecentErrorDto {
  @ApiProperty({ example: 'data-proxy-0' }) source!: string;
}

export class DashboardComponentDto {
  @ApiProperty({ example: 'gateway' }) name!: string;
  @ApiProperty({ example: 'http://127.0.0.1:8080' }) addr!: string;
  @ApiProperty() healthy!: boolean;
  @ApiProperty({ example: 'ok' }) detail!: string;
}

export class DashboardStackDto {
  @ApiProperty({ enum: ['starting', 'ready', 'failed', 'stopping', 'stopped'] }) state!: string;
  @ApiProperty({ enum: ['local', 'attach'] }) mode!: string;
  @ApiProperty({ example: 3 }) version!: number;
  @ApiProperty() paused!: boolean;
  @ApiProperty() offloaded!: boolean;
  @ApiProperty({ type: [DashboardComponentDto] }) components!: DashboardComponentDto[];
}

export class DashboardRolloutDto {
  @ApiProperty() queued!: number;
  @ApiProperty() running!: number;
  @ApiProperty({ description: 'Accepted episodes since start' }) accepted!: number;
  @ApiProperty({ description: 'Rejected episodes since start' }) rejected!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { accepted: 12, timeout: 1 } })
  outcomes!: Record<string, number>;
}

export class DashboardDataProxyDto {
  @ApiProperty({ example: 'http://127.0.0.1:18082' }) addr!: string;
  @ApiProperty() healthy!: boolean;
  @ApiProperty({ nullable: true, type: Number }) version!: number | null;
  @ApiProperty() paused!: boolean;
  @ApiProperty() sessions!: number;
  @ApiProperty() in_flight!: number;
  @ApiProperty({ description: 'Generations parked behind a pause' }) parked!: number;
  @ApiProperty({ description: 'Turns since start' }) turns!: number;
  @ApiProperty({ description: 'Generated tokens since start' }) output_tokens!: number;
  @ApiProperty() resubmits!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Prefix-cache hit rate, where the engine reports it' })
  cache_hit_rate!: number | null;
}

/** What `GET /dashboard/events` sends each second (one `data:` event per snapshot). */
export class DashboardSnapshotDto {
  @ApiProperty({ description: 'Unix milliseconds', example: 1764619200000 }) at!: number;
  @ApiProperty({ type: DashboardStackDto }) stack!: DashboardStackDto;
  @ApiProperty({ type: DashboardRolloutDto }) rollout!: DashboardRolloutDto;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'Every term of the staleness budget, as /capacity answers',
    example: { capacity: 12, running: 4 },
  })
  capacity!: Record<string, number>;
  @ApiProperty({ type: [TimelineEventDto] }) timeline!: TimelineEventDto[];
  @ApiProperty({ type: [DashboardDataProxyDto] }) data_proxies!: DashboardDataProxyDto[];
  @ApiProperty({ type: [DashboardErrorDto] }) errors!: DashboardErrorDto[];
}

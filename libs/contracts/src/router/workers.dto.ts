import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUrl, MaxLength, Min } from 'class-validator';
import { OptionalString } from '../common/field-validators.js';

export const HTTP_ADDRESS_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class RegisterWorkerRequestDto {
  @ApiProperty({
    description: 'Base URL of the data proxy, compared as an exact string',
    example: 'http://127.0.0.1:18082',
  })
  @IsString()
  @MaxLength(2048)
  @IsUrl(HTTP_ADDRESS_OPTIONS, { message: 'worker_addr must be an http(s) URL' })
  worker_addr!: string;

  @ApiPropertyOptional({
    description: 'In-flight requests on the worker now (heartbeats may report it for least_busy)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  active_requests?: number;
}

export class RegisterWorkerResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() worker_id!: string;
  @ApiProperty({
    description:
      'This router process; a new value means the router restarted and knows no session pins: the data proxy restores them (/restore_sessions)',
  })
  router_instance!: string;
}

export class UnregisterWorkerRequestDto {
  @ApiPropertyOptional({ description: 'Takes precedence over worker_addr; unknown id → 404', nullable: true })
  @OptionalString(256)
  worker_id?: string | null;

  @ApiPropertyOptional({ description: 'Exact address; unknown address is a no-op', nullable: true })
  @OptionalString(2048)
  worker_addr?: string | null;
}

export class UnregisterWorkerResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'Session keys removed with the worker (the HITL pin counts as one)' })
  sessions_revoked!: number;
}

export class WorkerDto {
  @ApiProperty() worker_id!: string;
  @ApiProperty() addr!: string;
  @ApiProperty({ example: true }) healthy!: boolean;
  @ApiProperty({ description: 'Last reported in-flight requests plus router assignments since' })
  active_requests!: number;
  @ApiProperty() consecutive_failures!: number;
  @ApiProperty({ description: 'Epoch seconds' }) registered_at!: number;
  @ApiProperty({ description: 'Epoch seconds of the last successful check or heartbeat' }) last_seen_at!: number;
  @ApiProperty({ nullable: true, type: Number }) last_checked_at!: number | null;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
}

export class WorkersResponseDto {
  @ApiProperty({ type: [WorkerDto] }) workers!: WorkerDto[];
}

export class ResolveWorkerResponseDto {
  @ApiProperty() worker_id!: string;
  @ApiProperty({ example: 'http://127.0.0.1:18082' }) worker_addr!: string;
}

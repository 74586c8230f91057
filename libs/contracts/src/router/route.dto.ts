import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OptionalString } from '../common/field-validators.js';

export class RouteRequestDto {
  @ApiPropertyOptional({
    description: "The caller's bearer token (session key or admin key)",
    nullable: true,
    type: String,
  })
  @OptionalString(1024)
  api_key?: string | null;

  @ApiPropertyOptional({
    description: 'Request path being routed; `/rl/start_session` with the admin key spreads new sessions by strategy',
    nullable: true,
    type: String,
  })
  @OptionalString(1024)
  path?: string | null;

  @ApiPropertyOptional({ description: 'Route to the worker holding this session', nullable: true, type: String })
  @OptionalString(512)
  session_id?: string | null;

  @ApiPropertyOptional({ description: 'Model name; unknown names are 404', nullable: true, type: String })
  @OptionalString(512)
  model?: string | null;
}

export class RouteResponseDto {
  @ApiProperty({ example: 'http://127.0.0.1:18082' }) worker_addr!: string;
  @ApiProperty({ description: 'Id of the chosen worker', nullable: true, type: String }) worker_id!: string | null;
  @ApiProperty({ description: 'External provider URL (model-only routing)', nullable: true, type: String }) url!:
    string | null;
  @ApiProperty({ description: 'External provider key (model-only routing)', nullable: true, type: String }) api_key!:
    string | null;
  @ApiProperty({ description: 'Pin-change sequence number this answer is valid at (see GET /pins/events)' })
  pin_seq!: number;
  @ApiPropertyOptional({ description: 'The session a session key routes to', nullable: true, type: String })
  session_id?: string | null;
}

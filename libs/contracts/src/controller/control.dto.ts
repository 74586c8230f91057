import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ExportedTrajDto } from '../data-proxy/export.dto.js';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { OptionalBoolean } from '../common/field-validators.js';
import { BodyRules } from '../common/body-rules.js';
import { ExportOption, type ExportFormat, type ExportSchema, type ExportStyle } from '../data-proxy/sessions.dto.js';

/**
 * The controller's control bodies answer a bad field with 400 naming it (the trainer-facing API
 * has always done so); a body that is not a JSON object is 422, as everywhere.
 */
@BodyRules({ optional: true, invalidFieldStatus: 400 })
export class StrictRequestDto {
  @ApiPropertyOptional({
    description: 'Fail (502) unless every data proxy succeeded; default: at least one (or --strict-broadcast)',
  })
  @OptionalBoolean()
  strict?: boolean;
}

@BodyRules({ invalidFieldStatus: 400 })
export class ControllerSetVersionRequestDto extends StrictRequestDto {
  @ApiProperty({ minimum: 0, example: 4 })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  version!: number;
}

export class OnloadRequestDto extends StrictRequestDto {
  @ApiPropertyOptional({ type: [String], enum: ['weights', 'kv_cache'], description: 'Default: everything' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(64, { each: true })
  tags?: string[];
}

/** One data proxy's part of a broadcast (through the gateway's per-worker endpoints). */
export class BroadcastTargetResultDto {
  @ApiProperty({ nullable: true, type: String }) worker_id!: string | null;
  @ApiProperty({ example: 'http://127.0.0.1:18082' }) data_proxy!: string;
  @ApiProperty({ example: true }) ok!: boolean;
  @ApiProperty({ nullable: true, type: Number }) status!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
}

export class BroadcastResponseDto {
  @ApiProperty({ example: true }) ok!: boolean;
  @ApiProperty({ type: [BroadcastTargetResultDto] }) results!: BroadcastTargetResultDto[];
}

export class AddressHealthDto {
  @ApiProperty({ example: 'http://127.0.0.1:8080' }) addr!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: "The service's own /health answer, or {ok: false, error}",
  })
  health!: unknown;
}

export class DataProxyStatusDto extends AddressHealthDto {
  @ApiProperty({ nullable: true, type: String }) worker_id!: string | null;
}

export class LaunchedProcessDto {
  @ApiProperty({ example: 'data-proxy-0' }) name!: string;
  @ApiProperty({ enum: ['starting', 'running', 'restarting', 'stopped', 'failed'] }) state!: string;
  @ApiProperty({ nullable: true, type: Number }) pid!: number | null;
  @ApiProperty() port!: number;
  @ApiProperty() restarts!: number;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) last_exit!: unknown;
}

export class ReadyQueueStatusDto {
  @ApiProperty({ example: 3 }) queued!: number;
  @ApiProperty() waiters!: number;
  @ApiProperty() received!: number;
  @ApiProperty() duplicates!: number;
  @ApiProperty() dropped!: number;
}

export class ControllerStatusResponseDto {
  @ApiProperty({ enum: ['starting', 'ready', 'failed', 'stopping', 'stopped'] }) state!: string;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ enum: ['local', 'attach'] }) mode!: string;
  @ApiProperty() version!: number;
  @ApiProperty() paused!: boolean;
  @ApiProperty() offloaded!: boolean;
  @ApiProperty({ type: AddressHealthDto }) gateway!: AddressHealthDto;
  @ApiProperty({ type: AddressHealthDto }) router!: AddressHealthDto;
  @ApiProperty({ type: [DataProxyStatusDto] }) data_proxies!: DataProxyStatusDto[];
  @ApiProperty({ type: [AddressHealthDto] }) engines!: AddressHealthDto[];
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: "The router's /capacity answer",
  })
  capacity!: unknown;
  @ApiProperty({ type: [LaunchedProcessDto] }) processes!: LaunchedProcessDto[];
  @ApiProperty({ type: ReadyQueueStatusDto }) ready_queue!: ReadyQueueStatusDto;
}

@BodyRules({ invalidFieldStatus: 400 })
export class OnlineReadyRequestDto {
  @ApiProperty({ maxLength: 512, example: 'sess-3f2a' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  session_id!: string;

  @ApiProperty({ minimum: 0, example: 0 })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  trajectory_id!: number;
}

export class OnlineReadyResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'false: a repeat of a notice already queued or taken' }) queued!: boolean;
}

export const MAX_WAIT_COUNT = 4096;
export const MAX_WAIT_S = 3600;

@BodyRules({ optional: true, invalidFieldStatus: 400 })
export class WaitTrajectoriesRequestDto {
  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: MAX_WAIT_COUNT })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_WAIT_COUNT)
  count?: number;

  @ApiPropertyOptional({ default: 30, minimum: 0, maximum: MAX_WAIT_S })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_WAIT_S)
  timeout_s?: number;

  @ApiPropertyOptional({ description: "Reward discount along a trajectory (default: the data proxy's)" })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  discount?: number;

  @ExportOption()
  style?: ExportStyle;

  @ExportOption({ default: 'json' })
  format?: ExportFormat;

  @ExportOption()
  schema?: ExportSchema;
}

/** A ready trajectory the controller was told of (a data proxy's online callback). */
export class ReadyTrajectoryRefDto {
  @ApiProperty({ example: 'episode-17-0' }) session_id!: string;
  @ApiProperty({ example: 0 }) trajectory_id!: number;
  @ApiProperty({
    example: '2026-12-01T17:00:00.000Z',
    description: 'When the controller received the notice (ISO 8601)',
  })
  received_at!: string;
}

export class ExportedTrajectoryDto extends ReadyTrajectoryRefDto {
  @ApiProperty({ description: 'false: the export failed (status and error say why)' }) ok!: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'object', additionalProperties: true } })
  interactions?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "The data proxy's `traj` export" })
  traj?: ExportedTrajDto;
  @ApiPropertyOptional() status?: number;
  @ApiPropertyOptional() error?: string;
}

export class WaitTrajectoriesResponseDto {
  @ApiProperty({ type: [ExportedTrajectoryDto] }) trajectories!: ExportedTrajectoryDto[];
  @ApiProperty({ example: false }) timed_out!: boolean;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { OptionalBoolean, OptionalString } from '../common/field-validators.js';

/** The session id of the admin key's persistent human-in-the-loop session: on every data proxy, and in the router's pins. */
export const HITL_SESSION_ID = '__hitl__';

export class GroupSessionDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(1024) session_api_key!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(512) session_id!: string;
}

/**
 * Two forms: the reference's single session (`session_api_key` + `session_id`), or the later
 * upstream group form (`sessions[]` + `group_id`). Both need `worker_addr`.
 */
export class RegisterSessionRequestDto {
  @ApiPropertyOptional({ description: 'Single-session form: the key the data proxy issued' })
  @ValidateIf((o: RegisterSessionRequestDto) => o.sessions === undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  session_api_key?: string;

  @ApiPropertyOptional({ description: 'Single-session form: the session id' })
  @ValidateIf((o: RegisterSessionRequestDto) => o.sessions === undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  session_id?: string;

  @ApiProperty({ description: 'The registered worker that holds the session(s)' })
  @IsString()
  @MaxLength(2048)
  worker_addr!: string;

  @ApiPropertyOptional({ type: [GroupSessionDto], description: 'Group form: every session of the group' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4096)
  @ValidateNested({ each: true })
  @Type(() => GroupSessionDto)
  sessions?: GroupSessionDto[];

  @ApiPropertyOptional({ description: 'Group form: the group id (must be new)' })
  @ValidateIf((o: RegisterSessionRequestDto) => o.sessions !== undefined || o.group_id !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  group_id?: string;
}

export class RegisterSessionResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiPropertyOptional() group_id?: string;
  @ApiPropertyOptional({ description: 'Permits left after this registration' }) capacity?: number;
}

export class RemoveSessionRequestDto {
  @ApiPropertyOptional({ description: 'Remove one session (the HITL session is never removed)' })
  @OptionalString(512)
  session_id?: string;

  @ApiPropertyOptional({ description: 'Remove every session of a group' })
  @OptionalString(512)
  group_id?: string;

  @ApiPropertyOptional({
    description: 'Return one capacity permit per removed session (the session was rejected downstream)',
  })
  @OptionalBoolean()
  release_capacity?: boolean;
}

export class RemoveSessionResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() removed!: boolean;
  @ApiPropertyOptional({ description: 'Single-session form: true for the persistent HITL session' })
  persistent?: boolean;
  @ApiPropertyOptional({ description: 'Group form: sessions removed' }) sessions_removed?: number;
}

export class RestoredSessionDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(1024) session_api_key!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(512) session_id!: string;
  @ApiPropertyOptional({ description: 'The group the session was started in, if any' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  group_id?: string;
}

/**
 * A data proxy's live sessions, announced after the router restarted (or forgot them): pinned
 * again to that data proxy with their groups, without taking capacity permits (they were granted
 * before the restart).
 */
export class RestoreSessionsRequestDto {
  @ApiProperty({ description: 'The registered worker that holds the sessions' })
  @IsString()
  @MaxLength(2048)
  worker_addr!: string;

  @ApiProperty({ type: [RestoredSessionDto] })
  @IsArray()
  @ArrayMaxSize(100_000)
  @ValidateNested({ each: true })
  @Type(() => RestoredSessionDto)
  sessions!: RestoredSessionDto[];

  @ApiPropertyOptional({
    description: "The worker holds the admin key's HITL session: pin it there unless it is pinned elsewhere",
  })
  @OptionalBoolean()
  hitl?: boolean;
}

export class RestoreSessionsResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'Sessions pinned to the worker by this call' }) restored!: number;
  @ApiProperty({ type: [String], description: 'Sessions left alone: their key or id is pinned to another worker' })
  conflicts!: string[];
  @ApiProperty({ description: 'Whether the HITL pin now points at this worker' }) hitl!: boolean;
}

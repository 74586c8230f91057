import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { OptionalString } from '../common/field-validators.js';
import { BodyRules } from '../common/body-rules.js';
import { RegisterModelRequestDto } from '../router/models.dto.js';
import { HTTP_ADDRESS_OPTIONS } from '../router/workers.dto.js';

export class RecentErrorDto {
  @ApiProperty({ example: '2026-12-01T20:00:00.000Z' }) at!: string;
  @ApiProperty({ example: 502 }) status!: number;
  @ApiProperty({ example: 'ENGINE_PROTOCOL' }) code!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ example: '/chat/completions' }) path!: string;
}

export class DataProxyHealthResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'The engine address' }) backend!: string;
  @ApiProperty({ enum: ['sglang', 'vllm'] }) backend_type!: string;
  @ApiProperty() sessions!: number;
  @ApiProperty() paused!: boolean;
  @ApiProperty() offloaded!: boolean;
  @ApiProperty({ description: 'Weight version stamped on new tokens' }) version!: number;
  @ApiProperty() active_requests!: number;
  @ApiProperty({ description: 'Generations parked behind a pause' }) parked_requests!: number;
  @ApiProperty({ description: 'Segments resubmitted after an abort, since start' }) resubmits!: number;
  @ApiProperty({ description: 'Turns served since start (every agent API)' }) turns!: number;
  @ApiProperty({ description: 'Prompt tokens sent since start' }) prompt_tokens!: number;
  @ApiProperty({ description: 'Tokens generated since start' }) output_tokens!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Prefix-cache hit rate of the prompts whose engine reports it; null when it never did',
  })
  cache_hit_rate!: number | null;
  @ApiProperty({ type: [RecentErrorDto], description: 'The last server errors (5xx) this data proxy answered' })
  recent_errors!: RecentErrorDto[];
}

export const PAUSE_MODES = ['abort', 'in_place', 'retract'] as const;
export type PauseMode = (typeof PAUSE_MODES)[number];

/**
 * The data proxy's control bodies: a bad field is a 400 naming it (as the reference's hand checks
 * answer); a body that is not a JSON object is 422, as everywhere.
 */
@BodyRules({ optional: true, invalidFieldStatus: 400 })
export class PauseGenerationRequestDto {
  @ApiPropertyOptional({
    enum: PAUSE_MODES,
    default: 'abort',
    description: 'SGLang pause mode (default abort: in-flight requests are aborted and resubmitted on continue)',
  })
  @IsOptional()
  @IsIn(PAUSE_MODES, { message: `mode must be one of ${PAUSE_MODES.join(', ')}` })
  mode?: PauseMode;
}

export class PausedResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() paused!: boolean;
}

@BodyRules({ optional: true, invalidFieldStatus: 400 })
export class MemoryTagsRequestDto {
  @ApiPropertyOptional({ type: [String], enum: ['weights', 'kv_cache'], description: 'Default: everything' })
  @IsOptional()
  @IsArray({ message: 'tags must be a list of non-empty strings' })
  @ArrayMaxSize(16)
  @IsString({ each: true, message: 'tags must be a list of non-empty strings' })
  @MinLength(1, { each: true, message: 'tags must be a list of non-empty strings' })
  @MaxLength(64, { each: true })
  tags?: string[];
}

@BodyRules({ invalidFieldStatus: 400 })
export class SetVersionRequestDto {
  @ApiProperty({ type: 'integer', example: 3 })
  @IsInt({ message: "'version' (int) is required" })
  @Min(Number.MIN_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  version!: number;
}

export class SetVersionResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() version!: number;
}

export class VersionResponseDto {
  @ApiProperty({ example: 4 }) version!: number;
}

@BodyRules({ invalidFieldStatus: 400 })
export class ConfigureBackendRequestDto {
  @ApiProperty({ example: 'http://10.0.0.7:30000', description: 'The engine new generations go to' })
  @IsString({ message: 'backend_addr is required' })
  @MaxLength(2048)
  @IsUrl(HTTP_ADDRESS_OPTIONS, { message: 'backend_addr must be an http(s) URL' })
  backend_addr!: string;
}

export class ConfigureBackendResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() backend_addr!: string;
}

export class ShardIdsRequestDto {
  @ApiProperty({ type: [String] }) shard_ids!: string[];
}

export class ClearShardsResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() cleared_count!: number;
  @ApiProperty() num_tensors!: number;
  @ApiProperty() total_bytes!: number;
}

/** A serialized tensor (the reference's pydantic encoding, key order kept). */
export class SerializedTensorDto {
  @ApiProperty({ example: 'tensor' }) type!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'base64 of the little-endian bytes; null in a reference, which carries shape and dtype only',
  })
  data!: string | null;
  @ApiProperty({ type: [Number] }) shape!: number[];
  @ApiProperty({ example: 'torch.int64' }) dtype!: string;
}

export class StoreShardResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() shard_id!: string;
}

/**
 * A data proxy's `/register_model` (sent by the gateway for each of a model's data proxies): the
 * router's registration body without the data proxy list, plus the reference's `name` alias. One of
 * `name` and `model` is required.
 */
@BodyRules({ invalidFieldStatus: 400 })
export class DataProxyRegisterModelRequestDto extends PickType(RegisterModelRequestDto, ['url', 'api_key']) {
  @ApiPropertyOptional({ description: 'Model name agents send in `model` (default: `name`)', example: 'gpt-4o-mini' })
  @OptionalString(512)
  model?: string;

  @ApiPropertyOptional({ description: 'The model name (default: `model`)' })
  @OptionalString(512)
  name?: string;
}

export class DataProxyRegisterModelResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() name!: string;
}

@BodyRules({ invalidFieldStatus: 400 })
export class UnregisterModelRequestDto {
  @ApiProperty({ example: 'gpt-4o-mini' })
  @IsString({ message: 'name is required' })
  @MinLength(1, { message: 'name is required' })
  @MaxLength(512)
  name!: string;
}

export class UnregisterModelResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'false: it was not registered' }) removed!: boolean;
}

import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { RegisterModelRequestDto } from '../router/models.dto.js';

export class DataProxyHealthResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'The engine address' }) backend!: string;
  @ApiProperty({ enum: ['sglang', 'vllm'] }) backend_type!: string;
  @ApiProperty() sessions!: number;
  @ApiProperty() paused!: boolean;
  @ApiProperty() offloaded!: boolean;
  @ApiProperty({ description: 'Weight version stamped on new tokens' }) version!: number;
  @ApiProperty() active_requests!: number;
}

export class PauseGenerationRequestDto {
  @ApiPropertyOptional({
    enum: ['abort', 'in_place', 'retract'],
    description: 'SGLang pause mode (default abort: in-flight requests are aborted and resubmitted on continue)',
  })
  mode?: string;
  @ApiPropertyOptional({ description: 'Version label forwarded to the engine' }) version?: number;
}

export class PausedResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() paused!: boolean;
}

export class MemoryTagsRequestDto {
  @ApiPropertyOptional({ type: [String], enum: ['weights', 'kv_cache'], description: 'Default: everything' })
  tags?: string[];
}

export class SetVersionRequestDto {
  @ApiProperty({ type: 'integer', example: 3 }) version!: number;
}

export class SetVersionResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() version!: number;
}

export class VersionResponseDto {
  @ApiProperty() version!: number;
}

export class ConfigureBackendRequestDto {
  @ApiProperty({ example: 'http://10.0.0.7:30000' }) backend_addr!: string;
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
  @ApiProperty({ description: 'base64 of the little-endian bytes' }) data!: string;
  @ApiProperty({ type: [Number] }) shape!: number[];
  @ApiProperty({ example: 'torch.int64' }) dtype!: string;
}

export class StoreShardResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() shard_id!: string;
}

/**
 * A data proxy's `/register_model` (sent by the gateway for each of a model's data proxies): the
 * router's registration body without the data proxy list, plus the reference's `name` alias.
 */
export class DataProxyRegisterModelRequestDto extends PickType(RegisterModelRequestDto, ['model', 'url', 'api_key']) {
  @ApiPropertyOptional({ description: 'The model name (default: `model`)' }) name?: string;
}

export class DataProxyRegisterModelResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() name!: string;
}

export class UnregisterModelRequestDto {
  @ApiProperty() name!: string;
}

export class UnregisterModelResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'false: it was not registered' }) removed!: boolean;
}

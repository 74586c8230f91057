import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { SerializedTensorDto } from './data-proxy.dto.js';

// The answers of `POST /export_trajectories`: training rows in AReaL's RPC encoding (tensors as
// references to shards fetched from `/data/{shard_id}`) or as plain JSON lists. Keys are listed in
// the order they go on the wire (AReaL reads the `traj` batch by key, pydantic dumps in order).

/** Where a tensor shard is held (`areal.infra.rpc.rtensor.TensorShardInfo`). */
export class TensorShardInfoDto {
  @ApiProperty({ description: 'Id to fetch with GET /data/{shard_id}' }) shard_id!: string;
  @ApiProperty({ example: '10.0.0.5:8100', description: 'host:port of the data proxy holding it' }) node_addr!: string;
}

/** The shard info as AReaL's dataclass encoding writes it. */
export class TensorShardInfoDataclassDto {
  @ApiProperty({ enum: ['dataclass'] }) type!: 'dataclass';
  @ApiProperty({ example: 'areal.infra.rpc.rtensor.TensorShardInfo' }) class_path!: string;
  @ApiProperty({ type: TensorShardInfoDto }) data!: TensorShardInfoDto;
}

export class RTensorReferenceDataDto {
  @ApiProperty({ type: TensorShardInfoDataclassDto }) shard!: TensorShardInfoDataclassDto;
  @ApiProperty({ type: SerializedTensorDto, description: 'Shape and dtype only: `data` is null' })
  data!: SerializedTensorDto;
}

/** A tensor by reference (`areal.infra.rpc.rtensor.RTensor` in the dataclass encoding). */
export class RTensorReferenceDto {
  @ApiProperty({ enum: ['dataclass'] }) type!: 'dataclass';
  @ApiProperty({ example: 'areal.infra.rpc.rtensor.RTensor' }) class_path!: string;
  @ApiProperty({ type: RTensorReferenceDataDto }) data!: RTensorReferenceDataDto;
}

/** One interaction's six `[1, L]` training tensors (format rpc), by reference. */
export class TensorDictReferencesDto {
  @ApiProperty({ type: RTensorReferenceDto, description: 'int64' }) input_ids!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'int64: 1 on generated tokens' })
  loss_mask!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'float32: 0 on prompt tokens' })
  logprobs!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'int64: -1 on prompt tokens' })
  versions!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'bool' }) attention_mask!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'float32, shape [1]' }) rewards!: RTensorReferenceDto;
}

/** Schema `interactions`, format rpc: an interaction with tokens. */
export class ExportedTensorInteractionDto {
  @ApiProperty({ type: TensorDictReferencesDto }) tensor_dict!: TensorDictReferencesDto;
  @ApiProperty({ description: 'After discounting (and group normalization when asked)' }) reward!: number;
  @ApiProperty({ example: 'chatcmpl-3f2a' }) interaction_id!: string;
}

/** Schema `interactions`, format rpc: an external model's interaction (messages only, no tokens). */
export class ExportedMessagesInteractionDto {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) messages!: unknown[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  output_message_list!: unknown[];
  @ApiProperty() reward!: number;
  @ApiProperty({ example: 'chatcmpl-3f2a' }) interaction_id!: string;
}

/** Schema `interactions`, format json: one interaction's row as lists (token fields absent without tokens). */
export class ExportedJsonInteractionDto {
  @ApiProperty({ example: 'chatcmpl-3f2a' }) interaction_id!: string;
  @ApiProperty({ nullable: true, type: String }) parent_id!: string | null;
  @ApiProperty() reward!: number;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) messages!: unknown[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) output_messages!: unknown[];
  @ApiPropertyOptional({ type: [Number], example: [151644, 872, 198, 17, 151645] }) input_ids?: number[];
  @ApiPropertyOptional({ type: [Number], example: [0, 0, 0, 1, 1] }) loss_mask?: number[];
  @ApiPropertyOptional({ type: [Number], example: [0, 0, 0, -0.11, -0.02] }) logprobs?: number[];
  @ApiPropertyOptional({ type: [Number], example: [-1, -1, -1, 4, 4] }) versions?: number[];
}

export type ExportedInteractionDto =
  ExportedTensorInteractionDto | ExportedMessagesInteractionDto | ExportedJsonInteractionDto;

/** Schema `traj`, format rpc: AReaL 2.0's padded batch, one shard per key. */
export class TrajReferencesDto {
  @ApiProperty({ type: RTensorReferenceDto, description: 'int64 [N, L]' }) input_ids!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'int64 [N, L]' }) loss_mask!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'float32 [N, L]' }) logprobs!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'int64 [N, L]' }) versions!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'int32 [N, L]' }) turn_ids!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'bool [N, L]' }) attention_mask!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'float32 [N]' }) rewards!: RTensorReferenceDto;
  @ApiProperty({ type: RTensorReferenceDto, description: 'float32 [N]' }) original_rewards!: RTensorReferenceDto;
}

const rowsOf = (type: 'integer' | 'number' | 'boolean') => ({
  type: 'array' as const,
  items: { type: 'array' as const, items: { type } },
});

/** Schema `traj`, format json: the same batch as nested lists (`[N, L]` rows, `[N]` rewards). */
export class TrajJsonDto {
  @ApiProperty(rowsOf('integer')) input_ids!: number[][];
  @ApiProperty(rowsOf('integer')) loss_mask!: number[][];
  @ApiProperty(rowsOf('number')) logprobs!: number[][];
  @ApiProperty(rowsOf('integer')) versions!: number[][];
  @ApiProperty(rowsOf('integer')) turn_ids!: number[][];
  @ApiProperty(rowsOf('boolean')) attention_mask!: boolean[][];
  @ApiProperty({ type: [Number] }) rewards!: number[];
  @ApiProperty({ type: [Number], description: 'Before group normalization' }) original_rewards!: number[];
}

export class TrajStringInteractionDto {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'The messages' })
  request!: unknown;
  @ApiProperty({ description: "The answer's text (an external provider's raw body)" }) response!: string;
  @ApiProperty() reward!: number;
}

/** Schema `traj` when any interaction has no tokens (external models): one entry per interaction. */
export class TrajStringFormDto {
  @ApiProperty({ type: [TrajStringInteractionDto] }) interactions!: TrajStringInteractionDto[];
}

/** `traj`: empty (`{}`) when nothing was exported. */
export type ExportedTrajDto = TrajReferencesDto | TrajJsonDto | TrajStringFormDto | Record<string, never>;

/** `POST /export_trajectories`: `interactions` (schema interactions) or `traj` (schema traj). */
@ApiExtraModels(
  ExportedTensorInteractionDto,
  ExportedMessagesInteractionDto,
  ExportedJsonInteractionDto,
  TrajReferencesDto,
  TrajJsonDto,
  TrajStringFormDto,
)
export class ExportTrajectoriesResponseDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: {
      oneOf: [
        { $ref: getSchemaPath(ExportedTensorInteractionDto) },
        { $ref: getSchemaPath(ExportedMessagesInteractionDto) },
        { $ref: getSchemaPath(ExportedJsonInteractionDto) },
      ],
    },
    description: 'Training rows by interaction id: tensor references (format rpc) or lists (format json)',
  })
  interactions?: Record<string, ExportedInteractionDto>;

  @ApiPropertyOptional({
    oneOf: [
      { $ref: getSchemaPath(TrajReferencesDto) },
      { $ref: getSchemaPath(TrajJsonDto) },
      { $ref: getSchemaPath(TrajStringFormDto) },
      { type: 'object', maxProperties: 0 },
    ],
    description: 'schema traj: the AReaL 2.0 batch ({} when nothing was exported)',
  })
  traj?: ExportedTrajDto;
}

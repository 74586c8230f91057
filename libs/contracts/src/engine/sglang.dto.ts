import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EngineSamplingFieldsDto } from './sampling.dto.js';

/**
 * SGLang's native HTTP API as engine-sim serves it and the data proxy calls it (the data proxy's
 * SGLang client types its requests and parses the answers with these classes).
 */
export class SglangSamplingParamsDto extends EngineSamplingFieldsDto {
  @ApiPropertyOptional({ minimum: 0 }) max_new_tokens?: number;
  @ApiPropertyOptional({ description: 'Per-request seed' }) sampling_seed?: number;
  @ApiPropertyOptional({
    description: 'Constrained decoding: a JSON schema, as a JSON string. At most one of json_schema, regex, ebnf',
  })
  json_schema?: string;
  @ApiPropertyOptional({ description: 'Constrained decoding: the whole output matches this regular expression' })
  regex?: string;
  @ApiPropertyOptional({ description: 'Constrained decoding: an EBNF grammar (start rule `root`)' })
  ebnf?: string;
  @ApiPropertyOptional({
    description:
      'Constrained decoding: `{"type": "structural_tag", "structures": [{"begin", "schema", "end"}], "triggers": [...]}` as a JSON string',
  })
  structural_tag?: string;
}

export class SglangGenerateRequestDto {
  @ApiPropertyOptional({ type: [Number], description: 'Prompt token ids (or `text`)' }) input_ids?: readonly number[];
  @ApiPropertyOptional() text?: string;
  @ApiPropertyOptional({
    nullable: true,
    type: 'array',
    items: { type: 'string' },
    description: 'Multimodal inputs (unused)',
  })
  image_data?: string[] | null;
  @ApiPropertyOptional({ type: SglangSamplingParamsDto }) sampling_params?: SglangSamplingParamsDto;
  @ApiPropertyOptional({ description: 'Per-token log-probs in meta_info.output_token_logprobs' })
  return_logprob?: boolean;
  @ApiPropertyOptional({
    minimum: 0,
    description: 'With return_logprob: the most likely alternatives per output token, in meta_info.output_top_logprobs',
  })
  top_logprobs_num?: number;
  @ApiPropertyOptional() stream?: boolean;
  @ApiPropertyOptional({ description: 'Request id (abort_request takes it)' }) rid?: string;
}

export class SglangWeightVersionSpanDto {
  @ApiProperty() version!: string;
  @ApiProperty({ description: 'First output token (inclusive)' }) start!: number;
  @ApiProperty({ description: 'Last output token (exclusive)' }) end!: number;
}

export class SglangMetaInfoDto {
  @ApiProperty({ example: '3f2a9c1e' }) id!: string;
  @ApiProperty({
    example: { type: 'length', length: 16 },
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: '`{"type": "stop" | "length" | "abort", "matched"?, "message"?, "status_code"?}`',
  })
  finish_reason!: Record<string, unknown> | null;
  @ApiPropertyOptional({ example: 12 }) prompt_tokens?: number;
  @ApiPropertyOptional() cached_tokens?: number;
  @ApiProperty({ example: 16 }) completion_tokens!: number;
  @ApiProperty({ example: '4' }) weight_version!: string;
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'array' },
    description: '`[logprob, token_id, text]` per output token (text null unless `return_text_in_logprobs`)',
  })
  output_token_logprobs?: [number, number, string | null][];
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'array', items: { type: 'array' } },
    description:
      'With top_logprobs_num: per output token, its alternatives as `[logprob, token_id, text]`, most likely first (text null unless `return_text_in_logprobs`)',
  })
  output_top_logprobs?: [number, number, string | null][][];
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'array' },
    description: 'With top_logprobs_num: prompt alternatives (empty)',
  })
  input_top_logprobs?: unknown[];
  @ApiPropertyOptional({ type: [SglangWeightVersionSpanDto] }) weight_versions?: SglangWeightVersionSpanDto[];
  @ApiPropertyOptional({ description: 'Seconds' }) e2e_latency?: number;
}

/** The answer of `/generate` (and each streamed `data:` event). */
export class SglangGenerateResponseDto {
  @ApiProperty({ example: 'The answer is 4.' }) text!: string;
  @ApiProperty({ type: [Number] }) output_ids!: number[];
  @ApiProperty({ type: SglangMetaInfoDto }) meta_info!: SglangMetaInfoDto;
}

export class SglangPauseRequestDto {
  @ApiPropertyOptional({ enum: ['abort', 'in_place', 'retract'], default: 'abort' }) mode?: string;
}

export class SglangMessageResponseDto {
  @ApiProperty() message!: string;
  @ApiProperty({ example: 'ok' }) status!: string;
}

export class SglangMemoryTagsRequestDto {
  @ApiPropertyOptional({ type: [String], enum: ['weights', 'kv_cache'] }) tags?: string[];
}

export class SglangAbortRequestDto {
  @ApiPropertyOptional() rid?: string;
  @ApiPropertyOptional() abort_all?: boolean;
}

export class SglangUpdateWeightVersionRequestDto {
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'number' }] }) new_version!: string | number;
  @ApiPropertyOptional({ description: 'Abort running requests first', default: true }) abort_all_requests?: boolean;
}

export class SglangUpdateWeightVersionResponseDto {
  @ApiProperty({ example: true }) success!: boolean;
  @ApiProperty() message!: string;
  @ApiProperty({ example: '5' }) new_version!: string;
}

export class SglangUpdateWeightsFromDiskRequestDto {
  @ApiProperty() model_path!: string;
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }] }) weight_version?: string | number;
}

export class SglangUpdateWeightsResponseDto {
  @ApiProperty({ example: true }) success!: boolean;
  @ApiProperty() message!: string;
  @ApiProperty({ example: 0 }) num_paused_requests!: number;
}

export class SglangModelInfoDto {
  @ApiProperty({ example: 'Qwen/Qwen3-0.6B' }) model_path!: string;
  @ApiProperty() tokenizer_path!: string;
  @ApiProperty({ example: true }) is_generation!: boolean;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) preferred_sampling_params!: unknown;
  @ApiProperty() weight_version!: string;
  @ApiPropertyOptional() engine?: string;
  @ApiPropertyOptional() note?: string;
}

export class SglangWeightVersionDto {
  @ApiProperty({ example: '4' }) weight_version!: string;
}

export class SglangServerInfoDto {
  @ApiProperty() model_path!: string;
  @ApiProperty() served_model_name!: string;
  @ApiProperty() tokenizer_path!: string;
  @ApiProperty() context_length!: number;
  @ApiProperty() max_running_requests!: number;
  @ApiProperty() random_seed!: number;
  @ApiProperty() weight_version!: string;
  @ApiProperty() enable_memory_saver!: boolean;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) internal_states!: Record<
    string,
    unknown
  >[];
  @ApiProperty() version!: string;
  @ApiPropertyOptional({ description: 'engine-sim only: says it is a simulator; its settings follow' })
  note?: string;
  @ApiPropertyOptional({ description: 'engine-sim only: the real-engine behaviour it copies' }) mode?: string;
  @ApiPropertyOptional({ enum: ['sglang', 'vllm', 'both'], description: 'engine-sim only' }) protocol?: string;
  @ApiPropertyOptional({ description: 'engine-sim only' }) prefill_us_per_token?: number;
  @ApiPropertyOptional({ description: 'engine-sim only' }) decode_ms_per_token?: number;
  @ApiPropertyOptional({ description: 'engine-sim only' }) incremental_streaming_output?: boolean;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CompletionUsageDto } from '../openai/chat.dto.js';
import { EngineSamplingFieldsDto } from './sampling.dto.js';

/** vLLM's structured outputs (0.10.2 and later): exactly one constraint kind. */
export class VllmStructuredOutputsDto {
  @ApiPropertyOptional({
    oneOf: [{ type: 'object', additionalProperties: true }, { type: 'string' }],
    description: 'A JSON schema',
  })
  json?: Record<string, unknown> | string;
  @ApiPropertyOptional({ description: 'The whole output matches this regular expression' }) regex?: string;
  @ApiPropertyOptional({ type: [String], description: 'The output is one of these strings' }) choice?: string[];
  @ApiPropertyOptional({ description: 'An EBNF grammar (start rule `root`)' }) grammar?: string;
  @ApiPropertyOptional({ description: 'Any JSON object' }) json_object?: boolean;
  @ApiPropertyOptional({ description: 'A structural tag, as a JSON string' }) structural_tag?: string;
}

/** vLLM's OpenAI completions with token-id prompts, as engine-sim serves them and the data proxy calls them. */
export class VllmCompletionRequestDto extends EngineSamplingFieldsDto {
  @ApiProperty({ oneOf: [{ type: 'array', items: { type: 'integer' } }, { type: 'string' }] })
  prompt!: readonly number[] | string;
  @ApiPropertyOptional() model?: string;
  @ApiPropertyOptional() max_tokens?: number;
  @ApiPropertyOptional({ description: 'Top log-probs per token (0: the sampled one only)' }) logprobs?: number;
  @ApiPropertyOptional({ description: 'Tokens as "token_id:N" strings' }) return_tokens_as_token_ids?: boolean;
  @ApiPropertyOptional() stream?: boolean;
  @ApiPropertyOptional() seed?: number;
  @ApiPropertyOptional() use_beam_search?: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: '`{"include_usage": true}`' })
  stream_options?: { include_usage?: boolean };
  @ApiPropertyOptional({ type: VllmStructuredOutputsDto, description: 'Constrained decoding' })
  structured_outputs?: VllmStructuredOutputsDto;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: '`{"type": "text" | "json_object" | "json_schema" | "structural_tag", ...}` (structured_outputs wins)',
  })
  response_format?: Record<string, unknown>;
}

export class VllmCompletionLogprobsDto {
  @ApiProperty({ type: [String], description: '"token_id:N" with return_tokens_as_token_ids' }) tokens!: string[];
  @ApiProperty({ type: [Number] }) token_logprobs!: number[];
  @ApiProperty({ type: [Number] }) text_offset!: number[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, nullable: true }) top_logprobs!:
    unknown[] | null;
}

export class VllmCompletionChoiceDto {
  @ApiProperty() index!: number;
  @ApiProperty() text!: string;
  @ApiProperty({ type: VllmCompletionLogprobsDto, nullable: true }) logprobs!: VllmCompletionLogprobsDto | null;
  @ApiProperty({ nullable: true, enum: ['stop', 'length', 'abort', 'error', 'repetition'] })
  finish_reason!: string | null;
  @ApiPropertyOptional({ nullable: true, oneOf: [{ type: 'string' }, { type: 'integer' }] })
  stop_reason?: string | number | null;
}

/** The answer of `/v1/completions` (and each streamed chunk). */
export class VllmCompletionResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'text_completion' }) object!: string;
  @ApiProperty() created!: number;
  @ApiProperty() model!: string;
  @ApiProperty({ type: [VllmCompletionChoiceDto] }) choices!: VllmCompletionChoiceDto[];
  @ApiPropertyOptional({ type: CompletionUsageDto, nullable: true }) usage?: CompletionUsageDto | null;
}

export class VllmIsSleepingDto {
  @ApiProperty({ example: false }) is_sleeping!: boolean;
}

export class VllmIsPausedDto {
  @ApiProperty({ example: false }) is_paused!: boolean;
}

export class VllmPauseStatusDto {
  @ApiProperty({ enum: ['paused', 'resumed'] }) status!: string;
}

/** AReaL's vLLM extension endpoints. */
export class VllmArealResultDto {
  @ApiProperty({ example: true }) success!: boolean;
  @ApiProperty() message!: string;
}

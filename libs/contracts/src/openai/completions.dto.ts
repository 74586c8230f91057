import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { documentAgentEndpoint, TURN_ERRORS } from '../common/agent-endpoint.js';
import { applyRequestSurface } from '../common/field-handling.js';
import { CompletionUsageDto } from './chat.dto.js';
import { COMPLETIONS_SURFACE } from './completions-fields.js';

/**
 * OpenAI's legacy completions request (read by hand on the hot path). Every field of the openai
 * SDK's `CompletionCreateParams` comes from the completions handling table (`COMPLETIONS_SURFACE`).
 */
export class TextCompletionRequestDto {
  @ApiProperty({
    description: 'Text (tokenized as is, never templated) or token ids',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'integer' } }],
    example: 'The capital of France is',
  })
  prompt!: string | number[];
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], nullable: true })
  stop?: string | string[] | null;
  model?: string | null;
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
  logprobs?: number | null;
  stream?: boolean | null;
  store?: boolean | null;
}
applyRequestSurface(TextCompletionRequestDto, COMPLETIONS_SURFACE);

/** OpenAI's legacy log-probs of a text completion, one entry per token in each list. */
export class TextCompletionLogprobsDto {
  @ApiProperty({ type: [String], example: [' Paris', '.'] }) tokens!: string[];
  @ApiProperty({ type: [Number], description: 'The recorded log-probs', example: [-0.01, -0.2] })
  token_logprobs!: number[];
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: { type: 'number' } },
    nullable: true,
    description: 'With `logprobs: k` > 0: `{token: logprob}` of the k alternatives of each token, else null',
  })
  top_logprobs!: Record<string, number>[] | null;
  @ApiProperty({ type: [Number], description: 'Where each token starts in the text', example: [0, 6] })
  text_offset!: number[];
}

export class TextCompletionChoiceDto {
  @ApiProperty({ example: 0 }) index!: number;
  @ApiProperty({ example: ' Paris.' }) text!: string;
  @ApiProperty({
    type: String,
    enum: ['stop', 'length'],
    nullable: true,
    description: 'null on every streamed chunk but the last',
  })
  finish_reason!: string | null;
  @ApiPropertyOptional({
    type: TextCompletionLogprobsDto,
    nullable: true,
    description: 'With `logprobs: k`: the recorded log-probs of the tokens',
  })
  logprobs?: TextCompletionLogprobsDto | null;
  @ApiPropertyOptional({ type: [Number], description: 'With `return_token_ids: true`: the prompt ids, as recorded' })
  prompt_token_ids?: number[];
  @ApiPropertyOptional({ type: [Number], description: 'With `return_token_ids: true`: the generated ids, as recorded' })
  token_ids?: number[];
}

export class TextCompletionResponseDto {
  @ApiProperty({ description: 'Also the interaction id rewards and exports use', example: 'cmpl-3f2a9c' }) id!: string;
  @ApiProperty({ example: 'text_completion' }) object!: string;
  @ApiProperty({ example: 1764619200 }) created!: number;
  @ApiProperty({ example: 'qwen3' }) model!: string;
  @ApiProperty({ type: [TextCompletionChoiceDto] }) choices!: TextCompletionChoiceDto[];
  @ApiPropertyOptional({ type: CompletionUsageDto }) usage?: CompletionUsageDto;
}

/** The Swagger of a `/v1/completions` operation (gateway and data proxy). */
export function ApiTextCompletion(): MethodDecorator {
  return documentAgentEndpoint({
    request: TextCompletionRequestDto,
    answer: TextCompletionResponseDto,
    event: TextCompletionResponseDto,
    description: 'The completion; with `stream: true` server-sent `text_completion` chunks, then `data: [DONE]`',
    errors: [TURN_ERRORS.unknownKey, TURN_ERRORS.engineFailed],
  });
}

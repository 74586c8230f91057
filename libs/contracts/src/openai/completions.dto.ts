import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { CompletionUsageDto } from './chat.dto.js';

/** OpenAI's legacy completions request (read by hand on the hot path; this is what it accepts). */
export class TextCompletionRequestDto {
  @ApiPropertyOptional({ example: 'qwen3' }) model?: string;
  @ApiProperty({
    description: 'Text (tokenized as is, never templated) or token ids',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'integer' } }],
    example: 'The capital of France is',
  })
  prompt!: string | number[];
  @ApiPropertyOptional({ minimum: 1, default: 16 }) max_tokens?: number;
  @ApiPropertyOptional({ minimum: 0 }) temperature?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1 }) top_p?: number;
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  stop?: string | string[];
  @ApiPropertyOptional() seed?: number;
  @ApiPropertyOptional({ description: 'Any value: the answer carries each token’s log-prob' }) logprobs?: number;
  @ApiPropertyOptional({ default: false }) stream?: boolean;
  @ApiPropertyOptional({ default: true, description: 'false: not recorded' }) store?: boolean;
}

export class TextCompletionChoiceDto {
  @ApiProperty({ example: 0 }) index!: number;
  @ApiProperty({ example: ' Paris.' }) text!: string;
  @ApiProperty({ enum: ['stop', 'length'] }) finish_reason!: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: '`{tokens, token_logprobs, top_logprobs, text_offset}`',
  })
  logprobs?: Record<string, unknown> | null;
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
  return applyDecorators(
    ApiBody({ type: TextCompletionRequestDto }),
    ApiExtraModels(TextCompletionResponseDto),
    ApiOkResponse({
      description: 'The completion; with `stream: true` server-sent `text_completion` chunks, then `data: [DONE]`',
      content: {
        'application/json': { schema: { $ref: getSchemaPath(TextCompletionResponseDto) } },
        'text/event-stream': { schema: { $ref: getSchemaPath(TextCompletionResponseDto) } },
      },
    }),
    ApiResponse({ status: 401, description: 'Unknown or expired session key' }),
    ApiResponse({ status: 502, description: 'The engine failed or broke its protocol; nothing was recorded' }),
  );
}

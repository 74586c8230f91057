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

import { applyRequestSurface } from '../common/field-handling.js';
import { RESPONSES_SURFACE } from './responses-fields.js';

/**
 * OpenAI's Responses API as the gateway and the data proxy serve it. The body is read by hand on
 * the hot path (the data proxy converts it into its chat request); every field of the openai
 * SDK's `ResponseCreateParams` comes from the Responses handling table (`RESPONSES_SURFACE`), which
 * says what happens to it and gives the rules the parser enforces.
 */
export class ResponsesRequestDto {
  @ApiProperty({
    description:
      'A string (one user message), or items: messages (`{role, content}` with input_text/output_text parts), `reasoning`, `function_call`, `function_call_output`, `item_reference`',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', additionalProperties: true } }],
    example: 'What is 22 + 6?',
  })
  input!: string | Record<string, unknown>[];
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }] })
  tool_choice?: unknown;
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Function tools `{type: "function", name, description, parameters}`',
  })
  tools?: Record<string, unknown>[];
  model?: string | null;
  instructions?: string | null;
  previous_response_id?: string | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  store?: boolean | null;
  stream?: boolean | null;
  metadata?: Record<string, unknown> | null;
  reasoning?: Record<string, unknown> | null;
  text?: Record<string, unknown>;
  include?: string[] | null;
}
applyRequestSurface(ResponsesRequestDto, RESPONSES_SURFACE);

export class ResponsesUsageDto {
  @ApiProperty({ example: 14 }) input_tokens!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { cached_tokens: 0 } })
  input_tokens_details!: Record<string, number>;
  @ApiProperty({ example: 9 }) output_tokens!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { reasoning_tokens: 0 } })
  output_tokens_details!: Record<string, number>;
  @ApiProperty({ example: 23 }) total_tokens!: number;
}

/** A `response` object. */
export class ResponseObjectDto {
  @ApiProperty({ description: 'Also the interaction id rewards and exports use', example: 'resp_3f2a9c' }) id!: string;
  @ApiProperty({ example: 'response' }) object!: string;
  @ApiProperty({ description: 'Unix seconds', example: 1764619200 }) created_at!: number;
  @ApiProperty({ enum: ['in_progress', 'completed', 'incomplete'] }) status!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  incomplete_details!: Record<string, unknown> | null;
  @ApiProperty({ example: 'qwen3' }) model!: string;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Items: `reasoning`, `message` (output_text), `function_call`',
    example: [
      {
        type: 'message',
        id: 'msg_3f2a9c',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: '28', annotations: [] }],
      },
    ],
  })
  output!: Record<string, unknown>[];
  @ApiProperty({ type: ResponsesUsageDto, nullable: true }) usage!: ResponsesUsageDto | null;
  @ApiPropertyOptional({ nullable: true, type: String }) previous_response_id?: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) instructions?: string | null;
}

/** One server-sent event of a streamed response (`event:` names its `type`). */
export class ResponseStreamEventDto {
  @ApiProperty({ example: 'response.output_text.delta' }) type!: string;
  @ApiProperty({ example: 3 }) sequence_number!: number;
}

/** The Swagger of a `/v1/responses` operation (gateway and data proxy). */
export function ApiResponsesCreate(): MethodDecorator {
  return applyDecorators(
    ApiBody({ type: ResponsesRequestDto }),
    ApiExtraModels(ResponseObjectDto, ResponseStreamEventDto),
    ApiOkResponse({
      description:
        'The response; with `stream: true` server-sent events (`response.created` … `response.completed`) of ResponseStreamEventDto',
      content: {
        'application/json': { schema: { $ref: getSchemaPath(ResponseObjectDto) } },
        'text/event-stream': { schema: { $ref: getSchemaPath(ResponseStreamEventDto) } },
      },
    }),
    ApiResponse({ status: 401, description: 'Unknown or expired session key' }),
    ApiResponse({ status: 404, description: 'previous_response_id names no response of this session' }),
    ApiResponse({ status: 502, description: 'The engine failed or broke its protocol; nothing was recorded' }),
  );
}

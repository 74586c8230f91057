import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { documentAgentEndpoint, TURN_ERRORS } from '../common/agent-endpoint.js';

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

export class ResponseReasoningTextDto {
  @ApiProperty({ enum: ['reasoning_text'] }) type!: 'reasoning_text';
  @ApiProperty({ example: 'Add the two numbers.' }) text!: string;
}

/** The reasoning (a leading think block) as an output item. */
export class ResponseReasoningItemDto {
  @ApiProperty({ enum: ['reasoning'] }) type!: 'reasoning';
  @ApiProperty({ example: 'rs_3f2a9c' }) id!: string;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'Always empty (no summaries here)' })
  summary!: never[];
  @ApiProperty({ type: [ResponseReasoningTextDto] }) content!: ResponseReasoningTextDto[];
}

export class ResponseOutputTextDto {
  @ApiProperty({ enum: ['output_text'] }) type!: 'output_text';
  @ApiProperty({ example: '28' }) text!: string;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'Always empty' }) annotations!: never[];
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description:
      'With `include: ["message.output_text.logprobs"]`: `{token, bytes, logprob, top_logprobs}` of every output token (the recorded values); else empty',
  })
  logprobs!: readonly object[];
}

/** The assistant's text as an output item. */
export class ResponseMessageItemDto {
  @ApiProperty({ enum: ['message'] }) type!: 'message';
  @ApiProperty({ example: 'msg_3f2a9c' }) id!: string;
  @ApiProperty({ enum: ['in_progress', 'completed'] }) status!: 'in_progress' | 'completed';
  @ApiProperty({ enum: ['assistant'] }) role!: 'assistant';
  @ApiProperty({ type: [ResponseOutputTextDto], description: 'Empty while in progress' })
  content!: ResponseOutputTextDto[];
}

/** A tool call as an output item. */
export class ResponseFunctionCallItemDto {
  @ApiProperty({ enum: ['function_call'] }) type!: 'function_call';
  @ApiProperty({ example: 'fc_3f2a9c_0' }) id!: string;
  @ApiProperty({ example: 'call_3f2a9c0d1e2b3a4c5d6e7f80' }) call_id!: string;
  @ApiProperty({ example: 'get_weather' }) name!: string;
  @ApiProperty({ description: 'JSON text; empty while in progress', example: '{"city": "Paris"}' }) arguments!: string;
  @ApiProperty({ enum: ['in_progress', 'completed'] }) status!: 'in_progress' | 'completed';
}

export type ResponseOutputItemDto = ResponseReasoningItemDto | ResponseMessageItemDto | ResponseFunctionCallItemDto;

/** A `response` object; the request's settings are echoed as the openai SDK's `Response` carries them. */
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
    items: {
      oneOf: [
        { $ref: getSchemaPath(ResponseReasoningItemDto) },
        { $ref: getSchemaPath(ResponseMessageItemDto) },
        { $ref: getSchemaPath(ResponseFunctionCallItemDto) },
      ],
    },
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
  output!: ResponseOutputItemDto[];
  @ApiProperty({ type: ResponsesUsageDto, nullable: true }) usage!: ResponsesUsageDto | null;
  @ApiProperty({ nullable: true, type: String }) previous_response_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) instructions!: string | null;
  @ApiProperty({ description: 'Always false (no background responses here)' }) background!: boolean;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Always null: a failed turn is an HTTP error',
  })
  error!: null;
  @ApiProperty({ nullable: true, type: Number }) max_output_tokens!: number | null;
  @ApiProperty() parallel_tool_calls!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { effort: null, summary: null } })
  reasoning!: { effort: null; summary: null };
  @ApiProperty() store!: boolean;
  @ApiProperty({ nullable: true, type: Number }) temperature!: number | null;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { format: { type: 'text' } } })
  text!: { format: unknown };
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }], example: 'auto' })
  tool_choice!: unknown;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) tools!: unknown[];
  @ApiProperty({ example: 0 }) top_logprobs!: number;
  @ApiProperty({ nullable: true, type: Number }) top_p!: number | null;
  @ApiProperty({ enum: ['disabled'] }) truncation!: 'disabled';
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<string, unknown>;
}

/** One server-sent event of a streamed response (`event:` names its `type`). */
export class ResponseStreamEventDto {
  @ApiProperty({ example: 'response.output_text.delta' }) type!: string;
  @ApiProperty({ example: 3 }) sequence_number!: number;
}

/** The Swagger of a `/v1/responses` operation (gateway and data proxy). */
export function ApiResponsesCreate(): MethodDecorator {
  return documentAgentEndpoint({
    request: ResponsesRequestDto,
    answer: ResponseObjectDto,
    event: ResponseStreamEventDto,
    extraModels: [ResponseReasoningItemDto, ResponseMessageItemDto, ResponseFunctionCallItemDto],
    description:
      'The response; with `stream: true` server-sent events (`response.created` … `response.completed`) of ResponseStreamEventDto',
    errors: [
      TURN_ERRORS.unknownKey,
      { status: 404, description: 'previous_response_id names no response of this session' },
      TURN_ERRORS.engineFailed,
    ],
  });
}

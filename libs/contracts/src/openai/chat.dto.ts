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

/**
 * The OpenAI chat completion shapes the gateway and the data proxy serve. The chat body is parsed
 * by hand on the hot path (the data proxy's chat-request parser, the gateway reads only `model` and
 * `stream`); these classes are what that parser produces and what Swagger shows.
 */
export class ChatMessageDto {
  @ApiProperty({ enum: ['system', 'developer', 'user', 'assistant', 'tool'], example: 'user' }) role!: string;
  @ApiPropertyOptional({
    description: 'Text, or a list of content parts ({"type": "text", "text"})',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', additionalProperties: true } }],
    nullable: true,
    example: 'What is 22 + 6?',
  })
  content?: string | Record<string, unknown>[] | null;
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Assistant tool calls',
  })
  tool_calls?: Record<string, unknown>[];
  @ApiPropertyOptional({ description: 'Tool message: the call it answers' }) tool_call_id?: string;
  @ApiPropertyOptional({ description: 'Reasoning text (reasoning parsers)', nullable: true, type: String })
  reasoning_content?: string | null;
}

export class ChatCompletionRequestDto {
  @ApiProperty({ type: [ChatMessageDto], example: [{ role: 'user', content: 'Hello' }] }) messages!: ChatMessageDto[];
  @ApiPropertyOptional({ description: 'Model name (routing by model; the session key decides otherwise)' })
  model?: string;
  @ApiPropertyOptional({ description: 'Server-sent events, one chunk per token batch', default: false })
  stream?: boolean;
  @ApiPropertyOptional({ minimum: 0 }) max_tokens?: number;
  @ApiPropertyOptional({ minimum: 0 }) max_completion_tokens?: number;
  @ApiPropertyOptional({ minimum: 0, default: 1 }) temperature?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1, default: 1 }) top_p?: number;
  @ApiPropertyOptional() top_k?: number;
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  stop?: string | string[];
  @ApiPropertyOptional({ description: 'Seed for sampling' }) seed?: number;
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'OpenAI function tools',
  })
  tools?: Record<string, unknown>[];
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }] })
  tool_choice?: unknown;
  @ApiPropertyOptional({ description: 'Log-probs in the answer (always recorded for training)' }) logprobs?: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Passed to the chat template' })
  chat_template_kwargs?: Record<string, unknown>;
}

export class ChatCompletionChoiceDto {
  @ApiProperty() index!: number;
  @ApiProperty({ type: ChatMessageDto }) message!: ChatMessageDto;
  @ApiProperty({ enum: ['stop', 'length', 'tool_calls', 'abort'], example: 'stop' }) finish_reason!: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: '`{"content": [{token, logprob}]}`',
  })
  logprobs?: Record<string, unknown> | null;
}

export class CompletionUsageDto {
  @ApiProperty({ example: 12 }) prompt_tokens!: number;
  @ApiProperty({ example: 16 }) completion_tokens!: number;
  @ApiProperty({ example: 28 }) total_tokens!: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: '`{"cached_tokens"}` (prefix cache hits)',
  })
  prompt_tokens_details?: { cached_tokens: number };
}

export class ChatCompletionResponseDto {
  @ApiProperty({ description: 'Also the interaction id that rewards and exports use', example: 'chatcmpl-3f2a' })
  id!: string;
  @ApiProperty({ example: 'chat.completion' }) object!: string;
  @ApiProperty({ description: 'Unix seconds' }) created!: number;
  @ApiProperty() model!: string;
  @ApiProperty({ type: [ChatCompletionChoiceDto] }) choices!: ChatCompletionChoiceDto[];
  @ApiProperty({ type: CompletionUsageDto }) usage!: CompletionUsageDto;
}

/** One `data:` event of a streamed chat completion (`data: [DONE]` ends the stream). */
export class ChatCompletionChunkDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'chat.completion.chunk' }) object!: string;
  @ApiProperty() created!: number;
  @ApiProperty() model!: string;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: '`[{index, delta, finish_reason}]`',
  })
  choices!: Record<string, unknown>[];
  @ApiPropertyOptional({ type: CompletionUsageDto }) usage?: CompletionUsageDto;
}

export class OpenAiModelDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'model' }) object!: string;
  @ApiProperty() created!: number;
  @ApiProperty() owned_by!: string;
  @ApiPropertyOptional({ description: 'The served model path (vLLM, engine-sim)' }) root?: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Base model of a LoRA (vLLM, engine-sim)' })
  parent?: string | null;
  @ApiPropertyOptional({ description: 'Context length (vLLM, engine-sim)' }) max_model_len?: number;
}

export class OpenAiModelListDto {
  @ApiProperty({ example: 'list' }) object!: string;
  @ApiProperty({ type: [OpenAiModelDto] }) data!: OpenAiModelDto[];
}

/**
 * The Swagger of a `/chat/completions` operation (gateway and data proxy): the request, the
 * completion or its server-sent events, and the errors every hop of a turn can answer.
 */
export function ApiChatCompletion(): MethodDecorator {
  return applyDecorators(
    ApiBody({ type: ChatCompletionRequestDto }),
    ApiExtraModels(ChatCompletionResponseDto, ChatCompletionChunkDto),
    ApiOkResponse({
      description:
        'The completion; with `stream: true` server-sent events of ChatCompletionChunkDto, then `data: [DONE]`',
      content: {
        'application/json': { schema: { $ref: getSchemaPath(ChatCompletionResponseDto) } },
        'text/event-stream': { schema: { $ref: getSchemaPath(ChatCompletionChunkDto) } },
      },
    }),
    ApiResponse({ status: 401, description: 'Unknown or expired session key (UNKNOWN_API_KEY)' }),
    ApiResponse({
      status: 502,
      description:
        'The engine (or the data proxy) failed or broke its protocol (ENGINE_PROTOCOL); nothing was recorded',
    }),
    ApiResponse({ status: 504, description: 'No answer within the timeout' }),
  );
}

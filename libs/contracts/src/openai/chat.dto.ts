import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { documentAgentEndpoint } from '../common/agent-endpoint.js';

import { applyRequestSurface } from '../common/field-handling.js';
import { CHAT_SURFACE } from './chat-fields.js';

/**
 * The OpenAI chat completion shapes the gateway and the data proxy serve. The chat body is parsed
 * by hand on the hot path (the data proxy's chat-request parser, the gateway reads only `model` and
 * `stream`); these classes are what that parser accepts and what Swagger shows.
 */
export class ChatMessageDto {
  @ApiProperty({ enum: ['system', 'developer', 'user', 'assistant', 'tool'], example: 'user' }) role!: string;
  @ApiPropertyOptional({
    description: 'Text, or a list of content parts ({"type": "text", "text"}; joined with "\\n")',
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

/**
 * The chat request. Every field of the openai SDK's `ChatCompletionCreateParams`, and the engine
 * extensions served, comes from the chat handling table (`CHAT_SURFACE`): its Swagger property
 * says what happens to it, its class-validator rules are the ones the hot-path parser enforces.
 * Only the structured fields are declared here for their schemas.
 */
export class ChatCompletionRequestDto {
  @ApiProperty({ type: [ChatMessageDto], example: [{ role: 'user', content: 'Hello' }] }) messages!: ChatMessageDto[];
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], nullable: true })
  stop?: string | string[] | null;
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'OpenAI function tools',
  })
  tools?: Record<string, unknown>[];
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }] })
  tool_choice?: unknown;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
  })
  response_format?: Record<string, unknown>;
  model?: string | null;
  stream?: boolean | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  seed?: number | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  chat_template_kwargs?: Record<string, unknown> | null;
}
applyRequestSurface(ChatCompletionRequestDto, CHAT_SURFACE);

export class ChatFunctionCallDto {
  @ApiProperty({ example: 'get_weather' }) name!: string;
  @ApiProperty({ description: 'The arguments, as JSON text', example: '{"city": "Paris"}' }) arguments!: string;
}

export class ChatToolCallDto {
  @ApiProperty({ example: 'call_3f2a9c0d1e2b3a4c5d6e7f80' }) id!: string;
  @ApiProperty({ enum: ['function'], example: 'function' }) type!: 'function';
  @ApiProperty({ type: ChatFunctionCallDto }) function!: ChatFunctionCallDto;
}

/** The assistant message of an answer, every field present as the openai SDK reads it. */
export class ChatCompletionMessageDto {
  @ApiProperty({ enum: ['assistant'], example: 'assistant' }) role!: 'assistant';
  @ApiProperty({ type: String, nullable: true, example: '28' }) content!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Always null: the model never refuses here' })
  refusal!: null;
  @ApiProperty({ type: [ChatToolCallDto], nullable: true, description: 'The calls the tool parser read, or null' })
  tool_calls!: readonly ChatToolCallDto[] | null;
}

export class ChatCompletionChoiceDto {
  @ApiProperty() index!: number;
  @ApiProperty({ type: ChatCompletionMessageDto }) message!: ChatCompletionMessageDto;
  @ApiProperty({ enum: ['stop', 'length', 'tool_calls', 'abort'], example: 'stop' }) finish_reason!: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'With `logprobs: true`: `{"content": [{token, bytes, logprob, top_logprobs}]}`, one entry per generated token (the recorded log-probs)',
  })
  logprobs?: Record<string, unknown> | null;
  @ApiPropertyOptional({
    type: [Number],
    description: 'With `return_token_ids: true`: the generated token ids, as recorded',
  })
  token_ids?: number[];
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
  @ApiProperty({ type: String, nullable: true, description: 'Always null (no service tiers here)' })
  service_tier!: null;
  @ApiProperty({ type: String, nullable: true, description: 'Always null' }) system_fingerprint!: null;
  @ApiPropertyOptional({
    type: [Number],
    description: 'With `return_token_ids: true`: the prompt token ids, as recorded',
  })
  prompt_token_ids?: number[];
}

/** A streamed tool call's function part: its name comes first (with empty arguments), then the whole arguments. */
export class ChatFunctionCallDeltaDto {
  @ApiPropertyOptional({ example: 'get_weather' }) name?: string;
  @ApiProperty({ description: 'The arguments, as JSON text ("" in the part that names the call)' }) arguments!: string;
}

/** One part of a streamed tool call: the first names it (id, type, name), the next, at the same index, carries its arguments. */
export class ChatToolCallDeltaDto {
  @ApiProperty({ example: 0 }) index!: number;
  @ApiPropertyOptional({ example: 'call_3f2a9c0d1e2b3a4c5d6e7f80' }) id?: string;
  @ApiPropertyOptional({ enum: ['function'] }) type?: 'function';
  @ApiProperty({ type: ChatFunctionCallDeltaDto }) function!: ChatFunctionCallDeltaDto;
}

/** What a chunk adds to the message. */
export class ChatChunkDeltaDto {
  @ApiPropertyOptional({ enum: ['assistant'], description: 'The first chunk only' }) role?: 'assistant';
  @ApiPropertyOptional({ example: 'Par' }) content?: string;
  @ApiPropertyOptional({ type: [ChatToolCallDeltaDto] }) tool_calls?: ChatToolCallDeltaDto[];
}

/** One choice of a streamed chunk: what arrived since the last one. */
export class ChatCompletionChunkChoiceDto {
  @ApiProperty({ example: 0 }) index!: number;
  @ApiProperty({
    type: ChatChunkDeltaDto,
    description: '`{role, content}` first, then `{content}`, `{tool_calls: [...]}` or `{}` with the finish reason',
  })
  delta!: ChatChunkDeltaDto;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'With `logprobs: true`: `{"content": [...]}` for this chunk\'s tokens',
  })
  logprobs!: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true, enum: ['stop', 'length', 'tool_calls', 'abort'] })
  finish_reason!: string | null;
  @ApiPropertyOptional({ type: [Number], description: "With `return_token_ids: true`: this chunk's token ids" })
  token_ids?: number[];
}

/** One `data:` event of a streamed chat completion (`data: [DONE]` ends the stream). */
export class ChatCompletionChunkDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'chat.completion.chunk' }) object!: string;
  @ApiProperty() created!: number;
  @ApiProperty() model!: string;
  @ApiProperty({ type: [ChatCompletionChunkChoiceDto] }) choices!: ChatCompletionChunkChoiceDto[];
  @ApiPropertyOptional({ type: CompletionUsageDto }) usage?: CompletionUsageDto;
  @ApiPropertyOptional({
    type: [Number],
    description: 'With `return_token_ids: true`, on the first chunk: the prompt token ids, as recorded',
  })
  prompt_token_ids?: number[];
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
  return documentAgentEndpoint({
    request: ChatCompletionRequestDto,
    answer: ChatCompletionResponseDto,
    event: ChatCompletionChunkDto,
    description:
      'The completion; with `stream: true` server-sent events of ChatCompletionChunkDto, then `data: [DONE]`',
    errors: [
      { status: 401, description: 'Unknown or expired session key (UNKNOWN_API_KEY)' },
      {
        status: 502,
        description:
          'The engine (or the data proxy) failed or broke its protocol (ENGINE_PROTOCOL); nothing was recorded',
      },
      { status: 504, description: 'No answer within the timeout' },
    ],
  });
}

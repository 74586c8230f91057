import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { documentAgentEndpoint, TURN_ERRORS } from '../common/agent-endpoint.js';
import { applyRequestSurface } from '../common/field-handling.js';
import { MESSAGES_SURFACE } from './messages-fields.js';

/**
 * Anthropic's Messages API as the gateway and the data proxy serve it. The body is read by hand
 * on the hot path (the data proxy converts it into its chat request); these classes are what that
 * reader accepts and what Swagger shows.
 */
export class AnthropicMessageDto {
  @ApiProperty({ enum: ['user', 'assistant'], example: 'user' }) role!: string;
  @ApiProperty({
    description: 'Text, or blocks: text, tool_use, tool_result, thinking',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', additionalProperties: true } }],
    example: 'What is 22 + 6?',
  })
  content!: string | Record<string, unknown>[];
}

/** The fields `count_tokens` reads (a Messages request without the generation settings). */
export class CountTokensRequestDto {
  @ApiPropertyOptional({ example: 'qwen3' }) model?: string;
  @ApiProperty({ type: [AnthropicMessageDto] }) messages!: AnthropicMessageDto[];
  @ApiPropertyOptional({
    description: 'A string or text blocks',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', additionalProperties: true } }],
  })
  system?: string | Record<string, unknown>[];
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Client tools `{name, description, input_schema}`',
  })
  tools?: Record<string, unknown>[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: '`{type: "auto" | "any" | "tool" | "none"}`',
  })
  tool_choice?: Record<string, unknown>;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: '`{type: "enabled" | "disabled"}`: thinking on or off in the chat template',
  })
  thinking?: Record<string, unknown>;
}

/**
 * The Messages request. Every field of the Anthropic SDK's `MessageCreateParams` (and the sampling
 * fields older SDKs send) comes from the Messages handling table (`MESSAGES_SURFACE`), which says
 * what happens to it and gives the rules the parser enforces.
 */
export class MessagesRequestDto extends CountTokensRequestDto {
  @ApiProperty({ minimum: 1, description: 'Required, as Anthropic requires it', example: 256 }) max_tokens!: number;
  stop_sequences?: string[] | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  stream?: boolean | null;
  metadata?: Record<string, unknown> | null;
}
applyRequestSurface(MessagesRequestDto, MESSAGES_SURFACE);

export class MessagesUsageDto {
  @ApiProperty({ example: 14 }) input_tokens!: number;
  @ApiProperty({ example: 9 }) output_tokens!: number;
  @ApiProperty({ example: 0 }) cache_creation_input_tokens!: number;
  @ApiProperty({ description: 'Prompt tokens served from the engine’s prefix cache', example: 0 })
  cache_read_input_tokens!: number;
}

/** One block of an answer's content: `thinking` (a leading think block), `text`, or `tool_use`. */
export class MessageContentBlockDto {
  @ApiProperty({ enum: ['thinking', 'text', 'tool_use'], example: 'text' }) type!: 'thinking' | 'text' | 'tool_use';
  @ApiPropertyOptional({ description: 'A thinking block: the reasoning text' }) thinking?: string;
  @ApiPropertyOptional({ description: 'A thinking block: always empty (nothing here signs reasoning)' })
  signature?: string;
  @ApiPropertyOptional({ description: 'A text block: the text', example: '28' }) text?: string;
  @ApiPropertyOptional({ description: 'A tool_use block: the call id', example: 'toolu_3f2a9c' }) id?: string;
  @ApiPropertyOptional({ description: 'A tool_use block: the tool', example: 'calculator' }) name?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "A tool_use block: the call's arguments (`{}` when the model wrote no JSON object)",
  })
  input?: Record<string, unknown>;
}

/** A `message` object. */
export class MessageObjectDto {
  @ApiProperty({ description: 'Also the interaction id rewards and exports use', example: 'msg_3f2a9c' }) id!: string;
  @ApiProperty({ example: 'message' }) type!: string;
  @ApiProperty({ example: 'assistant' }) role!: string;
  @ApiProperty({ example: 'qwen3' }) model!: string;
  @ApiProperty({
    type: [MessageContentBlockDto],
    description: 'Blocks: thinking, text, tool_use',
    example: [{ type: 'text', text: '28' }],
  })
  content!: MessageContentBlockDto[];
  @ApiProperty({ enum: ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use'], nullable: true })
  stop_reason!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) stop_sequence!: string | null;
  @ApiProperty({ type: MessagesUsageDto }) usage!: MessagesUsageDto;
}

/** One server-sent event of a streamed message (`event:` names its `type`). */
export class MessageStreamEventDto {
  @ApiProperty({
    enum: [
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
      'ping',
      'error',
    ],
  })
  type!: string;
}

export class CountTokensResponseDto {
  @ApiProperty({ example: 14 }) input_tokens!: number;
}

/** The Swagger of a `/v1/messages` operation (gateway and data proxy). */
export function ApiMessagesCreate(): MethodDecorator {
  return documentAgentEndpoint({
    request: MessagesRequestDto,
    answer: MessageObjectDto,
    event: MessageStreamEventDto,
    description: 'The message; with `stream: true` Anthropic’s server-sent events (MessageStreamEventDto)',
    errors: [
      { status: 401, description: 'Unknown or expired session key (bearer token or x-api-key)' },
      TURN_ERRORS.engineFailed,
    ],
  });
}

/** The Swagger of a `/v1/messages/count_tokens` operation (gateway and data proxy). */
export function ApiCountTokens(): MethodDecorator {
  return applyDecorators(ApiBody({ type: CountTokensRequestDto }), ApiOkResponse({ type: CountTokensResponseDto }));
}

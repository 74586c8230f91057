import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SglangErrorResponseDto } from './errors.dto.js';
import { sglangErrorBody, sglangStreamErrorEvent, SglangValueErrorResponseDto } from '../data-proxy/generate.dto.js';

/**
 * The agent APIs answer errors in their own SDK's shape, so the official clients raise their
 * typed errors with our message: OpenAI's `{"error": {message, type, param, code}}` on the
 * Responses, completions and chat paths, Anthropic's `{"type": "error", "error": {type,
 * message}}` on the Messages paths. Chat (`chat`) adds the reference's `detail` and our `code`
 * beside OpenAI's `error`, because AReaL's tooling and our own clients read those. SGLang's
 * `/generate` answers in SGLang's shape, so a trainer written against SGLang reads our refusals.
 */
export type ApiDialect = 'chat' | 'openai' | 'anthropic' | 'sglang';

export function apiDialectOf(path: string): ApiDialect | null {
  if (path === '/generate') return 'sglang';
  if (path === '/v1/chat/completions' || path === '/chat/completions') return 'chat';
  if (path === '/v1/messages' || path === '/v1/messages/count_tokens') return 'anthropic';
  if (path === '/v1/responses' || path === '/responses' || path === '/v1/completions' || path === '/completions')
    return 'openai';
  return null;
}

export class OpenAiErrorDetailDto {
  @ApiProperty({ example: 'max_output_tokens must be >= 1, got 0' }) message!: string;
  @ApiProperty({ example: 'invalid_request_error' }) type!: string;
  @ApiProperty({ nullable: true, type: String }) param!: string | null;
  @ApiProperty({ description: 'Stable machine-readable code', example: 'BAD_REQUEST' }) code!: string;
}

/** OpenAI's error body (Responses and completions paths). */
export class OpenAiErrorResponseDto {
  @ApiProperty({ type: OpenAiErrorDetailDto }) error!: OpenAiErrorDetailDto;
}

/** The chat paths' error body: OpenAI's, plus the reference's `detail` and our `code` (what AReaL's tooling reads). */
export class ChatErrorResponseDto extends OpenAiErrorResponseDto {
  @ApiProperty({ description: 'The message again, where the reference put it', example: 'messages cannot be empty' })
  detail!: string;
  @ApiProperty({ description: 'Stable machine-readable code', example: 'BAD_REQUEST' }) code!: string;
}

export class AnthropicErrorDetailDto {
  @ApiProperty({ example: 'invalid_request_error' }) type!: string;
  @ApiProperty({ example: 'max_tokens is required' }) message!: string;
}

/** Anthropic's error body (Messages paths). */
export class AnthropicErrorResponseDto {
  @ApiProperty({ example: 'error' }) type!: string;
  @ApiProperty({ type: AnthropicErrorDetailDto }) error!: AnthropicErrorDetailDto;
  @ApiPropertyOptional({ description: 'Stable machine-readable code (ours)', example: 'BAD_REQUEST' }) code?: string;
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  503: 'overloaded_error',
};

function openAiErrorType(status: number): string {
  return status >= 500 ? 'server_error' : status === 401 ? 'authentication_error' : 'invalid_request_error';
}

/** The error body of `dialect` for a status, message, our stable code and the field at fault. */
export function dialectErrorBody(
  dialect: ApiDialect,
  status: number,
  message: string,
  code: string,
  param: string | null = null,
): Record<string, unknown> {
  if (dialect === 'sglang') return sglangErrorBody(status, message);
  if (dialect === 'anthropic') {
    const type = ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    return { type: 'error', error: { type, message }, code };
  }
  const error = { message, type: openAiErrorType(status), param, code };
  return dialect === 'chat' ? { error, detail: message, code } : { error };
}

/** The DTO documenting `dialect`'s error body for `status`. */
export function dialectErrorDto(
  dialect: ApiDialect,
  status: number,
):
  | typeof OpenAiErrorResponseDto
  | typeof ChatErrorResponseDto
  | typeof AnthropicErrorResponseDto
  | typeof SglangValueErrorResponseDto
  | typeof SglangErrorResponseDto {
  if (dialect === 'sglang') return status >= 500 ? SglangErrorResponseDto : SglangValueErrorResponseDto;
  return dialect === 'anthropic'
    ? AnthropicErrorResponseDto
    : dialect === 'chat'
      ? ChatErrorResponseDto
      : OpenAiErrorResponseDto;
}

/** Every DTO `dialectErrorDto` answers: the error bodies an app serving the agent APIs documents. */
export const DIALECT_ERROR_BODIES = [
  OpenAiErrorResponseDto,
  ChatErrorResponseDto,
  AnthropicErrorResponseDto,
  SglangValueErrorResponseDto,
  SglangErrorResponseDto,
] as const;

/** How a stream reports an error after it began: chat and completions, Responses, Messages, or SGLang's `/generate`. */
export type StreamDialect = 'chat' | 'responses' | 'anthropic' | 'sglang';

export function streamDialectOf(path: string): StreamDialect {
  if (path === '/generate') return 'sglang';
  if (path === '/v1/messages') return 'anthropic';
  if (path === '/v1/responses' || path === '/responses') return 'responses';
  return 'chat';
}

/**
 * The error event a stream ends with once it has begun (the status line is gone by then): chat's
 * and completions' `data: {"error": …}`, the Responses `error` event, Anthropic's `error` event.
 * `event` is the SSE event name, for the APIs that name their events.
 */
export function streamErrorEvent(
  dialect: StreamDialect,
  status: number,
  message: string,
  code: string,
): { event: string | null; data: Record<string, unknown> } {
  if (dialect === 'anthropic') return { event: 'error', data: dialectErrorBody('anthropic', status, message, code) };
  if (dialect === 'responses') return { event: 'error', data: { type: 'error', code, message, param: null } };
  if (dialect === 'sglang') return { event: null, data: sglangStreamErrorEvent(status, message) };
  return { event: null, data: { error: { message, type: openAiErrorType(status), param: null, code } } };
}

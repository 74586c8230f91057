import type { MessageContentBlockDto, MessageObjectDto, MessagesUsageDto } from '@app/contracts';
import type { TurnResult } from '../chat/turn.js';
import type { CompletionMeta, Usage } from '../chat/turn.js';
import { splitLeadingThink } from '../chat/leading-think.js';
import type { ToolCall } from '../chat/output-parser.js';

/** Anthropic's stop reasons for a finished turn. */
export function stopReason(result: TurnResult): Pick<MessageObjectDto, 'stop_reason' | 'stop_sequence'> {
  if (result.finishReason === 'tool_calls') return { stop_reason: 'tool_use', stop_sequence: null };
  if (result.finishReason === 'length') return { stop_reason: 'max_tokens', stop_sequence: null };
  if (result.matchedStop !== null) return { stop_reason: 'stop_sequence', stop_sequence: result.matchedStop };
  return { stop_reason: 'end_turn', stop_sequence: null };
}

/** A tool call's arguments as the `input` object (`{}` when the model wrote something that is not a JSON object). */
export function toolInput(call: ToolCall): Record<string, unknown> {
  try {
    const input = JSON.parse(call.function.arguments) as unknown;
    return typeof input === 'object' && input !== null && !Array.isArray(input)
      ? (input as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Usage the Anthropic way: prefix-cache hits are `cache_read_input_tokens`, not part of `input_tokens`. */
export function messagesUsage(promptTokens: number, usage: Usage | null): MessagesUsageDto {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: promptTokens - cached,
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  } satisfies MessagesUsageDto;
}

/** The `message` object; `result` null for the one `message_start` carries. */
export function messageObject(
  meta: CompletionMeta,
  promptTokens: number,
  result: TurnResult | null,
  content: MessageContentBlockDto[],
): MessageObjectDto {
  return {
    id: meta.id,
    type: 'message',
    role: 'assistant',
    model: meta.model,
    content,
    ...(result ? stopReason(result) : { stop_reason: null, stop_sequence: null }),
    usage: messagesUsage(promptTokens, result?.usage ?? null),
  } satisfies MessageObjectDto;
}

/**
 * The answer's content blocks: `thinking` (a leading think block), `text` (omitted when a tool call
 * comes without text), `tool_use`. Sent back as the next request's assistant message, they convert
 * to the recorded assistant message.
 */
export function contentBlocks(result: TurnResult): MessageContentBlockDto[] {
  const { reasoning, text } = splitLeadingThink(result.content);
  const blocks: MessageContentBlockDto[] = [];
  if (reasoning !== null) blocks.push({ type: 'thinking', thinking: reasoning, signature: '' });
  if (text.length > 0 || result.toolCalls.length === 0) blocks.push({ type: 'text', text });
  for (const call of result.toolCalls)
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call) });
  return blocks;
}

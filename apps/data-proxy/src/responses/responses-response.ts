import type { TurnResult } from '../chat/turn.js';
import type { CompletionMeta, Usage } from '../chat/turn.js';
import { splitLeadingThink } from '../chat/leading-think.js';
import type { ToolCall } from '../chat/output-parser.js';
import type { ResponseEcho } from './responses-request.js';

/** Ids of the output items, derived from the response id (nothing random per item). */
export function itemIds(meta: CompletionMeta): { reasoning: string; message: string; call: (index: number) => string } {
  const suffix = meta.id.slice('resp_'.length);
  return { reasoning: `rs_${suffix}`, message: `msg_${suffix}`, call: (index) => `fc_${suffix}_${index}` };
}

export function reasoningItem(id: string, text: string): Record<string, unknown> {
  return { type: 'reasoning', id, summary: [], content: [{ type: 'reasoning_text', text }] };
}

export function outputTextPart(text: string): Record<string, unknown> {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function messageItem(id: string, text: string, status: 'in_progress' | 'completed'): Record<string, unknown> {
  return {
    type: 'message',
    id,
    status,
    role: 'assistant',
    content: status === 'completed' ? [outputTextPart(text)] : [],
  };
}

export function functionCallItem(
  id: string,
  call: ToolCall,
  status: 'in_progress' | 'completed',
): Record<string, unknown> {
  return {
    type: 'function_call',
    id,
    call_id: call.id,
    name: call.function.name,
    arguments: status === 'completed' ? call.function.arguments : '',
    status,
  };
}

/**
 * The answer's output items: the reasoning (a leading think block), the message (omitted when a
 * tool call comes without text), the function calls. Converted back by `inputMessages`, they are
 * the recorded assistant message.
 */
export function outputItems(meta: CompletionMeta, result: TurnResult): Record<string, unknown>[] {
  const ids = itemIds(meta);
  const { reasoning, text } = splitLeadingThink(result.content);
  const items: Record<string, unknown>[] = [];
  if (reasoning !== null) items.push(reasoningItem(ids.reasoning, reasoning));
  if (text.length > 0 || result.toolCalls.length === 0) items.push(messageItem(ids.message, text, 'completed'));
  result.toolCalls.forEach((call, i) => items.push(functionCallItem(ids.call(i), call, 'completed')));
  return items;
}

export function responsesUsage(usage: Usage): Record<string, unknown> {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.total_tokens,
  };
}

/** An OpenAI `response` object; `result` null while it is still being generated (streaming). */
export function responseObject(
  meta: CompletionMeta,
  echo: ResponseEcho,
  result: TurnResult | null,
  output: Record<string, unknown>[],
): Record<string, unknown> {
  const incomplete = result?.finishReason === 'length';
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.created,
    status: result === null ? 'in_progress' : incomplete ? 'incomplete' : 'completed',
    background: false,
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    model: meta.model,
    output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: echo.previous_response_id,
    reasoning: { effort: null, summary: null },
    store: echo.store,
    temperature: echo.temperature,
    text: { format: { type: 'text' } },
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    truncation: 'disabled',
    usage: result === null ? null : responsesUsage(result.usage),
    metadata: echo.metadata,
  };
}

import type {
  ResponseFunctionCallItemDto,
  ResponseMessageItemDto,
  ResponseObjectDto,
  ResponseOutputItemDto,
  ResponseOutputTextDto,
  ResponseReasoningItemDto,
  ResponsesUsageDto,
} from '@app/contracts';
import type { TurnResult } from '../chat/turn.js';
import type { CompletionMeta, Usage } from '../chat/turn.js';
import { splitLeadingThink } from '../chat/leading-think.js';
import type { ToolCall } from '../chat/output-parser.js';
import type { TokenLogprob } from '../chat/token-logprobs.js';
import type { Interaction } from '../sessions/interaction.js';
import type { ResponseEcho } from './responses-request.js';

/** Ids of the output items, derived from the response id (nothing random per item). */
export function itemIds(meta: CompletionMeta): { reasoning: string; message: string; call: (index: number) => string } {
  const suffix = meta.id.slice('resp_'.length);
  return { reasoning: `rs_${suffix}`, message: `msg_${suffix}`, call: (index) => `fc_${suffix}_${index}` };
}

export function reasoningItem(id: string, text: string): ResponseReasoningItemDto {
  return {
    type: 'reasoning',
    id,
    summary: [],
    content: [{ type: 'reasoning_text', text }],
  } satisfies ResponseReasoningItemDto;
}

export function outputTextPart(text: string, logprobs: readonly TokenLogprob[] = []): ResponseOutputTextDto {
  return { type: 'output_text', text, annotations: [], logprobs } satisfies ResponseOutputTextDto;
}

export function messageItem(
  id: string,
  text: string,
  status: 'in_progress' | 'completed',
  logprobs: readonly TokenLogprob[] = [],
): ResponseMessageItemDto {
  return {
    type: 'message',
    id,
    status,
    role: 'assistant',
    content: status === 'completed' ? [outputTextPart(text, logprobs)] : [],
  } satisfies ResponseMessageItemDto;
}

export function functionCallItem(
  id: string,
  call: ToolCall,
  status: 'in_progress' | 'completed',
): ResponseFunctionCallItemDto {
  return {
    type: 'function_call',
    id,
    call_id: call.id,
    name: call.function.name,
    arguments: status === 'completed' ? call.function.arguments : '',
    status,
  } satisfies ResponseFunctionCallItemDto;
}

/**
 * The answer's output items: the reasoning (a leading think block), the message (omitted when a
 * tool call comes without text), the function calls. Converted back by `inputMessages`, they are
 * the recorded assistant message. With `include: ["message.output_text.logprobs"]` the message's
 * text part carries the log-probs of every output token of the turn (the recorded values).
 */
export function outputItems(
  meta: CompletionMeta,
  result: Pick<TurnResult, 'content' | 'toolCalls' | 'tokenLogprobs'>,
): ResponseOutputItemDto[] {
  const ids = itemIds(meta);
  const { reasoning, text } = splitLeadingThink(result.content);
  const items: ResponseOutputItemDto[] = [];
  if (reasoning !== null) items.push(reasoningItem(ids.reasoning, reasoning));
  if (text.length > 0 || result.toolCalls.length === 0)
    items.push(messageItem(ids.message, text, 'completed', result.tokenLogprobs ?? []));
  result.toolCalls.forEach((call, i) => items.push(functionCallItem(ids.call(i), call, 'completed')));
  return items;
}

/**
 * The output item `itemId` of a recorded response, as it was answered (what an `item_reference`
 * stands for), or undefined when the response has no such item.
 */
export function recordedOutputItem(interaction: Interaction, itemId: string): ResponseOutputItemDto | undefined {
  const answer = interaction.outputMessages[0];
  if (!answer) return undefined;
  const toolCalls = (Array.isArray(answer.tool_calls) ? answer.tool_calls : []) as ToolCall[];
  const items = outputItems(
    { id: interaction.id, created: 0, model: '' },
    { content: typeof answer.content === 'string' ? answer.content : '', toolCalls, tokenLogprobs: null },
  );
  return items.find((item) => item.id === itemId);
}

/** The response id an output item id belongs to (`msg_X`, `rs_X`, `fc_X_i` → `resp_X`), or null. */
export function responseIdOfItem(itemId: string): string | null {
  const match = /^(?:msg|rs)_([0-9a-f]+)$|^fc_([0-9a-f]+)_\d+$/.exec(itemId);
  if (!match) return null;
  return `resp_${match[1] ?? match[2]}`;
}

export function responsesUsage(usage: Usage): ResponsesUsageDto {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.total_tokens,
  } satisfies ResponsesUsageDto;
}

/** An OpenAI `response` object; `result` null while it is still being generated (streaming). */
export function responseObject(
  meta: CompletionMeta,
  echo: ResponseEcho,
  result: TurnResult | null,
  output: ResponseOutputItemDto[],
): ResponseObjectDto {
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
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_logprobs: echo.top_logprobs,
    top_p: echo.top_p,
    truncation: 'disabled',
    usage: result === null ? null : responsesUsage(result.usage),
    metadata: echo.metadata,
  } satisfies ResponseObjectDto;
}

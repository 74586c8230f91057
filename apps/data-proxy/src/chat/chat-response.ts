import type { ToolCall } from './output-parser.js';
import type { CompletionMeta, TurnResult, Usage } from './turn.js';

/** The assistant message as recorded (null fields omitted). */
export function outputMessage(content: string, toolCalls: readonly ToolCall[]): Record<string, unknown> {
  const message: Record<string, unknown> = { content, role: 'assistant' };
  if (toolCalls.length > 0)
    message.tool_calls = toolCalls.map((c) => ({
      id: c.id,
      function: { arguments: c.function.arguments, name: c.function.name },
      type: c.type,
    }));
  return message;
}

/** An OpenAI `chat.completion`. */
export function chatCompletion(meta: CompletionMeta, result: TurnResult): Record<string, unknown> {
  const { content, toolCalls } = result;
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        finish_reason: result.finishReason,
        logprobs: null,
        message: { role: 'assistant', content, refusal: null, tool_calls: toolCalls.length > 0 ? toolCalls : null },
      },
    ],
    service_tier: null,
    system_fingerprint: null,
    usage: result.usage,
  };
}

/** One `chat.completion.chunk` SSE payload. */
export function chatChunk(
  meta: CompletionMeta,
  delta: Record<string, unknown>,
  finishReason: string | null,
  usage?: Usage,
): Record<string, unknown> {
  const chunk: Record<string, unknown> = {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  if (usage) chunk.usage = usage;
  return chunk;
}

/**
 * One streamed tool call as two chunks, the way OpenAI and AReaL 2.0 stream them: id, type and
 * name with empty arguments, then the same index with the whole arguments string.
 */
export function toolCallDeltas(call: ToolCall, index: number): Record<string, unknown>[] {
  return [
    { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] },
    { tool_calls: [{ index, function: { arguments: call.function.arguments } }] },
  ];
}

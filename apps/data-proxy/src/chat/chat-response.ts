import type {
  ChatChunkDeltaDto,
  ChatCompletionChoiceDto,
  ChatCompletionChunkChoiceDto,
  ChatCompletionChunkDto,
  ChatCompletionResponseDto,
  ChatMessageDto,
  ChatToolCallDto,
} from '@app/contracts';
import type { ToolCall } from './output-parser.js';
import type { CompletionMeta, TurnResult, Usage } from './turn.js';
import type { TokenLogprob } from './token-logprobs.js';

/** The assistant message as recorded (null fields omitted). */
export function outputMessage(content: string, toolCalls: readonly ToolCall[]): Record<string, unknown> {
  const message: Record<string, unknown> = { content, role: 'assistant' } satisfies ChatMessageDto;
  if (toolCalls.length > 0)
    message.tool_calls = toolCalls.map(
      (c) =>
        ({
          id: c.id,
          function: { arguments: c.function.arguments, name: c.function.name },
          type: c.type,
        }) satisfies ChatToolCallDto,
    );
  return message;
}

/** What a chat answer carries beyond the message, as the request asked. */
export interface ChatAnswerOptions {
  /** vLLM's `return_token_ids`: `prompt_token_ids` and `choices[].token_ids`, the recorded ids. */
  returnTokenIds: boolean;
}

/** An OpenAI `chat.completion` (with `logprobs` and token ids when the request asked for them). */
export function chatCompletion(
  meta: CompletionMeta,
  result: TurnResult,
  options: ChatAnswerOptions = { returnTokenIds: false },
): ChatCompletionResponseDto {
  const { content, toolCalls } = result;
  const choice: ChatCompletionChoiceDto = {
    index: 0,
    finish_reason: result.finishReason,
    logprobs: result.tokenLogprobs ? { content: result.tokenLogprobs, refusal: null } : null,
    message: { role: 'assistant', content, refusal: null, tool_calls: toolCalls.length > 0 ? toolCalls : null },
  };
  if (options.returnTokenIds) choice.token_ids = [...result.outputIds];
  const completion: ChatCompletionResponseDto = {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [choice],
    service_tier: null,
    system_fingerprint: null,
    usage: result.usage,
  };
  if (options.returnTokenIds) completion.prompt_token_ids = [...result.promptIds];
  return completion;
}

/** Token data a chunk carries: the log-probs and ids of the tokens that arrived since the last chunk. */
export interface ChunkTokens {
  logprobs: TokenLogprob[] | null;
  ids: number[] | null;
}

/** One `chat.completion.chunk` SSE payload. */
export function chatChunk(
  meta: CompletionMeta,
  delta: ChatChunkDeltaDto,
  finishReason: string | null,
  usage?: Usage,
  tokens?: ChunkTokens,
): ChatCompletionChunkDto {
  const choice: ChatCompletionChunkChoiceDto = {
    index: 0,
    delta,
    logprobs: tokens?.logprobs ? { content: tokens.logprobs, refusal: null } : null,
    finish_reason: finishReason,
  };
  if (tokens?.ids) choice.token_ids = tokens.ids;
  const chunk: ChatCompletionChunkDto = {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [choice],
  };
  if (usage) chunk.usage = usage;
  return chunk;
}

/**
 * One streamed tool call as two chunks, the way OpenAI and AReaL 2.0 stream them: id, type and
 * name with empty arguments, then the same index with the whole arguments string.
 */
export function toolCallDeltas(call: ToolCall, index: number): ChatChunkDeltaDto[] {
  return [
    { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] },
    { tool_calls: [{ index, function: { arguments: call.function.arguments } }] },
  ];
}

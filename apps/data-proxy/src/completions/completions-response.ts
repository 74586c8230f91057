import type { HfTokenizer } from '@app/tokenizer';
import type { TurnResult } from '../chat/turn.js';
import type { CompletionMeta } from '../chat/turn.js';

/** One `text_completion` choice's `logprobs` (OpenAI's legacy shape; no alternatives are kept). */
export function completionLogprobs(tokenizer: HfTokenizer, result: TurnResult): Record<string, unknown> {
  const tokens = result.outputIds.map((id) => tokenizer.decode([id], false));
  const textOffset: number[] = [];
  let offset = 0;
  for (const token of tokens) {
    textOffset.push(offset);
    offset += token.length;
  }
  return { tokens, token_logprobs: [...result.outputLogprobs], top_logprobs: null, text_offset: textOffset };
}

/** An OpenAI `text_completion` (non-streaming), or one streamed chunk of it. */
export function textCompletion(
  meta: CompletionMeta,
  text: string,
  finishReason: string | null,
  logprobs: Record<string, unknown> | null,
  usage?: TurnResult['usage'],
): Record<string, unknown> {
  const completion: Record<string, unknown> = {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text, logprobs, finish_reason: finishReason }],
  };
  if (usage) completion.usage = usage;
  return completion;
}

import type { TextCompletionChoiceDto, TextCompletionLogprobsDto, TextCompletionResponseDto } from '@app/contracts';
import type { CompletionMeta, TurnResult } from '../chat/turn.js';
import type { TokenLogprob } from '../chat/token-logprobs.js';

/**
 * One `text_completion` choice's `logprobs` (OpenAI's legacy shape) for these tokens: each token,
 * its recorded log-prob, its `k` alternatives as `{token: logprob}` (null when none were asked),
 * and where each token starts in the text (`offset` = the text before them).
 */
export function completionLogprobs(entries: readonly TokenLogprob[], k: number, offset = 0): TextCompletionLogprobsDto {
  const textOffset: number[] = [];
  let at = offset;
  for (const entry of entries) {
    textOffset.push(at);
    at += entry.token.length;
  }
  return {
    tokens: entries.map((e) => e.token),
    token_logprobs: entries.map((e) => e.logprob),
    top_logprobs:
      k > 0 ? entries.map((e) => Object.fromEntries(e.top_logprobs.map((t) => [t.token, t.logprob]))) : null,
    text_offset: textOffset,
  } satisfies TextCompletionLogprobsDto;
}

/** What a completion carries beyond the text, as the request asked. */
export interface CompletionAnswerOptions {
  logprobs: number | null;
  returnTokenIds: boolean;
}

/** An OpenAI `text_completion` (non-streaming). */
export function textCompletion(
  meta: CompletionMeta,
  result: TurnResult,
  options: CompletionAnswerOptions,
): TextCompletionResponseDto {
  const choice: TextCompletionChoiceDto = {
    index: 0,
    text: result.content,
    logprobs:
      options.logprobs !== null && result.tokenLogprobs
        ? completionLogprobs(result.tokenLogprobs, options.logprobs)
        : null,
    finish_reason: result.finishReason,
  };
  if (options.returnTokenIds) {
    choice.prompt_token_ids = [...result.promptIds];
    choice.token_ids = [...result.outputIds];
  }
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [choice],
    usage: result.usage,
  } satisfies TextCompletionResponseDto;
}

/** One streamed `text_completion` chunk. */
export function completionChunk(
  meta: CompletionMeta,
  text: string,
  finishReason: string | null,
  extra: Pick<TextCompletionChoiceDto, 'logprobs' | 'prompt_token_ids' | 'token_ids'> = {},
): TextCompletionResponseDto {
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason, ...extra }],
  } satisfies TextCompletionResponseDto;
}

import type { HfTokenizer } from '@app/tokenizer';
import type { TopLogprob } from '../inference/engine-backend.js';

/** One alternative at an output position, as OpenAI writes it. */
export interface TokenAlternative {
  token: string;
  bytes: number[];
  logprob: number;
}

/** One output token with its log-prob and alternatives (OpenAI's `ChatCompletionTokenLogprob`). */
export interface TokenLogprob extends TokenAlternative {
  top_logprobs: TokenAlternative[];
}

function alternative(tokenizer: HfTokenizer, id: number, logprob: number): TokenAlternative {
  const bytes = tokenizer.tokenBytes(id);
  // The recorded value (training data is float32), so that the answer and the export agree exactly.
  return { token: bytes.toString('utf8'), bytes: [...bytes], logprob: Math.fround(logprob) };
}

/**
 * The answer's log-probs of output tokens `ids` (every generated token, the end-of-turn token
 * included: exactly what is recorded), each with up to `k` alternatives from the engine.
 */
export function tokenLogprobs(
  tokenizer: HfTokenizer,
  ids: readonly number[],
  logprobs: readonly number[],
  top: readonly (readonly TopLogprob[])[] | null,
  k: number,
): TokenLogprob[] {
  const out: TokenLogprob[] = new Array<TokenLogprob>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const entry = alternative(tokenizer, ids[i], logprobs[i]) as TokenLogprob;
    const alternatives = k > 0 ? top?.[i] : undefined;
    entry.top_logprobs = alternatives
      ? alternatives.slice(0, k).map((a) => alternative(tokenizer, a.id, a.logprob))
      : [];
    out[i] = entry;
  }
  return out;
}

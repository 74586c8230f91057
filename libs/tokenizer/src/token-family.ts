import type { HfTokenizer } from './hf-tokenizer.js';
import type { ModelFolder } from './model-folder.js';

/**
 * The chat-token family a vocabulary belongs to, told by its special tokens: which markers frame a
 * turn and which ids end a generation.
 *
 * - `chatml`: `<|im_start|>` / `<|im_end|>` (Qwen, and others that adopted ChatML);
 * - `llama3`: `<|start_header_id|>` / `<|eot_id|>` (Llama 3.x; 3.1+ adds `<|eom_id|>`, `<|python_tag|>`);
 * - `deepseek`: `<｜User｜>` / `<｜Assistant｜>` / `<｜end▁of▁sentence｜>` (DeepSeek V3, R1, V3.1);
 * - `harmony`: `<|start|>` / `<|channel|>` / `<|message|>` / `<|end|>` (gpt-oss);
 * - `other`: none of these (the template alone knows the format).
 */
export type TokenFamily = 'chatml' | 'llama3' | 'deepseek' | 'harmony' | 'other';

export function tokenFamilyOf(tokenizer: HfTokenizer): TokenFamily {
  const has = (token: string): boolean => tokenizer.tokenToId(token) !== null;
  if (has('<|channel|>') && has('<|message|>') && has('<|start|>') && has('<|end|>')) return 'harmony';
  if (has('<|start_header_id|>') && has('<|eot_id|>')) return 'llama3';
  if (has('<｜Assistant｜>') && has('<｜end▁of▁sentence｜>')) return 'deepseek';
  if (has('<|im_start|>') && has('<|im_end|>')) return 'chatml';
  return 'other';
}

/** Ids a family's templates and engines also stop on, beyond the tokenizer's EOS. */
const FAMILY_STOPS: Record<TokenFamily, readonly string[]> = {
  chatml: [],
  // Llama 3.1 ends a tool call with <|eom_id|> when the system prompt enables the ipython environment.
  llama3: ['<|eot_id|>', '<|eom_id|>'],
  deepseek: [],
  // gpt-oss stops with <|return|> after a final answer and <|call|> after a tool call.
  harmony: ['<|return|>', '<|call|>'],
  other: [],
};

/**
 * The ids that end a generation, in order: the tokenizer's EOS and pad (the reference's
 * stop_token_ids), then `generation_config.json`'s `eos_token_id`s, then the family's own (for
 * folders without a generation config, such as the npm tokenizer packages).
 */
export function endOfGenerationIds(tokenizer: HfTokenizer, folder: Pick<ModelFolder, 'generationEosIds'>): number[] {
  const ids = [tokenizer.eosTokenId, tokenizer.padTokenId, ...folder.generationEosIds];
  for (const token of FAMILY_STOPS[tokenFamilyOf(tokenizer)]) ids.push(tokenizer.tokenToId(token));
  return [...new Set(ids.filter((id): id is number => id !== null && tokenizer.isValidId(id)))];
}

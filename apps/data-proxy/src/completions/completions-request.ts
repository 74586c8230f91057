import { isJsonObject } from '@app/common';
import { COMPLETIONS_SURFACE } from '@app/contracts';
import { parseChatRequest, type ChatRequest, type RawPrompt } from '../chat/chat-request.js';
import { badRequest, checkRequestFields } from '../chat/request-surface.js';

/** OpenAI's default `max_tokens` for the legacy completions API. */
const DEFAULT_MAX_TOKENS = 16;

/** A validated `/v1/completions` request: the internal request and what the answer carries. */
export interface CompletionsRequest {
  chat: ChatRequest;
  /** `logprobs: k` asked for: each token's recorded log-prob and k alternatives (null: none in the answer). */
  logprobs: number | null;
}

/**
 * Converts a legacy completions request into the chat pipeline's request with a raw prompt: text
 * (tokenized as it is, never templated) or token ids (used as they are). Every field is checked
 * against the completions handling table first (`n`, `echo`, `suffix`, `best_of`, `logit_bias`
 * have no equivalent in recorded training turns and are refused).
 */
export function parseCompletionsRequest(body: unknown, vocabSize: number): CompletionsRequest {
  if (!isJsonObject(body)) throw badRequest('The request body must be a JSON object');
  checkRequestFields(body, COMPLETIONS_SURFACE);
  const logprobs = (body.logprobs as number | null | undefined) ?? null;
  const chat = parseChatRequest({
    model: body.model,
    // The chat parser needs a message; the raw prompt replaces the template below.
    messages: PLACEHOLDER_MESSAGES,
    max_tokens: body.max_tokens === undefined ? DEFAULT_MAX_TOKENS : body.max_tokens,
    stop: body.stop,
    temperature: body.temperature,
    top_p: body.top_p,
    top_k: body.top_k,
    min_p: body.min_p,
    repetition_penalty: body.repetition_penalty,
    frequency_penalty: body.frequency_penalty,
    presence_penalty: body.presence_penalty,
    seed: body.seed,
    stream: body.stream,
    stream_options: body.stream_options,
    store: body.store,
    ignore_eos: body.ignore_eos,
    skip_special_tokens: body.skip_special_tokens,
    return_token_ids: body.return_token_ids,
    logprobs: logprobs !== null,
    top_logprobs: logprobs,
  });
  return {
    chat: { ...chat, messages: [], rawPrompt: rawPrompt(body.prompt, vocabSize) },
    logprobs,
  };
}

const PLACEHOLDER_MESSAGES = [{ role: 'user', content: '' }];

function rawPrompt(prompt: unknown, vocabSize: number): RawPrompt {
  // A batch of one prompt is that prompt; a real batch is one request per prompt.
  const single =
    Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === 'string' || Array.isArray(prompt[0]));
  const value: unknown = single ? (prompt as unknown[])[0] : prompt;
  if (typeof value === 'string') {
    if (value.length === 0) throw badRequest('prompt cannot be empty', 'prompt');
    return { text: value };
  }
  if (Array.isArray(value) && value.length > 0 && value.every((id) => Number.isSafeInteger(id))) {
    const ids = value as number[];
    if (ids.some((id) => id < 0 || id >= vocabSize))
      throw badRequest(`prompt token ids must be between 0 and ${vocabSize - 1}`, 'prompt');
    return { ids };
  }
  if (Array.isArray(value) && value.length > 1 && !isJsonObject(value[0]))
    throw badRequest('prompt: send one prompt per request (batches are not supported)', 'prompt');
  throw badRequest('prompt is required: a non-empty string or a list of token ids', 'prompt');
}

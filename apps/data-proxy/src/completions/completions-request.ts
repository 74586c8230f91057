import { fieldReaders, isJsonObject } from '@app/common';
import { badRequest, parseChatRequest, type ChatRequest, type RawPrompt } from '../chat/chat-request.js';

const fields = fieldReaders(badRequest);
/** OpenAI's default `max_tokens` for the legacy completions API. */
const DEFAULT_MAX_TOKENS = 16;

/** A validated `/v1/completions` request: the internal request and whether to answer log-probs. */
export interface CompletionsRequest {
  chat: ChatRequest;
  /** `logprobs` asked for: the answer carries each token's log-prob (always recorded either way). */
  logprobs: boolean;
}

/**
 * Converts a legacy completions request into the chat pipeline's request with a raw prompt: text
 * (tokenized as it is, never templated) or token ids (used as they are). `n`, `echo`, `suffix`
 * and `best_of` have no equivalent in recorded training turns and are refused.
 */
export function parseCompletionsRequest(body: unknown, vocabSize: number): CompletionsRequest {
  const request = fields.object(body, 'The request body');
  if (request.echo === true) throw badRequest('echo is not supported');
  if (typeof request.suffix === 'string' && request.suffix.length > 0) throw badRequest('suffix is not supported');
  const bestOf = fields.integer(request, 'best_of', { min: 1 });
  if (bestOf !== undefined && bestOf !== 1) throw badRequest('best_of > 1 is not supported');
  const logprobs = fields.integer(request, 'logprobs', { min: 0, max: 20 });
  const chat = parseChatRequest({
    model: request.model,
    // The chat parser needs a message; the raw prompt replaces the template below.
    messages: [{ role: 'user', content: '' }],
    n: request.n,
    max_tokens: request.max_tokens === undefined ? DEFAULT_MAX_TOKENS : request.max_tokens,
    stop: request.stop,
    temperature: request.temperature,
    top_p: request.top_p,
    top_k: request.top_k,
    frequency_penalty: request.frequency_penalty,
    seed: request.seed,
    stream: request.stream,
    stream_options: request.stream_options,
    store: request.store,
  });
  return {
    chat: { ...chat, messages: [], rawPrompt: rawPrompt(request.prompt, vocabSize) },
    logprobs: logprobs !== undefined,
  };
}

function rawPrompt(prompt: unknown, vocabSize: number): RawPrompt {
  // A batch of one prompt is that prompt; a real batch is one request per prompt.
  const single =
    Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === 'string' || Array.isArray(prompt[0]));
  const value: unknown = single ? (prompt as unknown[])[0] : prompt;
  if (typeof value === 'string') {
    if (value.length === 0) throw badRequest('prompt cannot be empty');
    return { text: value };
  }
  if (Array.isArray(value) && value.length > 0 && value.every((id) => Number.isSafeInteger(id))) {
    const ids = value as number[];
    if (ids.some((id) => id < 0 || id >= vocabSize))
      throw badRequest(`prompt token ids must be between 0 and ${vocabSize - 1}`);
    return { ids };
  }
  if (Array.isArray(value) && value.length > 1 && !isJsonObject(value[0]))
    throw badRequest('prompt: send one prompt per request (batches are not supported)');
  throw badRequest('prompt is required: a non-empty string or a list of token ids');
}

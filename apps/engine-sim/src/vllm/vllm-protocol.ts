import type { HfTokenizer } from '@app/tokenizer';
import type { GenerationParams, GenerationRequest } from '../engine/generation-request.js';
import {
  asObject,
  badRequest,
  optionalBoolean,
  optionalNumber,
  optionalStopStrings,
  optionalString,
  tokenIdList,
} from '../engine/request-fields.js';

/** vLLM's default `max_tokens` for `/v1/completions`. */
export const VLLM_DEFAULT_MAX_TOKENS = 16;

export interface VllmCompletionRequest {
  model: string | undefined;
  promptIds: number[] | null;
  promptText: string | null;
  params: GenerationParams;
  /** `logprobs`: null → none; n → the sampled token plus the n most likely. */
  logprobs: number | null;
  tokensAsIds: boolean;
  stream: boolean;
  includeUsage: boolean;
}

export function parseVllmCompletion(body: unknown, isValidId: (id: number) => boolean): VllmCompletionRequest {
  const obj = asObject(body, 'request body');
  const prompt = obj.prompt;
  let promptIds: number[] | null = null;
  let promptText: string | null = null;
  if (typeof prompt === 'string') {
    promptText = prompt;
  } else if (Array.isArray(prompt) && prompt.length === 1 && Array.isArray(prompt[0])) {
    promptIds = tokenIdList(prompt[0], 'prompt', isValidId);
  } else if (Array.isArray(prompt) && prompt.length > 0 && typeof prompt[0] === 'number') {
    promptIds = tokenIdList(prompt, 'prompt', isValidId);
  } else if (Array.isArray(prompt) && prompt.length > 1) {
    throw badRequest('engine-sim serves one prompt per call; batched prompts are not supported');
  } else {
    throw badRequest('prompt must be a string or a list of token ids');
  }
  const n = optionalNumber(obj, 'n', { integer: true, min: 1 });
  if (n !== undefined && n !== 1) throw badRequest('engine-sim supports n = 1 only');
  if (optionalBoolean(obj, 'use_beam_search')) throw badRequest('beam search is not supported');
  if (optionalBoolean(obj, 'echo')) throw badRequest('echo is not supported by engine-sim');
  const topK = optionalNumber(obj, 'top_k', { integer: true }) ?? -1;
  if (topK < -1) throw badRequest(`top_k must be -1 (disable), 0 (disable) or at least 1, got ${topK}.`);
  const streamOptions =
    obj.stream_options === undefined || obj.stream_options === null
      ? {}
      : asObject(obj.stream_options, 'stream_options');
  const logprobs = optionalNumber(obj, 'logprobs', { integer: true, min: 0, max: 20 });
  const params: GenerationParams = {
    maxNewTokens: optionalNumber(obj, 'max_tokens', { integer: true, min: 1 }) ?? VLLM_DEFAULT_MAX_TOKENS,
    temperature: optionalNumber(obj, 'temperature', { min: 0 }) ?? 1.0,
    topP: optionalNumber(obj, 'top_p', { exclusiveMin: 0, max: 1 }) ?? 1.0,
    topK: topK === 0 ? -1 : topK,
    stop: optionalStopStrings(obj, 'stop'),
    stopTokenIds:
      obj.stop_token_ids === undefined || obj.stop_token_ids === null
        ? []
        : tokenIdList(obj.stop_token_ids, 'stop_token_ids', isValidId, true),
    ignoreEos: optionalBoolean(obj, 'ignore_eos') ?? false,
    skipSpecialTokens: optionalBoolean(obj, 'skip_special_tokens') ?? true,
    frequencyPenalty: optionalNumber(obj, 'frequency_penalty', { min: -2, max: 2 }) ?? 0,
    seed: optionalNumber(obj, 'seed', { integer: true, min: 0 }) ?? null,
  };
  return {
    model: optionalString(obj, 'model', 512),
    promptIds,
    promptText,
    params,
    logprobs: logprobs ?? null,
    tokensAsIds: optionalBoolean(obj, 'return_tokens_as_token_ids') ?? false,
    stream: optionalBoolean(obj, 'stream') ?? false,
    includeUsage: optionalBoolean(streamOptions, 'include_usage') ?? false,
  };
}

/**
 * vLLM reports `stop`, `length`, `abort`, `error` or `repetition`; `stop_reason` is the matched
 * stop string or token id. An injected fault replaces the real reason.
 */
export function vllmFinish(request: GenerationRequest): {
  finish_reason: string | null;
  stop_reason: string | number | null;
} {
  const reason = request.finishReason;
  if (!reason) return { finish_reason: null, stop_reason: null };
  const forced = request.fault?.vllmFinish;
  if (forced) return { finish_reason: forced, stop_reason: null };
  if (reason.type === 'stop') {
    // vLLM leaves stop_reason null when EOS ended the sequence.
    const isStopToken = typeof reason.matched === 'number' && request.params.stopTokenIds.includes(reason.matched);
    return {
      finish_reason: 'stop',
      stop_reason: typeof reason.matched === 'string' || isStopToken ? reason.matched : null,
    };
  }
  return { finish_reason: reason.type, stop_reason: null };
}

/** The `logprobs` object of a completion choice for output tokens `[from, to)`. */
export function vllmLogprobs(
  request: GenerationRequest,
  tokenizer: HfTokenizer,
  from: number,
  to: number,
  tokensAsIds: boolean,
  textOffsetStart: number,
): Record<string, unknown> {
  const label = (id: number): string => (tokensAsIds ? `token_id:${id}` : tokenizer.decode([id]));
  const tokens: string[] = [];
  const tokenLogprobs: unknown[] = [];
  const textOffset: number[] = [];
  const top: Record<string, number>[] = [];
  let offset = textOffsetStart;
  for (let i = from; i < to; i++) {
    const id = request.outputIds[i];
    tokens.push(label(id));
    tokenLogprobs.push(request.outputLogprobs[i]);
    textOffset.push(offset);
    offset += tokenizer.decode([id], request.params.skipSpecialTokens).length;
    const entry: Record<string, number> = { [label(id)]: request.outputLogprobs[i] };
    for (const alt of request.topLogprobs[i] ?? []) entry[label(alt.id)] ??= alt.logprob;
    top.push(entry);
  }
  const fault = request.fault?.logprob;
  const at = fault ? fault.index - from : -1;
  if (fault && at >= 0 && at < tokenLogprobs.length) {
    if (fault.kind === 'missing') tokenLogprobs.splice(at, 1);
    // vLLM clamps to -9999.0 and reports null for a step without log-prob data.
    else tokenLogprobs[at] = fault.kind === 'null' ? null : fault.kind === 'bool' ? false : -9999.0;
  }
  return { text_offset: textOffset, token_logprobs: tokenLogprobs, tokens, top_logprobs: top };
}

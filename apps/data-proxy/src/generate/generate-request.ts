// One unit over 300 lines: SGLang's `/generate` request is one object whose fields each come
// whole or per batch element (prompts, sampling_params, rid, log-prob options); reading it in one
// place keeps the rule "a whole-request fault is a 400, an element's fault fails that element
// alone" in one place.
import { AppException, fieldReaders, isJsonObject } from '@app/common';
import type { ChatRequest } from '../chat/chat-request.js';
import { badRequest } from '../chat/request-surface.js';
import type { GenerationConstraint } from '../inference/engine-backend.js';

const fields = fieldReaders(badRequest);

/** SGLang's `max_new_tokens` when a request gives none. */
export const SGLANG_DEFAULT_MAX_NEW_TOKENS = 128;
/** SGLang's `top_k` -1 (the whole vocabulary), as the chat parser sends it to either engine. */
const WHOLE_VOCABULARY = 100_000_000;
/** Outputs (prompts × n) one call may ask for: a bound on the work and memory one body can cause. */
const MAX_OUTPUTS = 1024;
/** Alternatives per token one answer may carry (SGLang has no bound; the engines' own are lower). */
const MAX_TOP_LOGPROBS = 256;
const MAX_STOP_STRINGS = 64;

/** A prompt as given: token ids (used as they are) or text (tokenized as it is, never templated). */
export type GeneratePrompt = { ids: number[] } | { text: string };

/** What shapes one element's answer (its generation settings are in `chat`). */
export interface GenerateAnswerOptions {
  returnLogprob: boolean;
  topLogprobsNum: number;
  returnTextInLogprobs: boolean;
  returnPromptTokenIds: boolean;
  /** -1, or a start within the prompt (checked once the prompt is tokenized: prompt log-probs are not served). */
  logprobStartLen: number;
  skipSpecialTokens: boolean;
  /** The matched stop string or stop token stays in `text`. */
  noStopTrim: boolean;
  maxNewTokens: number;
}

/** One prompt of the call, with its `n` samples' answer ids. */
export interface GenerateElement {
  prompt: GeneratePrompt;
  /** The internal request (its raw prompt is set once the prompt is tokenized). */
  chat: ChatRequest;
  options: GenerateAnswerOptions;
  /** `meta_info.id` (and interaction id) of each sample: the caller's rid, or null for a generated one. */
  ids: (string | null)[];
}

/** A refused element of a batch: it fails alone, its `samples` answers carry the error. */
export interface RefusedElement {
  error: AppException;
  ids: (string | null)[];
}

export interface GenerateCall {
  /** A list of prompts, or n > 1: the answer is a list, in order (prompt-major), as SGLang's. */
  listAnswer: boolean;
  stream: boolean;
  elements: (GenerateElement | RefusedElement)[];
}

export function isRefused(element: GenerateElement | RefusedElement): element is RefusedElement {
  return 'error' in element;
}

/** Fields SGLang takes that change what is generated or answered and that this server cannot honour. */
const UNSUPPORTED_FIELDS = [
  'input_embeds',
  'image_data',
  'video_data',
  'audio_data',
  'lora_path',
  'return_hidden_states',
  'token_ids_logprob',
  'session_params',
  'custom_logit_processor',
  'return_routed_experts',
] as const;

const SAMPLING_FIELDS = new Set([
  'max_new_tokens',
  'min_new_tokens',
  'stop',
  'stop_token_ids',
  'stop_regex',
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'n',
  'json_schema',
  'regex',
  'ebnf',
  'structural_tag',
  'ignore_eos',
  'skip_special_tokens',
  'spaces_between_special_tokens',
  'no_stop_trim',
  'custom_params',
  'stream_interval',
  'logit_bias',
  'sampling_seed',
]);

/** Empty, false, null or absent: a field that asks for nothing. */
function isUnset(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === false ||
    (Array.isArray(value) && value.length === 0) ||
    (isJsonObject(value) && Object.keys(value).length === 0)
  );
}

/**
 * Reads a `/generate` body. `modelStopIds` are the ids that end an answer unless `ignore_eos`
 * (the model's EOS and pad), `vocabSize` bounds every token id. A fault in a field shared by the
 * whole call is a 400 for the call; a fault in one element of a batch (its prompt, its own
 * `sampling_params`, its own option) refuses that element alone.
 */
export function parseGenerateRequest(body: unknown, modelStopIds: readonly number[], vocabSize: number): GenerateCall {
  const request = fields.object(body, 'The request body');
  for (const field of UNSUPPORTED_FIELDS)
    if (!isUnset(request[field])) throw badRequest(`${field} is not supported by this server`);
  const prompts = readPrompts(request);
  const batch = prompts.batch;
  const count = prompts.values.length;
  const stream = fields.boolean(request, 'stream') ?? false;
  const returnTextInLogprobs = fields.boolean(request, 'return_text_in_logprobs') ?? false;
  const returnPromptTokenIds = fields.boolean(request, 'return_prompt_token_ids') ?? false;
  const rids = readRids(request.rid, batch, count);

  // A field given once is read once: its fault is the call's. A list gives each prompt its own value.
  const samplingOf = each(request, 'sampling_params', count, (v) => readSampling(v, modelStopIds, vocabSize));
  const returnLogprobOf = each(request, 'return_logprob', count, (v) => readFlag(v, 'return_logprob'));
  const topLogprobsOf = each(request, 'top_logprobs_num', count, (v) => readCount(v, 'top_logprobs_num'));
  const logprobStartOf = each(request, 'logprob_start_len', count, readStart);

  let outputs = 0;
  const elements = prompts.values.map((value, i): GenerateElement | RefusedElement => {
    // An element's own faults refuse it alone; in a single request every fault is the call's.
    const guard = <T>(read: () => T): T | AppException => {
      try {
        return read();
      } catch (err) {
        if (!batch || !(err instanceof AppException)) throw err;
        return err;
      }
    };
    const sampling = guard(() => samplingOf(i));
    const n = sampling instanceof AppException ? 1 : sampling.n;
    outputs += n;
    if (outputs > MAX_OUTPUTS) throw badRequest(`At most ${MAX_OUTPUTS} outputs (prompts × n) per request`);
    const ids = sampleIds(rids, i, n, batch || n > 1, outputs - n);
    if (sampling instanceof AppException) return { error: sampling, ids };
    const prompt = guard(() => readPrompt(value, prompts.field, vocabSize));
    if (prompt instanceof AppException) return { error: prompt, ids };
    const options = guard(() => ({
      returnLogprob: returnLogprobOf(i),
      topLogprobsNum: topLogprobsOf(i),
      logprobStartLen: logprobStartOf(i),
    }));
    if (options instanceof AppException) return { error: options, ids };
    return {
      prompt,
      // The alternatives come from the engine with the sampled log-probs; answered only with return_logprob.
      chat: { ...sampling.chat, stream, sampling: { ...sampling.chat.sampling, topLogprobs: options.topLogprobsNum } },
      options: {
        ...options,
        returnTextInLogprobs,
        returnPromptTokenIds,
        skipSpecialTokens: sampling.skipSpecialTokens,
        noStopTrim: sampling.noStopTrim,
        maxNewTokens: sampling.chat.maxCompletionTokens ?? SGLANG_DEFAULT_MAX_NEW_TOKENS,
      },
      ids,
    };
  });
  return { listAnswer: batch || outputs > 1, stream, elements };
}

/** `input_ids` or `text` (exactly one), each a prompt or a list of them. */
function readPrompts(request: Record<string, unknown>): {
  field: 'input_ids' | 'text';
  batch: boolean;
  values: unknown[];
} {
  const hasIds = request.input_ids !== undefined && request.input_ids !== null;
  const hasText = request.text !== undefined && request.text !== null;
  if (hasIds === hasText) throw badRequest('Either text or input_ids should be provided.');
  if (hasText) {
    const text = request.text;
    if (typeof text === 'string') return { field: 'text', batch: false, values: [text] };
    if (!Array.isArray(text)) throw badRequest('text must be a string or a list of strings');
    if (text.length === 0) throw badRequest('text is an empty batch');
    return { field: 'text', batch: true, values: text };
  }
  const ids = request.input_ids;
  if (!Array.isArray(ids)) throw badRequest('input_ids must be a list of token ids or a list of such lists');
  if (ids.length > 0 && Array.isArray(ids[0])) return { field: 'input_ids', batch: true, values: ids };
  return { field: 'input_ids', batch: false, values: [ids] };
}

function readPrompt(value: unknown, field: 'input_ids' | 'text', vocabSize: number): GeneratePrompt {
  if (field === 'text') {
    if (typeof value !== 'string') throw badRequest('text must be a string or a list of strings');
    if (value.length === 0) throw badRequest('The input is empty: text has no characters');
    return { text: value };
  }
  if (!Array.isArray(value)) throw badRequest('input_ids must be a list of token ids or a list of such lists');
  if (value.length === 0) throw badRequest('The input is empty: input_ids has no token ids');
  for (const id of value as unknown[]) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw badRequest('input_ids must contain integers only');
    if (id < 0 || id >= vocabSize)
      throw badRequest(`The input_ids contain ${id}, outside the vocabulary [0, ${vocabSize}).`);
  }
  return { ids: value as number[] };
}

/**
 * A field given once for the call (read now: a fault is the call's), or as a list with one value
 * per prompt (read for each prompt when asked: a fault is that prompt's alone).
 */
function each<T>(
  request: Record<string, unknown>,
  field: string,
  count: number,
  read: (value: unknown) => T,
): (index: number) => T {
  const value = request[field];
  if (!Array.isArray(value)) {
    const once = read(value);
    return () => once;
  }
  if (value.length !== count)
    throw badRequest(`${field} has ${value.length} entries for ${count} prompts: give one, or one per prompt`);
  return (index) => read(value[index]);
}

function readRids(value: unknown, batch: boolean, count: number): string | (string | null)[] | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') {
    if (value.length === 0 || value.length > 256) throw badRequest('rid must be 1 to 256 characters');
    return value;
  }
  if (!Array.isArray(value) || !batch) throw badRequest('rid must be a string (a batch: or one per prompt)');
  if (value.length !== count) throw badRequest(`rid has ${value.length} entries for ${count} prompts`);
  return value.map((rid: unknown) => {
    if (rid === null) return null;
    if (typeof rid !== 'string' || rid.length === 0 || rid.length > 256)
      throw badRequest('every rid must be a string of 1 to 256 characters');
    return rid;
  });
}

/** The answer ids of prompt `index`'s `n` samples (`first`: the flat index of its first answer). */
function sampleIds(
  rids: string | (string | null)[] | null,
  index: number,
  n: number,
  several: boolean,
  first: number,
): (string | null)[] {
  const out: (string | null)[] = [];
  for (let j = 0; j < n; j++) {
    if (rids === null) out.push(null);
    else if (typeof rids === 'string') out.push(several ? `${rids}_${first + j}` : rids);
    else {
      const rid = rids[index];
      out.push(rid === null ? null : n > 1 ? `${rid}_${j}` : rid);
    }
  }
  return out;
}

function readFlag(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw badRequest(`${field} must be a boolean`);
  return value;
}

function readCount(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw badRequest(`${field} must be a non-negative integer`);
  if (value > MAX_TOP_LOGPROBS) throw badRequest(`${field} must be at most ${MAX_TOP_LOGPROBS}`);
  return value;
}

function readStart(value: unknown): number {
  if (value === undefined || value === null) return -1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < -1)
    throw badRequest('logprob_start_len must be an integer >= -1');
  return value;
}

interface ElementSampling {
  chat: Omit<ChatRequest, 'stream'>;
  n: number;
  skipSpecialTokens: boolean;
  noStopTrim: boolean;
}

/** One `sampling_params` object, with SGLang's defaults and its range rules (its messages where it has them). */
function readSampling(value: unknown, modelStopIds: readonly number[], vocabSize: number): ElementSampling {
  const params = value === undefined || value === null ? {} : fields.object(value, 'sampling_params');
  for (const key of Object.keys(params))
    if (!SAMPLING_FIELDS.has(key)) throw badRequest(`sampling_params has an unknown field: ${key}`);
  if ((fields.integer(params, 'min_new_tokens', { min: 0 }) ?? 0) > 0)
    throw badRequest('sampling_params.min_new_tokens is not supported by this server');
  if (!isUnset(params.stop_regex)) throw badRequest('sampling_params.stop_regex is not supported by this server');
  if (!isUnset(params.logit_bias)) throw badRequest('sampling_params.logit_bias is not supported by this server');

  const temperature = fields.number(params, 'temperature') ?? 1.0;
  if (temperature < 0) throw badRequest(`temperature must be a non-negative finite number, got ${temperature}.`);
  const topP = fields.number(params, 'top_p') ?? 1.0;
  if (!(topP > 0 && topP <= 1)) throw badRequest(`top_p must be in (0, 1], got ${topP}.`);
  const topK = fields.integer(params, 'top_k') ?? -1;
  if (topK < 1 && topK !== -1) throw badRequest(`top_k must be -1 (disable) or at least 1, got ${topK}.`);
  const minP = fields.number(params, 'min_p') ?? 0;
  if (!(minP >= 0 && minP <= 1)) throw badRequest(`min_p must be in [0, 1], got ${minP}.`);
  const frequencyPenalty = penalty(params, 'frequency_penalty');
  const presencePenalty = penalty(params, 'presence_penalty');
  const repetitionPenalty = fields.number(params, 'repetition_penalty') ?? 1;
  if (!(repetitionPenalty > 0 && repetitionPenalty <= 2))
    throw badRequest(`repetition_penalty must be in (0, 2] (1.0 = no penalty), got ${repetitionPenalty}.`);
  const maxNewTokens = fields.integer(params, 'max_new_tokens') ?? SGLANG_DEFAULT_MAX_NEW_TOKENS;
  if (maxNewTokens < 0) throw badRequest(`max_new_tokens must be at least 0, got ${maxNewTokens}.`);
  const n = fields.integer(params, 'n', { min: 1 }) ?? 1;
  const seed = fields.integer(params, 'sampling_seed', { min: 0 }) ?? null;
  const ignoreEos = fields.boolean(params, 'ignore_eos') ?? false;
  const stopIds = readStopTokenIds(params.stop_token_ids, vocabSize);
  const skipSpecialTokens = fields.boolean(params, 'skip_special_tokens') ?? true;

  return {
    chat: {
      model: null,
      messages: [],
      tools: null,
      toolChoice: 'none',
      parallelToolCalls: false,
      parseToolCalls: false,
      includeUsage: false,
      // /generate answers its own log-probs and ids (meta_info), not chat's.
      logprobs: null,
      returnTokenIds: false,
      skipSpecialTokens,
      store: true,
      templateKwargs: {},
      maxCompletionTokens: maxNewTokens,
      maxTotalTokens: null,
      sampling: {
        temperature,
        topP,
        topK: topK === -1 ? WHOLE_VOCABULARY : topK,
        stop: fields.stopStrings(params, 'stop', MAX_STOP_STRINGS),
        frequencyPenalty,
        seed,
        ignoreEos,
        skipSpecialTokens,
        minP,
        presencePenalty,
        repetitionPenalty,
        constraint: readConstraint(params),
        topLogprobs: 0,
      },
      // SGLang stops at the model's EOS (unless ignore_eos) and at the request's own stop ids.
      stopTokenIds: ignoreEos ? stopIds : [...new Set([...modelStopIds, ...stopIds])],
    },
    n,
    skipSpecialTokens,
    noStopTrim: fields.boolean(params, 'no_stop_trim') ?? false,
  };
}

function penalty(params: Record<string, unknown>, field: string): number {
  const value = fields.number(params, field) ?? 0;
  if (value < -2 || value > 2) throw badRequest(`${field} must be in [-2, 2], got ${value}.`);
  return value;
}

function readStopTokenIds(value: unknown, vocabSize: number): number[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('stop_token_ids must be a list of token ids');
  for (const id of value as unknown[])
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || id >= vocabSize)
      throw badRequest(`stop_token_ids must hold token ids in [0, ${vocabSize})`);
  return value as number[];
}

/** SGLang's constrained decoding: one of `json_schema`, `regex`, `ebnf`, else `structural_tag` (JSON strings where JSON). */
function readConstraint(params: Record<string, unknown>): GenerationConstraint | null {
  const jsonSchema = fields.string(params, 'json_schema', 4 * 1024 * 1024);
  const regex = fields.string(params, 'regex', 1024 * 1024);
  const ebnf = fields.string(params, 'ebnf', 4 * 1024 * 1024);
  const structuralTag = fields.string(params, 'structural_tag', 4 * 1024 * 1024);
  if ([jsonSchema, regex, ebnf].filter((g) => g !== undefined).length > 1)
    throw badRequest('Only one of regex, json_schema, or ebnf can be set.');
  if (jsonSchema !== undefined)
    return { kind: 'json_schema', schema: jsonObject(jsonSchema, 'json_schema'), strict: true };
  if (regex !== undefined) return { kind: 'regex', pattern: regex };
  if (ebnf !== undefined) return { kind: 'ebnf', grammar: ebnf };
  if (structuralTag !== undefined) return { kind: 'structural_tag', tag: jsonObject(structuralTag, 'structural_tag') };
  return null;
}

function jsonObject(text: string, field: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest(`${field} must be a JSON object written as a string`);
  }
  if (!isJsonObject(value)) throw badRequest(`${field} must be a JSON object written as a string`);
  return value;
}

import type { HfTokenizer } from '@app/tokenizer';
import type { ConstraintSpec } from '../engine/constraints/constraint.js';
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
  /** `structured_outputs` (or `response_format`): what the output must match; null for free text. */
  constraint: ConstraintSpec | null;
}

/** The constraint kinds of `structured_outputs`; exactly one may be set. */
const STRUCTURED_OUTPUT_KINDS = ['json', 'regex', 'choice', 'grammar', 'json_object', 'structural_tag'] as const;

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
    presencePenalty: optionalNumber(obj, 'presence_penalty', { min: -2, max: 2 }) ?? 0,
    repetitionPenalty: optionalNumber(obj, 'repetition_penalty', { exclusiveMin: 0 }) ?? 1,
    // vLLM's repetition penalty counts the prompt and the output.
    repetitionPenaltyCountsPrompt: true,
    minP: optionalNumber(obj, 'min_p', { min: 0, max: 1 }) ?? 0,
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
    constraint: readStructuredOutputs(obj) ?? readResponseFormat(obj),
  };
}

/**
 * vLLM's `structured_outputs`: exactly one of `json` (a schema, as an object or a JSON string),
 * `regex`, `choice`, `grammar` (EBNF), `json_object`, `structural_tag` (a JSON string); the
 * whitespace and backend options are accepted and have no effect here. More than one, or none, is
 * a 400 when the request is read.
 */
function readStructuredOutputs(obj: Record<string, unknown>): ConstraintSpec | null {
  if (obj.structured_outputs === undefined || obj.structured_outputs === null) return null;
  const so = asObject(obj.structured_outputs, 'structured_outputs');
  const given = STRUCTURED_OUTPUT_KINDS.filter((k) => so[k] !== undefined && so[k] !== null);
  if (given.length > 1)
    throw badRequest(
      `You can only use one kind of structured outputs constraint but multiple are specified: ${JSON.stringify(so)}`,
    );
  if (given.length === 0)
    throw badRequest(
      `You must use one kind of structured outputs constraint but none are specified: ${JSON.stringify(so)}`,
    );
  switch (given[0]) {
    case 'json':
      if (typeof so.json !== 'string' && (typeof so.json !== 'object' || Array.isArray(so.json)))
        throw badRequest('structured_outputs.json must be a JSON schema (an object or a string)');
      return { kind: 'json_schema', schema: so.json };
    case 'regex':
      return { kind: 'regex', pattern: requireString(so, 'regex') };
    case 'grammar':
      return { kind: 'ebnf', grammar: requireString(so, 'grammar') };
    case 'structural_tag':
      return { kind: 'structural_tag', tag: requireString(so, 'structural_tag') };
    case 'json_object':
      return optionalBoolean(so, 'json_object') ? { kind: 'json_object' } : null;
    case 'choice': {
      const choices = so.choice;
      if (!Array.isArray(choices) || choices.some((c) => typeof c !== 'string'))
        throw badRequest('structured_outputs.choice must be a list of strings');
      return { kind: 'choice', choices: choices as string[] };
    }
  }
}

/** `response_format` (`json_object`, `json_schema`, `structural_tag`, `text`), which vLLM's completions also read. */
function readResponseFormat(obj: Record<string, unknown>): ConstraintSpec | null {
  if (obj.response_format === undefined || obj.response_format === null) return null;
  const format = asObject(obj.response_format, 'response_format');
  switch (format.type) {
    case 'text':
      return null;
    case 'json_object':
      return { kind: 'json_object' };
    case 'json_schema': {
      const spec = format.json_schema;
      if (spec === undefined || spec === null)
        throw badRequest("When response_format type is 'json_schema', the 'json_schema' field must be provided.");
      const schema = asObject(spec, 'response_format.json_schema').schema;
      return { kind: 'json_schema', schema: schema ?? {} };
    }
    case 'structural_tag':
      return { kind: 'structural_tag', tag: format };
    default:
      throw badRequest('response_format.type must be one of text, json_object, json_schema, structural_tag');
  }
}

function requireString(obj: Record<string, unknown>, field: string): string {
  const value = optionalString(obj, field, 4 * 1024 * 1024);
  if (value === undefined) throw badRequest(`structured_outputs.${field} must be a string`);
  return value;
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

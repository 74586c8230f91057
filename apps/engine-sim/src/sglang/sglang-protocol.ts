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

/** SGLang's default `max_new_tokens` when a request gives none. */
export const SGLANG_DEFAULT_MAX_NEW_TOKENS = 128;
/** Grammars and schemas can be long; the body limit bounds them anyway. */
const MAX_CONSTRAINT_CHARS = 4 * 1024 * 1024;

export interface SglangGenerateRequest {
  inputIds: number[] | null;
  text: string | null;
  params: GenerationParams;
  returnLogprob: boolean;
  /** Alternatives per output token (`top_logprobs_num`), reported with `return_logprob`. */
  topLogprobsNum: number;
  /** `json_schema`, `regex`, `ebnf` or `structural_tag`, in that order of precedence (SGLang's). */
  constraint: ConstraintSpec | null;
  /**
   * A sampling-parameter error SGLang raises in its tokenizer manager (a `ValueError`): 400
   * `{"error": {"message"}}`, or one error chunk in a 200 stream. Null when there is none.
   */
  valueError: string | null;
  rid: string | undefined;
  stream: boolean;
}

/** Parses and validates a `/generate` body (single request; batches are refused). */
export function parseSglangGenerate(body: unknown, isValidId: (id: number) => boolean): SglangGenerateRequest {
  const obj = asObject(body, 'request body');
  const hasIds = obj.input_ids !== undefined && obj.input_ids !== null;
  const hasText = obj.text !== undefined && obj.text !== null;
  if (hasIds === hasText) throw badRequest('Either text or input_ids should be provided.');
  if (hasIds && Array.isArray(obj.input_ids) && Array.isArray(obj.input_ids[0])) {
    throw badRequest('engine-sim serves one request per call; batched input_ids are not supported');
  }
  if (hasText && typeof obj.text !== 'string') {
    throw badRequest(
      Array.isArray(obj.text)
        ? 'engine-sim serves one request per call; batched text is not supported'
        : 'text must be a string',
    );
  }
  const sampling =
    obj.sampling_params === undefined || obj.sampling_params === null
      ? {}
      : asObject(obj.sampling_params, 'sampling_params');
  const n = optionalNumber(sampling, 'n', { integer: true, min: 1 });
  if (n !== undefined && n !== 1) throw badRequest('engine-sim supports n = 1 only');
  const topK = optionalNumber(sampling, 'top_k', { integer: true }) ?? -1;
  if (topK === 0 || topK < -1) throw badRequest(`top_k must be -1 (disable) or at least 1, got ${topK}.`);
  const seed =
    optionalNumber(sampling, 'sampling_seed', { integer: true, min: 0 }) ??
    optionalNumber(sampling, 'seed', { integer: true, min: 0 });
  const stopTokenIds =
    sampling.stop_token_ids === undefined || sampling.stop_token_ids === null
      ? []
      : tokenIdList(sampling.stop_token_ids, 'stop_token_ids', isValidId, true);
  const params: GenerationParams = {
    maxNewTokens:
      optionalNumber(sampling, 'max_new_tokens', { integer: true, min: 0 }) ?? SGLANG_DEFAULT_MAX_NEW_TOKENS,
    temperature: optionalNumber(sampling, 'temperature', { min: 0 }) ?? 1.0,
    topP: optionalNumber(sampling, 'top_p', { exclusiveMin: 0, max: 1 }) ?? 1.0,
    topK,
    stop: optionalStopStrings(sampling, 'stop'),
    stopTokenIds,
    ignoreEos: optionalBoolean(sampling, 'ignore_eos') ?? false,
    skipSpecialTokens: optionalBoolean(sampling, 'skip_special_tokens') ?? true,
    frequencyPenalty: optionalNumber(sampling, 'frequency_penalty', { min: -2, max: 2 }) ?? 0,
    presencePenalty: optionalNumber(sampling, 'presence_penalty', { min: -2, max: 2 }) ?? 0,
    repetitionPenalty: optionalNumber(sampling, 'repetition_penalty', { exclusiveMin: 0, max: 2 }) ?? 1,
    // SGLang's repetition penalizer counts the generated output only.
    repetitionPenaltyCountsPrompt: false,
    minP: optionalNumber(sampling, 'min_p', { min: 0, max: 1 }) ?? 0,
    seed: seed ?? null,
  };
  const { constraint, valueError } = readConstraint(sampling);
  return {
    inputIds: hasIds ? tokenIdList(obj.input_ids, 'input_ids', isValidId) : null,
    text: hasText ? (obj.text as string) : null,
    params,
    returnLogprob: optionalBoolean(obj, 'return_logprob') ?? false,
    topLogprobsNum: optionalNumber(obj, 'top_logprobs_num', { integer: true, min: 0 }) ?? 0,
    constraint,
    valueError,
    rid: optionalString(obj, 'rid', 256),
    stream: optionalBoolean(obj, 'stream') ?? false,
  };
}

/**
 * SGLang's constrained-decoding fields: one of `json_schema`, `regex`, `ebnf` (more is a
 * `ValueError`), else `structural_tag`. The schema and the tag are JSON strings.
 */
function readConstraint(sampling: Record<string, unknown>): {
  constraint: ConstraintSpec | null;
  valueError: string | null;
} {
  const jsonSchema = optionalString(sampling, 'json_schema', MAX_CONSTRAINT_CHARS);
  const regex = optionalString(sampling, 'regex', MAX_CONSTRAINT_CHARS);
  const ebnf = optionalString(sampling, 'ebnf', MAX_CONSTRAINT_CHARS);
  const structuralTag = optionalString(sampling, 'structural_tag', MAX_CONSTRAINT_CHARS);
  const grammars = [jsonSchema, regex, ebnf].filter((g) => g !== undefined).length;
  if (grammars > 1) return { constraint: null, valueError: 'Only one of regex, json_schema, or ebnf can be set.' };
  let constraint: ConstraintSpec | null = null;
  if (jsonSchema !== undefined) constraint = { kind: 'json_schema', schema: jsonSchema };
  else if (regex !== undefined) constraint = { kind: 'regex', pattern: regex };
  else if (ebnf !== undefined) constraint = { kind: 'ebnf', grammar: ebnf };
  else if (structuralTag) constraint = { kind: 'structural_tag', tag: structuralTag };
  return { constraint, valueError: null };
}

export interface SglangOutputOptions {
  returnLogprob: boolean;
  /** Alternatives per token in `output_top_logprobs` (with `returnLogprob`); 0 leaves the keys out. */
  topLogprobsNum: number;
  weightVersion: string;
  /** Index of the first output token this message covers (incremental streaming); 0 = cumulative. */
  fromToken: number;
  /** Text for this message (cumulative text, or the delta). */
  text: string;
}

/** One `/generate` answer (or stream event) in SGLang's shape. */
export function toSglangOutput(request: GenerationRequest, out: SglangOutputOptions): Record<string, unknown> {
  const ids = out.fromToken === 0 ? request.outputIds.slice() : request.outputIds.slice(out.fromToken);
  const meta: Record<string, unknown> = { id: request.rid, finish_reason: request.finishReason };
  // A request aborted in the waiting queue never reached prefill: SGLang's echo has no prompt counts.
  if (!request.endedWaiting) {
    meta.prompt_tokens = request.promptIds.length;
    meta.cached_tokens = request.cachedTokens;
  }
  meta.completion_tokens = request.outputIds.length;
  meta.weight_version = out.weightVersion;
  if (out.returnLogprob) {
    const triples: [unknown, number, null][] = [];
    for (let i = out.fromToken; i < request.outputIds.length; i++)
      triples.push([request.outputLogprobs[i], request.outputIds[i], null]);
    applyLogprobFault(request, triples, out.fromToken);
    meta.output_token_logprobs = triples;
    if (out.topLogprobsNum > 0) {
      // Prompt log-probs are not asked for (logprob_start_len -1): the input list is empty.
      meta.input_top_logprobs = [];
      const top: [number, number, null][][] = [];
      for (let i = out.fromToken; i < request.outputIds.length; i++)
        top.push((request.topLogprobs[i] ?? []).map((alt) => [alt.logprob, alt.id, null]));
      meta.output_top_logprobs = top;
    }
  }
  if (request.finished) {
    // Only the finishing output of a request that lived through a version change carries spans.
    if (request.versionChanged) {
      const spans = versionSpans(request.outputVersions);
      meta.weight_versions = spans;
      if (spans.length > 0) meta.weight_version = spans[spans.length - 1].version;
    }
    meta.e2e_latency = ((request.finishedAt ?? Date.now()) - request.createdAt) / 1000;
  }
  return { text: out.text, output_ids: ids, meta_info: meta };
}

/**
 * SGLang's `weight_versions`: half-open `[start, end)` ranges of output tokens, one per run of
 * tokens sampled under the same version, contiguous from 0 to the output length.
 */
export function versionSpans(versions: readonly string[]): { version: string; start: number; end: number }[] {
  const spans: { version: string; start: number; end: number }[] = [];
  for (let i = 0; i < versions.length; i++) {
    const last = spans[spans.length - 1];
    if (last && last.version === versions[i]) last.end = i + 1;
    else spans.push({ version: versions[i], start: i, end: i + 1 });
  }
  return spans;
}

/** The injected log-prob fault for this message's slice of `[logprob, id, text]` triples. */
function applyLogprobFault(request: GenerationRequest, triples: [unknown, number, null][], from: number): void {
  const fault = request.fault?.logprob;
  if (!fault) return;
  const at = fault.index - from;
  if (at < 0 || at >= triples.length) return;
  if (fault.kind === 'missing') triples.splice(at, 1);
  else triples[at][0] = fault.kind === 'null' ? null : fault.kind === 'bool' ? true : -9999.0;
}

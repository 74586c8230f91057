import type {
  EngineSamplingFieldsDto,
  PauseMode,
  SglangGenerateRequestDto,
  VllmCompletionRequestDto,
} from '@app/contracts';
import { isJsonObject } from '@app/common';

/**
 * A prompt's ids: a JS array (as the tokenizer gave them, or a request sent them), or an
 * `Int32Array` (a conversation's next prompt, built by copying the ids it keeps from the previous
 * one). The late turns of a long episode build the latter, 15k ids each turn: a typed array's ids
 * live outside V8's heap, so the scavenges that find a prompt alive copy a header, not 124 KB of
 * array elements twice over (semi-space, then old space).
 */
export type PromptIds = readonly number[] | Int32Array;

/** Sampling settings the data proxy sends to the engine for one generation. */
export interface EngineSampling {
  temperature: number;
  topP: number;
  topK: number;
  stop: string[];
  stopTokenIds: number[];
  frequencyPenalty: number;
  ignoreEos: boolean;
  skipSpecialTokens: boolean;
  /** The request's seed, sent in the engine's own field; null lets the engine choose. */
  seed: number | null;
  /** Minimum probability relative to the most likely token (0 = off). */
  minP: number;
  /** Multiplicative penalty on tokens already present (1 = off), as SGLang and vLLM define it. */
  repetitionPenalty: number;
  /** OpenAI's additive presence penalty (0 = off). */
  presencePenalty: number;
  /** Constrained decoding (structured outputs), or null for free generation. */
  constraint: GenerationConstraint | null;
  /** Alternatives per output token to return with their log-probs (0 = none); never changes sampling. */
  topLogprobs: number;
}

/** The optional knobs at their neutral values: what a request that does not set them sends. */
export const NEUTRAL_SAMPLING = {
  minP: 0,
  repetitionPenalty: 1,
  presencePenalty: 0,
  constraint: null,
  topLogprobs: 0,
} as const satisfies Partial<EngineSampling>;

/**
 * What the output must match, in the engines' own terms: SGLang's `sampling_params` fields
 * `json_schema` / `regex` / `ebnf` / `structural_tag`, vLLM's structured-output request fields.
 * `json_object` is any JSON object (OpenAI's `response_format: {type: "json_object"}`).
 */
export type GenerationConstraint =
  | { kind: 'json_object' }
  | { kind: 'json_schema'; schema: Record<string, unknown>; strict: boolean }
  | { kind: 'regex'; pattern: string }
  | { kind: 'ebnf'; grammar: string }
  | { kind: 'structural_tag'; tag: Record<string, unknown> };

/** One alternative token at an output position, with its log-prob (engine order: most likely first). */
export interface TopLogprob {
  id: number;
  logprob: number;
}

export type SegmentStop = 'stop' | 'length' | 'abort';

/** One engine request: the prompt so far and the remaining budget. */
export interface SegmentRequest {
  rid: string;
  /** Written into the engine request's prompt field by `engineRequestJson` (see `EngineRequestParts`). */
  promptIds: PromptIds;
  maxNewTokens: number;
  sampling: EngineSampling;
  stream: boolean;
}

/** Tokens that arrived (a whole answer, or one stream event's worth). */
export interface SegmentTokens {
  tokens: number[];
  logprobs: number[];
  /** The weight version the engine reports for these tokens, when it reports one (SGLang). */
  engineVersion: number | null;
  /** With `sampling.topLogprobs` > 0: the alternatives at each of these tokens, validated; else absent. */
  topLogprobs?: TopLogprob[][];
}

/** SGLang's `weight_versions` entry: output tokens `[start, end)` of the segment were sampled under `version`. */
export interface VersionSpan {
  /** The integer version, or null for a label that is not one (e.g. SGLang's `"default"`). */
  version: number | null;
  start: number;
  end: number;
}

export interface SegmentFinish {
  stop: SegmentStop;
  /** The stop string that ended generation, when one did. */
  matchedStop: string | null;
  /** Per-token versions of the whole segment, when the engine reports them (SGLang after a version change). */
  versionSpans?: VersionSpan[];
  /** Prompt tokens the engine served from its prefix cache, when it reports them. */
  cachedTokens?: number;
}

export type SegmentResult = SegmentTokens & SegmentFinish;

/** A reply that does not follow the engine protocol, or carries no exact sampling evidence. Never recorded. */
export class EngineProtocolError extends Error {}

/**
 * The engine refused the request itself (a 4xx, an SGLang abort that carries a `status_code`, a
 * vLLM `error` finish): resubmitting cannot help, so it reaches the agent at once.
 */
export class EngineRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Consumes one stream event; returns the new tokens and, on the last event, how it finished. */
export type StreamEventParser = (event: unknown) => { tokens?: SegmentTokens; finish?: SegmentFinish };

/**
 * An engine request as its backend builds it: every field of the protocol's DTO but the prompt's
 * ids, and the name of the field they go in. `engineRequestJson` writes them there, first in the
 * object, from their kept JSON bytes where there are some: a 15k-token prompt is not serialised
 * again each turn, and a typed prompt (`Int32Array`) is written as the JSON list it is on the wire.
 */
export type EngineRequestParts =
  | { promptField: 'input_ids'; rest: Omit<SglangGenerateRequestDto, 'input_ids'> }
  | { promptField: 'prompt'; rest: Omit<VllmCompletionRequestDto, 'prompt'> };

/** An engine HTTP call with no streaming answer: where, and the JSON body to send. */
export interface EngineCall {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/**
 * One engine protocol (SGLang or vLLM) behind a small interface: how to ask for tokens, how to
 * read them back (whole or streamed) with their validation, and where the control calls live.
 */
export interface EngineBackend {
  readonly name: 'sglang' | 'vllm';
  readonly generatePath: string;
  buildRequest(request: SegmentRequest): EngineRequestParts;
  /** `topLogprobs`: the alternatives per token the request asked for (0: none are read). */
  parseResponse(body: unknown, topLogprobs: number): SegmentResult;
  createStreamParser(topLogprobs: number): StreamEventParser;
  /** The calls that pause generation, in order (each must succeed). */
  pauseCalls(mode: PauseMode): EngineCall[];
  resumeCall(): EngineCall;
  /** Offload weights and KV cache (SGLang release_memory_occupation, vLLM sleep). */
  offloadCall(): EngineCall;
  /** Load them back; `tags` picks what (e.g. `["weights"]`), null for everything. */
  onloadCall(tags: string[] | null): EngineCall;
  /** An explicit abort for one request id, if the protocol has one. */
  abortCall(rid: string): EngineCall | null;
  /**
   * How to tell that offloading would really free memory: the call, and a judge of its answer
   * that returns what the engine lacks (its launch flag), or null when offloading works.
   */
  memoryCheck(): { call: EngineCall; lacks: (status: number, body: unknown) => string | null };
}

/** Weight versions are integers for AReaL; engines report strings ("7"), or labels we ignore. */
export function parseEngineVersion(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return null;
}

/**
 * Exact sampling evidence, as AReaL 2.0 requires of every engine answer: one log-prob per output
 * token, each a real finite number (not null, not a boolean; 0 is valid). Anything else would put
 * a made-up probability into the importance ratio, so the answer is refused and nothing recorded.
 */
export function checkLogprobs(tokens: number, logprobs: readonly unknown[]): number[] {
  if (logprobs.length !== tokens) {
    throw new EngineProtocolError(
      `Malformed generation result: received ${tokens} output tokens but ${logprobs.length} output logprobs; every sampled output token requires exactly one sampling logprob.`,
    );
  }
  for (let i = 0; i < logprobs.length; i++) {
    const value = logprobs[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new EngineProtocolError(
        `Malformed generation result: output_logprobs[${i}] must be a real, finite number, got ${JSON.stringify(value) ?? String(value)}.`,
      );
    }
  }
  return logprobs as number[];
}

/**
 * The alternatives the agent asked for, held to the same standard as the sampled tokens' log-probs:
 * one list per output token, at most `wanted` entries each (vLLM adds the sampled token: one more),
 * every entry a real token id with a finite log-prob. `read` turns one position's engine entry into
 * its alternatives (most likely first) or throws.
 */
export function checkTopLogprobs(
  tokens: number,
  entries: unknown,
  wanted: number,
  read: (entry: unknown, position: number) => TopLogprob[],
): TopLogprob[][] {
  if (!Array.isArray(entries)) {
    throw new EngineProtocolError(
      `Malformed generation result: ${wanted} top log-probs per token were asked for but the engine sent none.`,
    );
  }
  if (entries.length !== tokens) {
    throw new EngineProtocolError(
      `Malformed generation result: received ${tokens} output tokens but top log-probs for ${entries.length}.`,
    );
  }
  const out: TopLogprob[][] = new Array<TopLogprob[]>(tokens);
  for (let i = 0; i < tokens; i++) {
    const alternatives = read(entries[i], i);
    for (const alt of alternatives) {
      if (!Number.isInteger(alt.id) || alt.id < 0 || typeof alt.logprob !== 'number' || !Number.isFinite(alt.logprob))
        throw new EngineProtocolError(
          `Malformed generation result: top log-probs of output token ${i} must be token ids with real, finite log-probs, got ${JSON.stringify(alt)}.`,
        );
    }
    out[i] = alternatives.length > wanted ? alternatives.slice(0, wanted) : alternatives;
  }
  return out;
}

/** SGLang's `weight_versions`: half-open spans, contiguous from 0 up to the segment's token count. */
export function readVersionSpans(value: unknown, tokens: number): VersionSpan[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new EngineProtocolError('SGLang weight_versions is not a list');
  const spans: VersionSpan[] = [];
  let next = 0;
  for (const entry of value as unknown[]) {
    if (!isJsonObject(entry) || !Number.isInteger(entry.start) || !Number.isInteger(entry.end))
      throw new EngineProtocolError('SGLang weight_versions entries must be {version, start, end}');
    const start = entry.start as number;
    const end = entry.end as number;
    if (start !== next || end < start || end > tokens)
      throw new EngineProtocolError(
        `SGLang weight_versions span [${start}, ${end}) does not continue [0, ${next}) within ${tokens} tokens`,
      );
    spans.push({ version: parseEngineVersion(entry.version), start, end });
    next = end;
  }
  return spans;
}

/**
 * The sampling fields both engines take under the same names (SGLang's `sampling_params`, vLLM's
 * body). `min_p` and the presence and repetition penalties go only when set away from neutral, so
 * a request that does not use them is the one sent before they existed; unset, the engine applies
 * its own default (vLLM's may come from the model's generation config, as for any client of it).
 */
export function sharedSamplingFields(sampling: EngineSampling): EngineSamplingFieldsDto {
  const fields: EngineSamplingFieldsDto = {
    top_p: sampling.topP,
    top_k: sampling.topK,
    temperature: sampling.temperature,
    stop_token_ids: sampling.stopTokenIds,
    ignore_eos: sampling.ignoreEos,
    skip_special_tokens: sampling.skipSpecialTokens,
  };
  if (sampling.minP !== NEUTRAL_SAMPLING.minP) fields.min_p = sampling.minP;
  if (sampling.presencePenalty !== NEUTRAL_SAMPLING.presencePenalty) fields.presence_penalty = sampling.presencePenalty;
  if (sampling.repetitionPenalty !== NEUTRAL_SAMPLING.repetitionPenalty)
    fields.repetition_penalty = sampling.repetitionPenalty;
  if (sampling.stop.length > 0) fields.stop = sampling.stop;
  return fields;
}

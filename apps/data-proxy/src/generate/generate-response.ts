import { randomUUID } from 'node:crypto';
import type { AppException } from '@app/common';
import type { GenerateMetaInfoDto, GenerateOutputDto, SglangWeightVersionSpanDto } from '@app/contracts';
import type { HfTokenizer, StreamDecoder } from '@app/tokenizer';
import type { TopLogprob } from '../inference/engine-backend.js';
import type { GenerateAnswerOptions } from './generate-request.js';

/** SGLang's `finish_reason`: `stop` with the matched token id or string, `length`, or `abort` (a refusal). */
export type GenerateFinish =
  | { type: 'stop'; matched: number | string }
  | { type: 'length'; length: number }
  | { type: 'abort'; message: string; status_code: number; err_type: string };

/** One answer as it grows: exactly the tokens, log-probs and versions that are recorded. */
export interface GenerateAnswer {
  id: string;
  options: GenerateAnswerOptions;
  promptIds: readonly number[];
  tokens: number[];
  logprobs: number[];
  versions: number[];
  /** Alternatives per token, when `top_logprobs_num` asked for them. */
  tops: (readonly TopLogprob[])[];
  cachedTokens: number;
  /** `Date.now()` when the answer began (`e2e_latency`). */
  startedAt: number;
  /** What may still turn out to be the matched stop while streaming: the stop token ids, the longest stop string. */
  stops: { ids: ReadonlySet<number>; hold: number };
}

export function newAnswer(
  id: string,
  options: GenerateAnswerOptions,
  promptIds: readonly number[],
  stops: GenerateAnswer['stops'],
): GenerateAnswer {
  return {
    id,
    options,
    promptIds,
    stops,
    tokens: [],
    logprobs: [],
    versions: [],
    tops: [],
    cachedTokens: 0,
    startedAt: Date.now(),
  };
}

/** An answer id for one the caller did not name (SGLang makes one up too), in the pipeline's `gen-` form. */
export function generatedId(): string {
  return `gen-${randomUUID().replace(/-/g, '').slice(0, 29)}`;
}

/** How the generation ended, in SGLang's words: a stop string, else the stop token it ended on, else its length. */
export function finishOf(
  stop: 'stop' | 'length',
  matchedStop: string | null,
  tokens: readonly number[],
): GenerateFinish {
  if (stop === 'stop' && matchedStop !== null) return { type: 'stop', matched: matchedStop };
  if (stop === 'stop' && tokens.length > 0) return { type: 'stop', matched: tokens[tokens.length - 1] };
  return { type: 'length', length: tokens.length };
}

/** SGLang's abort finish for an answer that failed: its status says why (400: refused, 5xx: the server). */
export function abortFinish(error: AppException): GenerateFinish {
  const status = error.getStatus();
  return {
    type: 'abort',
    message: error.message,
    status_code: status,
    err_type: status < 500 ? 'BadRequestError' : status === 503 ? 'ServiceUnavailableError' : 'InternalServerError',
  };
}

/**
 * SGLang's `text`: the output decoded (special tokens as `skip_special_tokens` says), without the
 * stop token it matched and cut at the stop string it matched, unless `no_stop_trim`.
 */
export function answerText(tokenizer: HfTokenizer, answer: GenerateAnswer, finish: GenerateFinish): string {
  const trim = !answer.options.noStopTrim && finish.type === 'stop';
  const ids = trim && typeof finish.matched === 'number' ? answer.tokens.slice(0, -1) : answer.tokens;
  const text = tokenizer.decode(ids, answer.options.skipSpecialTokens);
  if (!trim || typeof finish.matched !== 'string') return text;
  const at = text.indexOf(finish.matched);
  return at >= 0 ? text.slice(0, at) : text;
}

/**
 * The text of a streamed answer as its tokens arrive. What could still turn out to be the matched
 * stop (a stop token, or the start of a stop string) is held back, so what was sent is always the
 * start of the final `text`.
 */
export class StreamedText {
  private readonly decoder: StreamDecoder;
  private readonly heldIds: number[] = [];
  private held = '';
  /** The text released so far. */
  sent = '';

  constructor(
    private readonly stopIds: ReadonlySet<number>,
    private readonly stopHold: number,
    tokenizer: HfTokenizer,
    skipSpecialTokens: boolean,
  ) {
    this.decoder = tokenizer.streamDecoder(skipSpecialTokens);
  }

  /** Takes new tokens; returns the text they release. */
  push(tokens: readonly number[]): string {
    let piece = '';
    for (const id of tokens) {
      for (const heldId of this.heldIds.splice(0)) piece += this.decoder.push(heldId);
      if (this.stopIds.has(id)) this.heldIds.push(id);
      else piece += this.decoder.push(id);
    }
    this.held += piece;
    const release = this.held.length - this.stopHold;
    if (release <= 0) return '';
    const out = this.held.slice(0, release);
    this.held = this.held.slice(release);
    this.sent += out;
    return out;
  }
}

/** `[start, end)` runs of output tokens sampled under one version (SGLang's `weight_versions`). */
export function versionSpans(versions: readonly number[]): SglangWeightVersionSpanDto[] {
  const spans: SglangWeightVersionSpanDto[] = [];
  for (let i = 0; i < versions.length; i++) {
    const last = spans[spans.length - 1];
    const version = String(versions[i]);
    if (last && last.version === version) last.end = i + 1;
    else spans.push({ version, start: i, end: i + 1 });
  }
  return spans;
}

/** What an output is cut from: all of the answer, or (incremental streaming) from token `from` on. */
export interface OutputSlice {
  text: string;
  from: number;
  finish: GenerateFinish | null;
  /** The version stamped on new tokens now: `weight_version` of an answer with no token yet. */
  currentVersion: number;
}

/**
 * One `/generate` output in SGLang's shape (a whole answer, or one streamed event), plus
 * `meta_info.output_token_versions`: the version of every output token, as recorded. Log-probs are
 * the recorded (float32) values, so the answer and the export agree exactly.
 */
export function generateOutput(tokenizer: HfTokenizer, answer: GenerateAnswer, slice: OutputSlice): GenerateOutputDto {
  const { options, tokens, versions } = answer;
  const from = slice.from;
  const meta: GenerateMetaInfoDto = {
    id: answer.id,
    finish_reason: slice.finish,
    prompt_tokens: answer.promptIds.length,
    weight_version: String(versions.length > 0 ? versions[versions.length - 1] : slice.currentVersion),
    completion_tokens: tokens.length,
    cached_tokens: answer.cachedTokens,
    output_token_versions: from === 0 ? versions.slice() : versions.slice(from),
  };
  if (options.returnLogprob) {
    const text = options.returnTextInLogprobs;
    meta.input_token_logprobs = [];
    const triples: [number, number, string | null][] = [];
    for (let i = from; i < tokens.length; i++)
      triples.push([Math.fround(answer.logprobs[i]), tokens[i], text ? tokenizer.decode([tokens[i]]) : null]);
    meta.output_token_logprobs = triples;
    if (options.topLogprobsNum > 0) {
      const tops: [number, number, string | null][][] = [];
      for (let i = from; i < tokens.length; i++)
        tops.push(
          (answer.tops[i] ?? []).map((alt) => [
            Math.fround(alt.logprob),
            alt.id,
            text ? tokenizer.decode([alt.id]) : null,
          ]),
        );
      meta.output_top_logprobs = tops;
    }
  }
  if (slice.finish) {
    meta.weight_versions = versionSpans(versions);
    meta.e2e_latency = (Date.now() - answer.startedAt) / 1000;
  }
  const output: GenerateOutputDto = {
    text: slice.text,
    output_ids: from === 0 ? tokens.slice() : tokens.slice(from),
    meta_info: meta,
  };
  if (options.returnPromptTokenIds) output.prompt_token_ids = [...answer.promptIds];
  return output;
}

/** The answer of a refused or failed element: SGLang's abort finish carrying the status, and no tokens (nothing is recorded). */
export function refusedOutput(
  id: string,
  error: AppException,
  promptTokens: number | undefined,
  currentVersion: number,
): GenerateOutputDto {
  const meta: GenerateMetaInfoDto = {
    id,
    finish_reason: abortFinish(error),
    weight_version: String(currentVersion),
    completion_tokens: 0,
    output_token_versions: [],
  };
  if (promptTokens !== undefined) meta.prompt_tokens = promptTokens;
  return { text: '', output_ids: [], meta_info: meta };
}

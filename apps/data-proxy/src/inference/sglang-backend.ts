import type { PauseMode } from '@app/contracts';
import {
  checkLogprobs,
  checkTopLogprobs,
  EngineProtocolError,
  sharedSamplingFields,
  EngineRequestError,
  parseEngineVersion,
  readVersionSpans,
  type EngineBackend,
  type EngineCall,
  type SegmentFinish,
  type EngineRequestParts,
  type SegmentRequest,
  type SegmentResult,
  type SegmentTokens,
  type StreamEventParser,
  type GenerationConstraint,
  type TopLogprob,
} from './engine-backend.js';
import type {
  SglangAbortRequestDto,
  SglangGenerateRequestDto,
  SglangPauseRequestDto,
  SglangSamplingParamsDto,
} from '@app/contracts';
import { isJsonObject } from '@app/common';

/**
 * How an SGLang output ended. An abort that carries a `status_code` is a request error
 * (`set_finish_with_abort`: bad grammar, too long, …) and fails the request; an abort without one
 * (pause, `/abort_request`) is an ordinary end with the tokens so far, which the bridge resubmits.
 */
function readFinish(meta: Record<string, unknown>): SegmentFinish | null {
  const reason = meta.finish_reason;
  if (reason === null || reason === undefined) return null;
  if (!isJsonObject(reason) || typeof reason.type !== 'string')
    throw new EngineProtocolError('SGLang finish_reason has no type');
  const type = reason.type;
  if (type !== 'stop' && type !== 'length' && type !== 'abort') {
    throw new EngineProtocolError(`SGLang finish_reason.type "${type}" is not stop, length or abort`);
  }
  if (type === 'abort' && typeof reason.status_code === 'number') {
    throw new EngineRequestError(
      reason.status_code,
      typeof reason.message === 'string' ? reason.message : `SGLang aborted the request (${reason.status_code})`,
    );
  }
  return { stop: type, matchedStop: typeof reason.matched === 'string' ? reason.matched : null };
}

/**
 * The output tokens of one message and their log-probs, validated: `output_ids` and the
 * `[logprob, token_id, text]` triples must agree in count and ids, every log-prob must be real.
 */
function readTokens(
  body: Record<string, unknown>,
  meta: Record<string, unknown>,
): { tokens: number[]; logprobs: number[] } {
  const triples = meta.output_token_logprobs;
  if (!Array.isArray(triples)) {
    throw new EngineProtocolError(
      'Malformed SGLang response: output_token_logprobs is missing from meta_info (send return_logprob: true).',
    );
  }
  const ids = Array.isArray(body.output_ids) ? (body.output_ids as unknown[]) : null;
  const tokens: number[] = new Array<number>(triples.length);
  const values: unknown[] = new Array<unknown>(triples.length);
  for (let i = 0; i < triples.length; i++) {
    const triple = triples[i] as unknown;
    if (!Array.isArray(triple) || !Number.isInteger(triple[1]))
      throw new EngineProtocolError('SGLang output_token_logprobs entries must be [logprob, token_id, text]');
    tokens[i] = triple[1] as number;
    values[i] = triple[0];
  }
  if (ids) {
    checkLogprobs(ids.length, values);
    for (let i = 0; i < ids.length; i++)
      if (ids[i] !== tokens[i])
        throw new EngineProtocolError(
          `SGLang output_ids[${i}] is ${String(ids[i])} but its log-prob is for ${tokens[i]}`,
        );
  }
  return { tokens, logprobs: checkLogprobs(tokens.length, values) };
}

/** One position of `output_top_logprobs`: `[logprob, token_id, text]` triples, most likely first. */
function readAlternatives(entry: unknown, position: number): TopLogprob[] {
  if (!Array.isArray(entry))
    throw new EngineProtocolError(`SGLang output_top_logprobs[${position}] is not a list of [logprob, token_id, text]`);
  return entry.map((triple: unknown) => {
    if (!Array.isArray(triple))
      throw new EngineProtocolError(
        `SGLang output_top_logprobs[${position}] entries must be [logprob, token_id, text]`,
      );
    return { logprob: triple[0] as number, id: triple[1] as number };
  });
}

/** The alternatives of every token a message carries (`output_top_logprobs` runs beside `output_token_logprobs`). */
function readTopLogprobs(meta: Record<string, unknown>, tokens: number, wanted: number): TopLogprob[][] {
  return checkTopLogprobs(tokens, meta.output_top_logprobs, wanted, readAlternatives);
}

/** The constraint in SGLang's `sampling_params` fields (json_object is the schema of any object, as SGLang's own OpenAI server sends it). */
function constraintFields(constraint: GenerationConstraint): Partial<SglangSamplingParamsDto> {
  switch (constraint.kind) {
    case 'json_object':
      return { json_schema: '{"type":"object"}' };
    case 'json_schema':
      return { json_schema: JSON.stringify(constraint.schema) };
    case 'regex':
      return { regex: constraint.pattern };
    case 'ebnf':
      return { ebnf: constraint.grammar };
    case 'structural_tag':
      return { structural_tag: JSON.stringify(constraint.tag) };
  }
}

/** An abort without a status and without new tokens (waiting queue, before prefill) carries no evidence: nothing to check. */
function isEmptyAbort(finish: SegmentFinish | null, freshTokens: number): boolean {
  return finish?.stop === 'abort' && freshTokens === 0;
}

function extras(meta: Record<string, unknown>, tokens: number): Pick<SegmentFinish, 'versionSpans' | 'cachedTokens'> {
  const out: Pick<SegmentFinish, 'versionSpans' | 'cachedTokens'> = {};
  const spans = readVersionSpans(meta.weight_versions, tokens);
  if (spans) out.versionSpans = spans;
  if (Number.isInteger(meta.cached_tokens)) out.cachedTokens = meta.cached_tokens as number;
  return out;
}

const EMPTY: SegmentTokens = { tokens: [], logprobs: [], engineVersion: null };

/** SGLang's native `/generate` protocol and its control endpoints. */
export class SglangBackend implements EngineBackend {
  readonly name = 'sglang' as const;
  readonly generatePath = '/generate';

  /**
   * `abort` drains: every in-flight request returns with its tokens (the bridge resubmits them).
   * Before releasing memory AReaL also sets the scheduler's pause flag with `in_place`, which the
   * abort path never sets; `in_place`/`retract` alone freeze requests where they are.
   */
  pauseCalls(mode: PauseMode): EngineCall[] {
    return [
      { method: 'POST', path: '/pause_generation', body: JSON.stringify({ mode } satisfies SglangPauseRequestDto) },
    ];
  }

  resumeCall(): EngineCall {
    return { method: 'POST', path: '/continue_generation', body: '{}' };
  }

  offloadCall(): EngineCall {
    return { method: 'POST', path: '/release_memory_occupation', body: '{}' };
  }

  onloadCall(tags: string[] | null): EngineCall {
    return { method: 'POST', path: '/resume_memory_occupation', body: JSON.stringify(tags ? { tags } : {}) };
  }

  /** Without `--enable-memory-saver` SGLang's release answers 200 and frees nothing. */
  memoryCheck(): { call: EngineCall; lacks: (status: number, body: unknown) => string | null } {
    return {
      call: { method: 'GET', path: '/get_server_info' },
      lacks: (status, body) =>
        status === 200 && isJsonObject(body) && body.enable_memory_saver === true
          ? null
          : '--enable-memory-saver (without it release_memory_occupation frees no GPU memory)',
    };
  }

  buildRequest(request: SegmentRequest): EngineRequestParts {
    const { sampling } = request;
    const params: SglangSamplingParamsDto = {
      ...sharedSamplingFields(sampling),
      max_new_tokens: request.maxNewTokens,
      frequency_penalty: sampling.frequencyPenalty,
    };
    if (sampling.seed !== null) params.sampling_seed = sampling.seed;
    if (sampling.constraint) Object.assign(params, constraintFields(sampling.constraint));
    const rest: Omit<SglangGenerateRequestDto, 'input_ids'> = {
      rid: request.rid,
      image_data: null,
      sampling_params: params,
      return_logprob: true,
      stream: request.stream,
    };
    if (sampling.topLogprobs > 0) rest.top_logprobs_num = sampling.topLogprobs;
    return { promptField: 'input_ids', rest };
  }

  parseResponse(body: unknown, topLogprobs: number): SegmentResult {
    if (!isJsonObject(body) || !isJsonObject(body.meta_info))
      throw new EngineProtocolError('SGLang reply has no meta_info');
    const meta = body.meta_info;
    const finish = readFinish(meta);
    if (!finish) throw new EngineProtocolError('SGLang reply has a null finish_reason');
    const completion = Number.isInteger(meta.completion_tokens) ? (meta.completion_tokens as number) : null;
    if (isEmptyAbort(finish, completion ?? (Array.isArray(body.output_ids) ? body.output_ids.length : 0)))
      return { ...EMPTY, ...finish };
    const { tokens, logprobs } = readTokens(body, meta);
    const result: SegmentResult = {
      tokens,
      logprobs,
      engineVersion: parseEngineVersion(meta.weight_version),
      ...finish,
      ...extras(meta, tokens.length),
    };
    if (topLogprobs > 0) result.topLogprobs = readTopLogprobs(meta, tokens.length, topLogprobs);
    return result;
  }

  createStreamParser(topLogprobs: number): StreamEventParser {
    let seen = 0;
    return (event) => {
      if (!isJsonObject(event)) throw new EngineProtocolError('SGLang stream event is not an object');
      // A tokenizer-side ValueError (prompt too long, bad parameter) arrives as one error chunk.
      if (isJsonObject(event.error)) {
        const code = event.error.code;
        const message = typeof event.error.message === 'string' ? event.error.message : 'SGLang refused the request';
        throw new EngineRequestError(typeof code === 'number' && code >= 400 && code < 600 ? code : 400, message);
      }
      if (!isJsonObject(event.meta_info)) throw new EngineProtocolError('SGLang stream event has no meta_info');
      const meta = event.meta_info;
      const finish = readFinish(meta);
      // Cumulative (default) and incremental streaming both end with the newest tokens; how many
      // are new follows from completion_tokens, which is always cumulative.
      const total = Number.isInteger(meta.completion_tokens) ? (meta.completion_tokens as number) : null;
      if (finish && isEmptyAbort(finish, (total ?? seen) - seen)) return { finish };
      const { tokens, logprobs } = readTokens(event, meta);
      const fresh = Math.max(0, Math.min((total ?? seen + tokens.length) - seen, tokens.length));
      seen += fresh;
      const arrived: SegmentTokens = {
        tokens: fresh === tokens.length ? tokens : tokens.slice(tokens.length - fresh),
        logprobs: fresh === logprobs.length ? logprobs : logprobs.slice(logprobs.length - fresh),
        engineVersion: parseEngineVersion(meta.weight_version),
      };
      if (topLogprobs > 0) {
        const top = readTopLogprobs(meta, tokens.length, topLogprobs);
        arrived.topLogprobs = fresh === top.length ? top : top.slice(top.length - fresh);
      }
      return { tokens: arrived, finish: finish ? { ...finish, ...extras(meta, total ?? seen) } : undefined };
    };
  }

  abortCall(rid: string): EngineCall {
    return { method: 'POST', path: '/abort_request', body: JSON.stringify({ rid } satisfies SglangAbortRequestDto) };
  }
}

import type { VLLM_PAUSE_APIS } from '@app/common';
import {
  checkLogprobs,
  checkTopLogprobs,
  EngineProtocolError,
  sharedSamplingFields,
  EngineRequestError,
  type EngineBackend,
  type EngineCall,
  type SegmentFinish,
  type EngineRequestParts,
  type SegmentRequest,
  type SegmentResult,
  type StreamEventParser,
  type GenerationConstraint,
  type SegmentTokens,
  type TopLogprob,
} from './engine-backend.js';
import type { VllmCompletionRequestDto, VllmStructuredOutputsDto } from '@app/contracts';
import { isJsonObject } from '@app/common';

/** vLLM's clamp for a log-prob it could not compute: never real sampling evidence. */
const VLLM_LOGPROB_SENTINEL = -9999.0;

/** Which pause endpoints the vLLM server has: AReaL's entrypoint, or stock vLLM's dev-mode ones. */
export type VllmPauseApi = (typeof VLLM_PAUSE_APIS)[number];

function readChoice(body: unknown): Record<string, unknown> {
  if (!isJsonObject(body) || !Array.isArray(body.choices)) throw new EngineProtocolError('vLLM reply has no choices');
  const choice = body.choices[0] as unknown;
  if (!isJsonObject(choice)) throw new EngineProtocolError('vLLM reply has an empty choices list');
  return choice;
}

/** `stop`, `length`, `abort`; `repetition` (repetition detection) ends like a stop; `error` fails the request. */
function readFinish(choice: Record<string, unknown>): SegmentFinish | null {
  const reason = choice.finish_reason;
  if (reason === null || reason === undefined) return null;
  if (reason === 'error') throw new EngineRequestError(502, 'vLLM finished the request with an error');
  if (reason === 'repetition') return { stop: 'stop', matchedStop: null };
  if (reason !== 'stop' && reason !== 'length' && reason !== 'abort') {
    throw new EngineProtocolError(`vLLM finish_reason ${JSON.stringify(reason)} is not one vLLM documents`);
  }
  return { stop: reason, matchedStop: typeof choice.stop_reason === 'string' ? choice.stop_reason : null };
}

/** `token_id:9707` → 9707. */
function tokenId(label: unknown): number {
  if (typeof label !== 'string') throw new EngineProtocolError('vLLM token is not a string');
  const id = Number(label.slice(label.indexOf(':') + 1));
  if (!label.startsWith('token_id:') || !Number.isInteger(id)) {
    throw new EngineProtocolError(`vLLM token "${label}" is not token_id:N (set return_tokens_as_token_ids)`);
  }
  return id;
}

/**
 * One position of `top_logprobs`: `{"token_id:N": logprob}` with the sampled token first, then the
 * most likely; as alternatives, most likely first (the sampled token keeps its rank, or is dropped
 * when it is not among them). vLLM's -9999.0 clamp is no log-prob and is refused.
 */
function readAlternatives(entry: unknown, position: number): TopLogprob[] {
  if (!isJsonObject(entry))
    throw new EngineProtocolError(`vLLM top_logprobs[${position}] is not an object of token_id:N → logprob`);
  const out: TopLogprob[] = [];
  for (const [label, logprob] of Object.entries(entry)) {
    if (logprob === VLLM_LOGPROB_SENTINEL)
      throw new EngineProtocolError(
        `vLLM top_logprobs[${position}] holds -9999.0, which may represent a missing or clamped logprob.`,
      );
    out.push({ id: tokenId(label), logprob: logprob as number });
  }
  return out.sort((a, b) => b.logprob - a.logprob);
}

/** vLLM's `structured_outputs` for a constraint (0.10.2 and later; older servers ignore the field). */
function structuredOutputs(constraint: GenerationConstraint): VllmStructuredOutputsDto {
  switch (constraint.kind) {
    case 'json_object':
      return { json_object: true };
    case 'json_schema':
      return { json: constraint.schema };
    case 'regex':
      return { regex: constraint.pattern };
    case 'ebnf':
      return { grammar: constraint.grammar };
    case 'structural_tag':
      return { structural_tag: JSON.stringify(constraint.tag) };
  }
}

/** Output tokens and their log-probs, validated: -9999.0 first (vLLM's sentinel), then count and type. */
function readTokens(
  choice: Record<string, unknown>,
  finish: SegmentFinish | null,
  topLogprobs: number,
): Omit<SegmentTokens, 'engineVersion'> {
  const logprobs = choice.logprobs;
  if (logprobs === null || logprobs === undefined) {
    // An abort before any token carries no log-probs at all: an empty segment, not a failure.
    if (finish?.stop === 'abort' || (typeof choice.text === 'string' && choice.text.length === 0))
      return { tokens: [], logprobs: [] };
    throw new EngineProtocolError('vLLM reply has no logprobs (send logprobs: 0)');
  }
  if (!isJsonObject(logprobs)) throw new EngineProtocolError('vLLM logprobs is not an object');
  let labels: unknown[];
  let values: unknown[];
  if (Array.isArray(logprobs.tokens)) {
    labels = logprobs.tokens;
    values = Array.isArray(logprobs.token_logprobs) ? logprobs.token_logprobs : [];
  } else if (Array.isArray(logprobs.content)) {
    const entries = logprobs.content as Record<string, unknown>[];
    labels = entries.map((e) => (isJsonObject(e) ? e.token : undefined));
    values = entries.map((e) => (isJsonObject(e) ? e.logprob : undefined));
  } else {
    throw new EngineProtocolError('Unexpected vLLM response format.');
  }
  if (finish?.stop === 'abort' && labels.length === 0) return { tokens: [], logprobs: [] };
  const clamped = values.indexOf(VLLM_LOGPROB_SENTINEL);
  if (clamped >= 0) {
    throw new EngineProtocolError(
      `vLLM output_logprobs[${clamped}] is -9999.0, which may represent a missing or clamped logprob; exact sampling evidence is required.`,
    );
  }
  const read: Omit<SegmentTokens, 'engineVersion'> = {
    tokens: labels.map(tokenId),
    logprobs: checkLogprobs(labels.length, values),
  };
  if (topLogprobs > 0)
    read.topLogprobs = checkTopLogprobs(labels.length, logprobs.top_logprobs, topLogprobs, readAlternatives);
  return read;
}

function cachedTokens(body: Record<string, unknown>): number | undefined {
  const usage = body.usage;
  if (!isJsonObject(usage) || !isJsonObject(usage.prompt_tokens_details)) return undefined;
  const cached = usage.prompt_tokens_details.cached_tokens;
  return Number.isInteger(cached) ? (cached as number) : undefined;
}

/** An error body or chunk (`{"error": {message, code}}`): a request error for a 4xx, else the engine failed. */
export function vllmError(error: unknown): EngineRequestError {
  const obj = isJsonObject(error) ? error : {};
  const code = typeof obj.code === 'number' ? obj.code : 500;
  const message = typeof obj.message === 'string' ? obj.message : 'vLLM reported an error';
  return new EngineRequestError(code >= 400 && code < 500 ? code : 502, message);
}

/**
 * vLLM's `/v1/completions` with token-id prompts. Pausing uses AReaL's entrypoint extension
 * (`/areal_pause_generation`) or stock vLLM's `/pause?mode=abort` (`VLLM_SERVER_DEV_MODE=1`).
 */
export class VllmBackend implements EngineBackend {
  readonly name = 'vllm' as const;
  readonly generatePath = '/v1/completions';

  constructor(private readonly pauseApi: VllmPauseApi = 'areal') {}

  /** vLLM's pause aborts in flight in every form the data proxy uses (its `keep` has no SGLang twin here). */
  pauseCalls(): EngineCall[] {
    return [
      this.pauseApi === 'stock'
        ? { method: 'POST', path: '/pause?mode=abort', body: '' }
        : { method: 'POST', path: '/areal_pause_generation', body: '{}' },
    ];
  }

  resumeCall(): EngineCall {
    return this.pauseApi === 'stock'
      ? { method: 'POST', path: '/resume', body: '' }
      : { method: 'POST', path: '/areal_continue_generation', body: '{}' };
  }

  /** vLLM's sleep mode (dev-mode server). It answers with an empty body: only the status counts. */
  offloadCall(): EngineCall {
    return { method: 'POST', path: '/sleep', body: '' };
  }

  onloadCall(tags: string[] | null): EngineCall {
    const query = tags && tags.length > 0 ? `?${tags.map((t) => `tags=${encodeURIComponent(t)}`).join('&')}` : '';
    return { method: 'POST', path: `/wake_up${query}`, body: '' };
  }

  /** `/sleep` and `/wake_up` exist only on a dev-mode server; `/is_sleeping` tells without side effects. */
  memoryCheck(): { call: EngineCall; lacks: (status: number, body: unknown) => string | null } {
    return {
      call: { method: 'GET', path: '/is_sleeping' },
      lacks: (status) =>
        status === 200
          ? null
          : 'VLLM_SERVER_DEV_MODE=1 and --enable-sleep-mode (without them /sleep and /wake_up do not exist)',
    };
  }

  buildRequest(request: SegmentRequest): EngineRequestParts {
    const { sampling } = request;
    const body: Omit<VllmCompletionRequestDto, 'prompt'> = {
      ...sharedSamplingFields(sampling),
      max_tokens: request.maxNewTokens,
      return_tokens_as_token_ids: true,
      logprobs: sampling.topLogprobs,
      use_beam_search: false,
      stream: request.stream,
    };
    // The final usage chunk is the only place a stream reports cached prompt tokens.
    if (request.stream) body.stream_options = { include_usage: true };
    // The reference drops stop strings and this for vLLM; vLLM's completions API supports both.
    if (sampling.frequencyPenalty !== 0) body.frequency_penalty = sampling.frequencyPenalty;
    if (sampling.seed !== null) body.seed = sampling.seed;
    if (sampling.constraint) body.structured_outputs = structuredOutputs(sampling.constraint);
    return { promptField: 'prompt', rest: body };
  }

  parseResponse(body: unknown, topLogprobs: number): SegmentResult {
    const choice = readChoice(body);
    const finish = readFinish(choice);
    if (!finish) throw new EngineProtocolError('vLLM reply has a null finish_reason');
    const cached = cachedTokens(body as Record<string, unknown>);
    return {
      ...readTokens(choice, finish, topLogprobs),
      ...finish,
      engineVersion: null,
      ...(cached !== undefined ? { cachedTokens: cached } : {}),
    };
  }

  /** Deltas; the finish arrives before the usage chunk, so the cached count is attached to the finish when it comes. */
  createStreamParser(topLogprobs: number): StreamEventParser {
    let finished: SegmentFinish | null = null;
    return (event) => {
      if (!isJsonObject(event)) throw new EngineProtocolError('vLLM stream event is not an object');
      if (event.error !== undefined) throw vllmError(event.error);
      if (Array.isArray(event.choices) && event.choices.length === 0) {
        const cached = cachedTokens(event);
        if (finished && cached !== undefined) finished.cachedTokens = cached;
        return {};
      }
      const choice = readChoice(event);
      const finish = readFinish(choice);
      if (finish) finished = finish;
      return {
        tokens: { ...readTokens(choice, finish, topLogprobs), engineVersion: null },
        finish: finish ?? undefined,
      };
    };
  }

  abortCall(): null {
    // vLLM aborts a request when its connection closes.
    return null;
  }
}

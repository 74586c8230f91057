import {
  EngineProtocolError,
  isObject,
  type EngineBackend,
  type SegmentFinish,
  type SegmentRequest,
  type SegmentResult,
  type StreamEventParser,
} from './engine-backend.js';

function readChoice(body: unknown): Record<string, unknown> {
  if (!isObject(body) || !Array.isArray(body.choices)) throw new EngineProtocolError('vLLM reply has no choices');
  const choice = body.choices[0] as unknown;
  if (!isObject(choice)) throw new EngineProtocolError('vLLM reply has an empty choices list');
  return choice;
}

function readFinish(choice: Record<string, unknown>): SegmentFinish | null {
  const reason = choice.finish_reason;
  if (reason === null || reason === undefined) return null;
  if (reason !== 'stop' && reason !== 'length' && reason !== 'abort') {
    throw new EngineProtocolError(`vLLM finish_reason ${JSON.stringify(reason)} is not stop, length or abort`);
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

function readLogprobs(
  choice: Record<string, unknown>,
  finish: SegmentFinish | null,
): { tokens: number[]; logprobs: number[] } {
  const logprobs = choice.logprobs;
  if (logprobs === null || logprobs === undefined) {
    // Some abort paths carry no log-probs at all: that is an empty segment, not a crash.
    if (finish?.stop === 'abort' || (typeof choice.text === 'string' && choice.text.length === 0))
      return { tokens: [], logprobs: [] };
    throw new EngineProtocolError('vLLM reply has no logprobs (send logprobs: 0)');
  }
  if (!isObject(logprobs)) throw new EngineProtocolError('vLLM logprobs is not an object');
  if (Array.isArray(logprobs.tokens)) {
    const values = Array.isArray(logprobs.token_logprobs) ? logprobs.token_logprobs : [];
    return { tokens: logprobs.tokens.map(tokenId), logprobs: logprobs.tokens.map((_, i) => Number(values[i] ?? 0)) };
  }
  if (Array.isArray(logprobs.content)) {
    const entries = logprobs.content as Record<string, unknown>[];
    return { tokens: entries.map((e) => tokenId(e.token)), logprobs: entries.map((e) => Number(e.logprob ?? 0)) };
  }
  throw new EngineProtocolError('Unexpected vLLM response format.');
}

/** vLLM's `/v1/completions` with token-id prompts, plus AReaL's pause extension (spec §8.4). */
export class VllmBackend implements EngineBackend {
  readonly name = 'vllm' as const;
  readonly generatePath = '/v1/completions';
  readonly pausePath = '/areal_pause_generation';
  readonly resumePath = '/areal_continue_generation';

  /** vLLM's sleep mode (its dev-mode server). It answers with an empty body: only the status counts. */
  offloadRequest(): { path: string; body: string } {
    return { path: '/sleep', body: '{}' };
  }

  onloadRequest(tags: string[] | null): { path: string; body: string } {
    const query = tags && tags.length > 0 ? `?${tags.map((t) => `tags=${encodeURIComponent(t)}`).join('&')}` : '';
    return { path: `/wake_up${query}`, body: '{}' };
  }

  buildRequest(request: SegmentRequest): Record<string, unknown> {
    const { sampling } = request;
    const body: Record<string, unknown> = {
      top_p: sampling.topP,
      top_k: sampling.topK,
      max_tokens: request.maxNewTokens,
      temperature: sampling.temperature,
      stop_token_ids: sampling.stopTokenIds,
      ignore_eos: sampling.ignoreEos,
      skip_special_tokens: sampling.skipSpecialTokens,
      return_tokens_as_token_ids: true,
      logprobs: 0,
      use_beam_search: false,
      stream: request.stream,
      prompt: request.promptIds,
    };
    // The reference drops these for vLLM; vLLM's completions API supports both.
    if (sampling.stop.length > 0) body.stop = sampling.stop;
    if (sampling.frequencyPenalty !== 0) body.frequency_penalty = sampling.frequencyPenalty;
    return body;
  }

  parseResponse(body: unknown): SegmentResult {
    const choice = readChoice(body);
    const finish = readFinish(choice);
    if (!finish) throw new EngineProtocolError('vLLM reply has a null finish_reason');
    return { ...readLogprobs(choice, finish), ...finish, engineVersion: null };
  }

  createStreamParser(): StreamEventParser {
    return (event) => {
      if (!isObject(event)) throw new EngineProtocolError('vLLM stream event is not an object');
      if (isObject(event.error)) throw new EngineProtocolError(`vLLM stream error: ${String(event.error.message)}`);
      if (Array.isArray(event.choices) && event.choices.length === 0) return {}; // the usage chunk
      const choice = readChoice(event);
      const finish = readFinish(choice) ?? undefined;
      const hasLogprobs = choice.logprobs !== null && choice.logprobs !== undefined;
      const { tokens, logprobs } = hasLogprobs ? readLogprobs(choice, finish ?? null) : { tokens: [], logprobs: [] };
      return { tokens: { tokens, logprobs, engineVersion: null }, finish };
    };
  }

  abortRequest(): null {
    // vLLM aborts a request when its connection closes.
    return null;
  }
}

import {
  EngineProtocolError,
  isObject,
  parseEngineVersion,
  type EngineBackend,
  type SegmentFinish,
  type SegmentRequest,
  type SegmentResult,
  type StreamEventParser,
} from './engine-backend.js';

function readFinish(meta: Record<string, unknown>): SegmentFinish | null {
  const reason = meta.finish_reason;
  if (reason === null || reason === undefined) return null;
  if (!isObject(reason) || typeof reason.type !== 'string')
    throw new EngineProtocolError('SGLang finish_reason has no type');
  const type = reason.type;
  if (type !== 'stop' && type !== 'length' && type !== 'abort') {
    throw new EngineProtocolError(`SGLang finish_reason.type "${type}" is not stop, length or abort`);
  }
  return { stop: type, matchedStop: typeof reason.matched === 'string' ? reason.matched : null };
}

/** Reads `[logprob, token_id, text]` triples. */
function readLogprobs(meta: Record<string, unknown>): { tokens: number[]; logprobs: number[] } {
  const triples = meta.output_token_logprobs;
  if (triples === undefined || triples === null) return { tokens: [], logprobs: [] };
  if (!Array.isArray(triples)) throw new EngineProtocolError('SGLang output_token_logprobs is not a list');
  const tokens: number[] = new Array<number>(triples.length);
  const logprobs: number[] = new Array<number>(triples.length);
  for (let i = 0; i < triples.length; i++) {
    const triple = triples[i] as unknown;
    if (
      !Array.isArray(triple) ||
      typeof triple[1] !== 'number' ||
      (typeof triple[0] !== 'number' && triple[0] !== null)
    ) {
      throw new EngineProtocolError('SGLang output_token_logprobs entries must be [logprob, token_id, text]');
    }
    tokens[i] = triple[1];
    logprobs[i] = typeof triple[0] === 'number' ? triple[0] : 0;
  }
  return { tokens, logprobs };
}

/** SGLang's native `/generate` protocol (spec §8.3). */
export class SglangBackend implements EngineBackend {
  readonly name = 'sglang' as const;
  readonly generatePath = '/generate';
  readonly pausePath = '/pause_generation';
  readonly resumePath = '/continue_generation';

  offloadRequest(): { path: string; body: string } {
    return { path: '/release_memory_occupation', body: '{}' };
  }

  onloadRequest(tags: string[] | null): { path: string; body: string } {
    return { path: '/resume_memory_occupation', body: JSON.stringify(tags ? { tags } : {}) };
  }

  buildRequest(request: SegmentRequest): Record<string, unknown> {
    const { sampling } = request;
    const params: Record<string, unknown> = {
      top_p: sampling.topP,
      top_k: sampling.topK,
      max_new_tokens: request.maxNewTokens,
      temperature: sampling.temperature,
      stop_token_ids: sampling.stopTokenIds,
      ignore_eos: sampling.ignoreEos,
      skip_special_tokens: sampling.skipSpecialTokens,
      frequency_penalty: sampling.frequencyPenalty,
    };
    if (sampling.stop.length > 0) params.stop = sampling.stop;
    return {
      rid: request.rid,
      input_ids: request.promptIds,
      image_data: null,
      sampling_params: params,
      return_logprob: true,
      stream: request.stream,
    };
  }

  parseResponse(body: unknown): SegmentResult {
    if (!isObject(body) || !isObject(body.meta_info)) throw new EngineProtocolError('SGLang reply has no meta_info');
    const meta = body.meta_info;
    const finish = readFinish(meta);
    if (!finish) throw new EngineProtocolError('SGLang reply has a null finish_reason');
    return { ...readLogprobs(meta), ...finish, engineVersion: parseEngineVersion(meta.weight_version) };
  }

  createStreamParser(): StreamEventParser {
    let seen = 0;
    return (event) => {
      if (!isObject(event)) throw new EngineProtocolError('SGLang stream event is not an object');
      if (isObject(event.error)) throw new EngineProtocolError(`SGLang stream error: ${String(event.error.message)}`);
      if (!isObject(event.meta_info)) throw new EngineProtocolError('SGLang stream event has no meta_info');
      const meta = event.meta_info;
      const { tokens, logprobs } = readLogprobs(meta);
      // Cumulative (default) and incremental streaming both end with the newest tokens; how many
      // are new follows from completion_tokens.
      const total = typeof meta.completion_tokens === 'number' ? meta.completion_tokens : seen + tokens.length;
      const fresh = Math.max(0, Math.min(total - seen, tokens.length));
      seen = total;
      const finish = readFinish(meta) ?? undefined;
      return {
        tokens: {
          tokens: tokens.slice(tokens.length - fresh),
          logprobs: logprobs.slice(logprobs.length - fresh),
          engineVersion: parseEngineVersion(meta.weight_version),
        },
        finish,
      };
    };
  }

  abortRequest(rid: string): { path: string; body: Record<string, unknown> } {
    return { path: '/abort_request', body: { rid } };
  }
}

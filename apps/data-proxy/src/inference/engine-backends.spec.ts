import { describe, expect, it } from '@jest/globals';
import {
  EngineProtocolError,
  EngineRequestError,
  NEUTRAL_SAMPLING,
  type EngineSampling,
  type SegmentRequest,
} from './engine-backend.js';
import { SglangBackend } from './sglang-backend.js';
import { VllmBackend } from './vllm-backend.js';

const SAMPLING: EngineSampling = {
  temperature: 1,
  topP: 1,
  topK: -1,
  stop: [],
  stopTokenIds: [],
  frequencyPenalty: 0,
  ignoreEos: false,
  skipSpecialTokens: true,
  seed: 42,
  ...NEUTRAL_SAMPLING,
};
/** The error `fn` throws (fails the test when it throws none). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

const REQUEST: SegmentRequest = { rid: 'r', promptIds: [1, 2], maxNewTokens: 8, sampling: SAMPLING, stream: false };

function sglang(ids: number[], finish: Record<string, unknown>, meta: Record<string, unknown> = {}) {
  return {
    text: '',
    output_ids: ids,
    meta_info: {
      id: 'r',
      finish_reason: finish,
      prompt_tokens: 2,
      completion_tokens: ids.length,
      cached_tokens: 0,
      weight_version: 'default',
      output_token_logprobs: ids.map((id) => [-0.5, id, null]),
      ...meta,
    },
  };
}

function vllm(ids: number[], finish: string, logprobs: unknown[] = ids.map(() => -0.5)) {
  return {
    choices: [
      {
        index: 0,
        text: 'x',
        finish_reason: finish,
        logprobs: { tokens: ids.map((id) => `token_id:${id}`), token_logprobs: logprobs },
      },
    ],
    usage: { prompt_tokens: 2, completion_tokens: ids.length, prompt_tokens_details: { cached_tokens: 16 } },
  };
}

describe(SglangBackend.name, () => {
  const backend = new SglangBackend();

  it('sends the seed as sampling_params.sampling_seed', () => {
    expect((backend.buildRequest(REQUEST).sampling_params as Record<string, unknown>).sampling_seed).toBe(42);
  });

  it('an abort with a status_code is a request error; one without is an ordinary abort', () => {
    const failed = () =>
      backend.parseResponse(sglang([], { type: 'abort', message: 'Invalid grammar', status_code: 400 }));
    expect(failed).toThrow(EngineRequestError);
    expect(failed).toThrow('Invalid grammar');
    expect(backend.parseResponse(sglang([5], { type: 'abort', message: 'Aborted', status_code: null })).stop).toBe(
      'abort',
    );
  });

  it('accepts a waiting-queue abort with no tokens and no evidence, whatever its message', () => {
    for (const message of ['Abort in waiting queue', 'Abort before prefill', 'anything']) {
      const body = {
        output_ids: [],
        meta_info: { id: 'r', finish_reason: { type: 'abort', message }, completion_tokens: 0 },
      };
      expect(backend.parseResponse(body)).toEqual(expect.objectContaining({ tokens: [], logprobs: [], stop: 'abort' }));
    }
  });

  it('requires exact evidence: log-probs present, one real number per token, ids that agree; 0 is valid', () => {
    const missing = sglang([5], { type: 'stop' });
    delete (missing.meta_info as Record<string, unknown>).output_token_logprobs;
    expect(() => backend.parseResponse(missing)).toThrow('output_token_logprobs is missing');
    for (const bad of [null, true, 'x', Number.NaN]) {
      const body = sglang(
        [5, 6],
        { type: 'stop' },
        {
          output_token_logprobs: [
            [-1, 5, null],
            [bad, 6, null],
          ],
        },
      );
      expect(() => backend.parseResponse(body)).toThrow(/output_logprobs\[1\] must be a real, finite number/);
    }
    const short = sglang([5, 6], { type: 'stop' }, { output_token_logprobs: [[-1, 5, null]] });
    expect(() => backend.parseResponse(short)).toThrow('received 2 output tokens but 1 output logprobs');
    const swapped = sglang(
      [5, 6],
      { type: 'stop' },
      {
        output_token_logprobs: [
          [-1, 6, null],
          [-1, 5, null],
        ],
      },
    );
    expect(() => backend.parseResponse(swapped)).toThrow(EngineProtocolError);
    const zero = sglang([5], { type: 'stop' }, { output_token_logprobs: [[0, 5, null]] });
    expect(backend.parseResponse(zero).logprobs).toEqual([0]);
  });

  it('reads weight_versions spans and cached tokens; refuses spans that do not tile the output', () => {
    const spans = [
      { version: '3', start: 0, end: 2 },
      { version: '4', start: 2, end: 3 },
    ];
    const result = backend.parseResponse(
      sglang([5, 6, 7], { type: 'length' }, { weight_versions: spans, cached_tokens: 32 }),
    );
    expect(result.versionSpans).toEqual([
      { version: 3, start: 0, end: 2 },
      { version: 4, start: 2, end: 3 },
    ]);
    expect(result.cachedTokens).toBe(32);
    const gap = [{ version: '3', start: 1, end: 3 }];
    expect(() => backend.parseResponse(sglang([5, 6, 7], { type: 'length' }, { weight_versions: gap }))).toThrow(
      EngineProtocolError,
    );
  });

  it('streams: cumulative and incremental chunks give each token once; an error chunk is a 400', () => {
    const cumulative = backend.createStreamParser();
    expect(cumulative(sglang([5], { type: 'x' }, { finish_reason: null })).tokens?.tokens).toEqual([5]);
    expect(cumulative(sglang([5, 6, 7], { type: 'stop' })).tokens?.tokens).toEqual([6, 7]);
    const incremental = backend.createStreamParser();
    const delta = (ids: number[], total: number, finish: unknown) =>
      incremental({
        output_ids: ids,
        meta_info: {
          finish_reason: finish,
          completion_tokens: total,
          output_token_logprobs: ids.map((id) => [-1, id, null]),
        },
      });
    expect(delta([5], 1, null).tokens?.tokens).toEqual([5]);
    expect(delta([6], 2, null).tokens?.tokens).toEqual([6]);
    // A waiting-queue abort chunk that repeats the last token adds nothing.
    expect(delta([6], 2, { type: 'abort', message: 'Abort in waiting queue' }).tokens).toBeUndefined();
    const errored = thrown(() => backend.createStreamParser()({ error: { message: 'too long' } }));
    expect(errored).toBeInstanceOf(EngineRequestError);
    expect((errored as EngineRequestError).status).toBe(400);
  });
});

describe(VllmBackend.name, () => {
  it('sends the seed top level and asks streams for the usage chunk', () => {
    const backend = new VllmBackend();
    expect(backend.buildRequest(REQUEST).seed).toBe(42);
    expect(backend.buildRequest({ ...REQUEST, stream: true }).stream_options).toEqual({ include_usage: true });
  });

  it('pauses through AReaL’s entrypoint or stock vLLM', () => {
    expect(new VllmBackend('areal').pauseCalls()[0].path).toBe('/areal_pause_generation');
    expect(new VllmBackend('stock').pauseCalls()[0].path).toBe('/pause?mode=abort');
    expect(new VllmBackend('stock').resumeCall().path).toBe('/resume');
  });

  it('refuses -9999.0 first, then counts and types; accepts 0 and an empty abort', () => {
    const backend = new VllmBackend();
    expect(() => backend.parseResponse(vllm([5, 6], 'stop', [-0.1, -9999.0]))).toThrow(
      'vLLM output_logprobs[1] is -9999.0, which may represent a missing or clamped logprob',
    );
    expect(() => backend.parseResponse(vllm([5, 6], 'stop', [-0.1]))).toThrow('received 2 output tokens but 1');
    expect(() => backend.parseResponse(vllm([5], 'stop', [null]))).toThrow('must be a real, finite number');
    expect(() => backend.parseResponse(vllm([5], 'stop', [false]))).toThrow('must be a real, finite number');
    expect(backend.parseResponse(vllm([5], 'stop', [0])).logprobs).toEqual([0]);
    expect(backend.parseResponse(vllm([], 'abort', [])).tokens).toEqual([]);
    expect(backend.parseResponse(vllm([5], 'stop')).cachedTokens).toBe(16);
  });

  it('repetition ends like a stop; error fails the request; an error chunk keeps a 4xx', () => {
    const backend = new VllmBackend();
    expect(backend.parseResponse(vllm([5], 'repetition')).stop).toBe('stop');
    expect(() => backend.parseResponse(vllm([5], 'error'))).toThrow(EngineRequestError);
    const parse = backend.createStreamParser();
    expect((thrown(() => parse({ error: { message: 'bad', code: 400 } })) as EngineRequestError).status).toBe(400);
    const failed = thrown(() => parse({ error: { message: 'boom', code: 500 } })) as EngineRequestError;
    expect([failed.status, failed.message]).toEqual([502, 'boom']);
  });
});

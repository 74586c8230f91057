import { describe, expect, it } from '@jest/globals';
import type { SglangGenerateRequestDto, VllmCompletionRequestDto } from '@app/contracts';
import {
  EngineProtocolError,
  EngineRequestError,
  NEUTRAL_SAMPLING,
  type EngineSampling,
  type GenerationConstraint,
  type SegmentRequest,
} from './engine-backend.js';
import { appendIdsJson, engineRequestJson, idsJson, notePromptIdsJson } from './prompt-ids-json.js';
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
const SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const TAG = { type: 'structural_tag', structures: [{ begin: '<f>', schema: SCHEMA, end: '</f>' }], triggers: ['<f>'] };
const CONSTRAINTS: [GenerationConstraint, Record<string, unknown>, Record<string, unknown>][] = [
  [{ kind: 'json_object' }, { json_schema: '{"type":"object"}' }, { json_object: true }],
  [{ kind: 'json_schema', schema: SCHEMA, strict: true }, { json_schema: JSON.stringify(SCHEMA) }, { json: SCHEMA }],
  [{ kind: 'regex', pattern: '\\d+' }, { regex: '\\d+' }, { regex: '\\d+' }],
  [{ kind: 'ebnf', grammar: 'root ::= "a"' }, { ebnf: 'root ::= "a"' }, { grammar: 'root ::= "a"' }],
  [
    { kind: 'structural_tag', tag: TAG },
    { structural_tag: JSON.stringify(TAG) },
    { structural_tag: JSON.stringify(TAG) },
  ],
];
/** The request with these sampling settings. */
const asking = (sampling: Partial<EngineSampling>): SegmentRequest => ({
  ...REQUEST,
  sampling: { ...SAMPLING, ...sampling },
});
/** SGLang `[logprob, id, null]` alternatives for a token. */
const alts = (...pairs: [number, number][]) => pairs.map(([logprob, id]) => [logprob, id, null]);

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

/** What SGLang's backend sends for `request` besides the prompt's ids. */
function sglangFields(request: SegmentRequest): Omit<SglangGenerateRequestDto, 'input_ids'> {
  const parts = new SglangBackend().buildRequest(request);
  if (parts.promptField !== 'input_ids') throw new Error(`SGLang's prompt field is ${parts.promptField}`);
  return parts.rest;
}

/** What vLLM's backend sends for `request` besides the prompt's ids. */
function vllmFields(request: SegmentRequest): Omit<VllmCompletionRequestDto, 'prompt'> {
  const parts = new VllmBackend().buildRequest(request);
  if (parts.promptField !== 'prompt') throw new Error(`vLLM's prompt field is ${parts.promptField}`);
  return parts.rest;
}

describe(SglangBackend.name, () => {
  const backend = new SglangBackend();

  it('sends the seed as sampling_params.sampling_seed', () => {
    expect((sglangFields(REQUEST).sampling_params as Record<string, unknown>).sampling_seed).toBe(42);
  });

  it('an abort with a status_code is a request error; one without is an ordinary abort', () => {
    const failed = () =>
      backend.parseResponse(sglang([], { type: 'abort', message: 'Invalid grammar', status_code: 400 }), 0);
    expect(failed).toThrow(EngineRequestError);
    expect(failed).toThrow('Invalid grammar');
    expect(backend.parseResponse(sglang([5], { type: 'abort', message: 'Aborted', status_code: null }), 0).stop).toBe(
      'abort',
    );
  });

  it('accepts a waiting-queue abort with no tokens and no evidence, whatever its message', () => {
    for (const message of ['Abort in waiting queue', 'Abort before prefill', 'anything']) {
      const body = {
        output_ids: [],
        meta_info: { id: 'r', finish_reason: { type: 'abort', message }, completion_tokens: 0 },
      };
      expect(backend.parseResponse(body, 0)).toEqual(
        expect.objectContaining({ tokens: [], logprobs: [], stop: 'abort' }),
      );
    }
  });

  it('requires exact evidence: log-probs present, one real number per token, ids that agree; 0 is valid', () => {
    const missing = sglang([5], { type: 'stop' });
    delete (missing.meta_info as Record<string, unknown>).output_token_logprobs;
    expect(() => backend.parseResponse(missing, 0)).toThrow('output_token_logprobs is missing');
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
      expect(() => backend.parseResponse(body, 0)).toThrow(/output_logprobs\[1\] must be a real, finite number/);
    }
    const short = sglang([5, 6], { type: 'stop' }, { output_token_logprobs: [[-1, 5, null]] });
    expect(() => backend.parseResponse(short, 0)).toThrow('received 2 output tokens but 1 output logprobs');
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
    expect(() => backend.parseResponse(swapped, 0)).toThrow(EngineProtocolError);
    const zero = sglang([5], { type: 'stop' }, { output_token_logprobs: [[0, 5, null]] });
    expect(backend.parseResponse(zero, 0).logprobs).toEqual([0]);
  });

  it('reads weight_versions spans and cached tokens; refuses spans that do not tile the output', () => {
    const spans = [
      { version: '3', start: 0, end: 2 },
      { version: '4', start: 2, end: 3 },
    ];
    const result = backend.parseResponse(
      sglang([5, 6, 7], { type: 'length' }, { weight_versions: spans, cached_tokens: 32 }),
      0,
    );
    expect(result.versionSpans).toEqual([
      { version: 3, start: 0, end: 2 },
      { version: 4, start: 2, end: 3 },
    ]);
    expect(result.cachedTokens).toBe(32);
    const gap = [{ version: '3', start: 1, end: 3 }];
    expect(() => backend.parseResponse(sglang([5, 6, 7], { type: 'length' }, { weight_versions: gap }), 0)).toThrow(
      EngineProtocolError,
    );
  });

  it('streams: cumulative and incremental chunks give each token once; an error chunk is a 400', () => {
    const cumulative = backend.createStreamParser(0);
    expect(cumulative(sglang([5], { type: 'x' }, { finish_reason: null })).tokens?.tokens).toEqual([5]);
    expect(cumulative(sglang([5, 6, 7], { type: 'stop' })).tokens?.tokens).toEqual([6, 7]);
    const incremental = backend.createStreamParser(0);
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
    const errored = thrown(() => backend.createStreamParser(0)({ error: { message: 'too long' } }));
    expect(errored).toBeInstanceOf(EngineRequestError);
    expect((errored as EngineRequestError).status).toBe(400);
  });
});

describe(`${SglangBackend.name}: penalties, constraints and top log-probs`, () => {
  const backend = new SglangBackend();

  it('sends min_p, presence_penalty and repetition_penalty in sampling_params when set; neutral ones not at all', () => {
    const params = sglangFields(asking({ minP: 0.1, presencePenalty: 0.5, repetitionPenalty: 1.2 })).sampling_params;
    expect(params).toEqual(expect.objectContaining({ min_p: 0.1, presence_penalty: 0.5, repetition_penalty: 1.2 }));
    expect(sglangFields(asking({ presencePenalty: -0.5 })).sampling_params).toEqual(
      expect.objectContaining({ presence_penalty: -0.5 }),
    );
    // 1 is no repetition penalty; 0 and 2 are real ones.
    expect(sglangFields(asking({ repetitionPenalty: 0.8 })).sampling_params?.repetition_penalty).toBe(0.8);
    const neutral = sglangFields(REQUEST).sampling_params ?? {};
    expect(['min_p', 'presence_penalty', 'repetition_penalty'].filter((k) => k in neutral)).toEqual([]);
  });

  it('an unconstrained request without the new fields sends the fields and values it sent before them, the prompt first', () => {
    expect(engineRequestJson(backend.buildRequest(REQUEST), REQUEST.promptIds).json).toBe(
      '{"input_ids":[1,2],"rid":"r","image_data":null,"sampling_params":{"top_p":1,"top_k":-1,"temperature":1,' +
        '"stop_token_ids":[],"ignore_eos":false,"skip_special_tokens":true,"max_new_tokens":8,' +
        '"frequency_penalty":0,"sampling_seed":42},"return_logprob":true,"stream":false}',
    );
  });

  it.each(CONSTRAINTS)('sends %j in its own sampling_params field', (constraint, fields) => {
    const params = sglangFields(asking({ constraint })).sampling_params as Record<string, unknown>;
    expect(params).toEqual(expect.objectContaining(fields));
    const sent = ['json_schema', 'regex', 'ebnf', 'structural_tag'].filter((k) => params[k] !== undefined);
    expect(sent).toEqual(Object.keys(fields));
  });

  it('sends no constraint field and no top_logprobs_num when none is asked for', () => {
    const body = sglangFields(REQUEST);
    expect(body.top_logprobs_num).toBeUndefined();
    expect(
      Object.keys(body.sampling_params ?? {}).filter((k) =>
        ['json_schema', 'regex', 'ebnf', 'structural_tag'].includes(k),
      ),
    ).toEqual([]);
    expect(sglangFields(asking({ topLogprobs: 5 })).top_logprobs_num).toBe(5);
  });

  it('reads meta_info.output_top_logprobs: the alternatives of every token, at most the number asked for', () => {
    const body = sglang(
      [5, 6],
      { type: 'stop' },
      {
        output_top_logprobs: [alts([-0.1, 5], [-2.5, 9], [-3, 4]), alts([-0.2, 6], [-1.9, 8], [-4, 3])],
      },
    );
    expect(backend.parseResponse(body, 2).topLogprobs).toEqual([
      [
        { id: 5, logprob: -0.1 },
        { id: 9, logprob: -2.5 },
      ],
      [
        { id: 6, logprob: -0.2 },
        { id: 8, logprob: -1.9 },
      ],
    ]);
    expect(backend.parseResponse(body, 0).topLogprobs).toBeUndefined();
  });

  it.each([
    ['missing', undefined, 'sent none'],
    ['one list short', [alts([-0.1, 5])], 'top log-probs for 1'],
    ['a null position', [alts([-0.1, 5]), null], 'output_top_logprobs[1]'],
    ['a null log-prob', [alts([-0.1, 5]), [[null, 6, null]]], 'real, finite'],
    ['an infinite log-prob', [alts([-0.1, 5]), [[-Infinity, 6, null]]], 'real, finite'],
    ['a token id that is not an integer', [alts([-0.1, 5]), [[-0.1, 'six', null]]], 'real, finite'],
    ['an entry that is not a triple', [alts([-0.1, 5]), [{ logprob: -0.1, id: 6 }]], 'output_top_logprobs[1]'],
  ])('refuses alternatives that are %s (502 ENGINE_PROTOCOL, nothing recorded)', (_, top, message) => {
    const body = sglang([5, 6], { type: 'stop' }, { output_top_logprobs: top });
    const err = thrown(() => backend.parseResponse(body, 2));
    expect(err).toBeInstanceOf(EngineProtocolError);
    expect((err as Error).message).toContain(message);
  });

  it('streams the alternatives of each new token once, cumulative and incremental', () => {
    const cumulative = backend.createStreamParser(1);
    const first = cumulative(
      sglang([5], { type: 'x' }, { finish_reason: null, output_top_logprobs: [alts([-0.1, 5])] }),
    );
    expect(first.tokens?.topLogprobs).toEqual([[{ id: 5, logprob: -0.1 }]]);
    const second = cumulative(
      sglang([5, 6, 7], { type: 'stop' }, { output_top_logprobs: [alts([-0.1, 5]), alts([-0.2, 6]), alts([-0.3, 7])] }),
    );
    expect(second.tokens?.topLogprobs).toEqual([[{ id: 6, logprob: -0.2 }], [{ id: 7, logprob: -0.3 }]]);
    const incremental = backend.createStreamParser(1);
    const delta = (ids: number[], total: number, top: unknown) =>
      incremental({
        output_ids: ids,
        meta_info: {
          finish_reason: null,
          completion_tokens: total,
          output_token_logprobs: ids.map((id) => [-1, id, null]),
          output_top_logprobs: top,
        },
      });
    expect(delta([5], 1, [alts([-1, 5])]).tokens?.topLogprobs).toEqual([[{ id: 5, logprob: -1 }]]);
    expect(delta([6, 7], 3, [alts([-1, 6]), alts([-1, 7])]).tokens?.topLogprobs).toHaveLength(2);
    const short = thrown(() => delta([8], 4, []));
    expect(short).toBeInstanceOf(EngineProtocolError);
    expect((short as Error).message).toContain('received 1 output tokens but top log-probs for 0');
    const missing = thrown(() => backend.createStreamParser(1)(sglang([5], { type: 'stop' })));
    expect((missing as Error).message).toContain('1 top log-probs per token were asked for but the engine sent none');
    const bad = thrown(() =>
      backend.createStreamParser(1)(sglang([5], { type: 'stop' }, { output_top_logprobs: [[[Number.NaN, 5, null]]] })),
    );
    expect(bad).toBeInstanceOf(EngineProtocolError);
    expect((bad as Error).message).toContain(
      'top log-probs of output token 0 must be token ids with real, finite log-probs',
    );
  });
});

describe(VllmBackend.name, () => {
  it('sends the seed top level and asks streams for the usage chunk', () => {
    expect(vllmFields(REQUEST).seed).toBe(42);
    expect(vllmFields({ ...REQUEST, stream: true }).stream_options).toEqual({ include_usage: true });
  });

  it('pauses through AReaL’s entrypoint or stock vLLM', () => {
    expect(new VllmBackend('areal').pauseCalls()[0].path).toBe('/areal_pause_generation');
    expect(new VllmBackend('stock').pauseCalls()[0].path).toBe('/pause?mode=abort');
    expect(new VllmBackend('stock').resumeCall().path).toBe('/resume');
  });

  it('refuses -9999.0 first, then counts and types; accepts 0 and an empty abort', () => {
    const backend = new VllmBackend();
    expect(() => backend.parseResponse(vllm([5, 6], 'stop', [-0.1, -9999.0]), 0)).toThrow(
      'vLLM output_logprobs[1] is -9999.0, which may represent a missing or clamped logprob',
    );
    expect(() => backend.parseResponse(vllm([5, 6], 'stop', [-0.1]), 0)).toThrow('received 2 output tokens but 1');
    expect(() => backend.parseResponse(vllm([5], 'stop', [null]), 0)).toThrow('must be a real, finite number');
    expect(() => backend.parseResponse(vllm([5], 'stop', [false]), 0)).toThrow('must be a real, finite number');
    expect(backend.parseResponse(vllm([5], 'stop', [0]), 0).logprobs).toEqual([0]);
    expect(backend.parseResponse(vllm([], 'abort', []), 0).tokens).toEqual([]);
    expect(backend.parseResponse(vllm([5], 'stop'), 0).cachedTokens).toBe(16);
  });

  it('repetition ends like a stop; error fails the request; an error chunk keeps a 4xx', () => {
    const backend = new VllmBackend();
    expect(backend.parseResponse(vllm([5], 'repetition'), 0).stop).toBe('stop');
    expect(() => backend.parseResponse(vllm([5], 'error'), 0)).toThrow(EngineRequestError);
    const parse = backend.createStreamParser(0);
    expect((thrown(() => parse({ error: { message: 'bad', code: 400 } })) as EngineRequestError).status).toBe(400);
    const failed = thrown(() => parse({ error: { message: 'boom', code: 500 } })) as EngineRequestError;
    expect([failed.status, failed.message]).toEqual([502, 'boom']);
  });
});

describe(`${VllmBackend.name}: penalties, structured outputs and top log-probs`, () => {
  const backend = new VllmBackend();
  /** A vLLM choice whose `top_logprobs` is `top`. */
  const withTop = (ids: number[], top: unknown) => {
    const body = vllm(ids, 'stop');
    (body.choices[0].logprobs as Record<string, unknown>).top_logprobs = top;
    return body;
  };

  it('sends min_p, presence_penalty and repetition_penalty at the top level when set; neutral ones not at all', () => {
    expect(vllmFields(asking({ minP: 0.05, presencePenalty: -1, repetitionPenalty: 1.1 }))).toEqual(
      expect.objectContaining({ min_p: 0.05, presence_penalty: -1, repetition_penalty: 1.1 }),
    );
    const neutral = vllmFields(REQUEST);
    expect(['min_p', 'presence_penalty', 'repetition_penalty'].filter((k) => k in neutral)).toEqual([]);
  });

  it('an unconstrained request without the new fields sends the fields and values it sent before them, the prompt first', () => {
    expect(engineRequestJson(backend.buildRequest({ ...REQUEST, stream: true }), REQUEST.promptIds).json).toBe(
      '{"prompt":[1,2],"top_p":1,"top_k":-1,"temperature":1,"stop_token_ids":[],"ignore_eos":false,"skip_special_tokens":true,' +
        '"max_tokens":8,"return_tokens_as_token_ids":true,"logprobs":0,"use_beam_search":false,"stream":true,' +
        '"stream_options":{"include_usage":true},"seed":42}',
    );
  });

  it.each(CONSTRAINTS)('sends %j as structured_outputs', (constraint, _sglang, fields) => {
    expect(vllmFields(asking({ constraint })).structured_outputs).toEqual(fields);
    expect(vllmFields(REQUEST).structured_outputs).toBeUndefined();
  });

  it('asks for logprobs: k, and 0 (the sampled token only) when no alternatives are wanted', () => {
    expect(vllmFields(REQUEST).logprobs).toBe(0);
    expect(vllmFields(asking({ topLogprobs: 4 })).logprobs).toBe(4);
  });

  it('reads top_logprobs: most likely first, the sampled token dropped when it is not among the k', () => {
    const body = withTop(
      [5, 6],
      [
        { 'token_id:5': -0.5, 'token_id:9': -0.4, 'token_id:3': -2 },
        { 'token_id:6': -3, 'token_id:8': -0.1, 'token_id:2': -0.2 },
      ],
    );
    expect(backend.parseResponse(body, 2).topLogprobs).toEqual([
      [
        { id: 9, logprob: -0.4 },
        { id: 5, logprob: -0.5 },
      ],
      [
        { id: 8, logprob: -0.1 },
        { id: 2, logprob: -0.2 },
      ],
    ]);
  });

  it.each([
    ['missing', undefined, 'sent none'],
    ['one short', [{ 'token_id:5': -0.5 }], 'top log-probs for 1'],
    ['a null position', [{ 'token_id:5': -0.5 }, null], 'top_logprobs[1]'],
    ['the -9999.0 clamp', [{ 'token_id:5': -0.5 }, { 'token_id:6': -0.5, 'token_id:7': -9999.0 }], '-9999.0'],
    ['a null log-prob', [{ 'token_id:5': -0.5 }, { 'token_id:6': null }], 'real, finite'],
    ['a label that is no token id', [{ 'token_id:5': -0.5 }, { hello: -0.5 }], 'token_id:N'],
  ])('refuses alternatives that are %s', (_, top, message) => {
    const err = thrown(() => backend.parseResponse(withTop([5, 6], top), 2));
    expect(err).toBeInstanceOf(EngineProtocolError);
    expect((err as Error).message).toContain(message);
  });

  it('streams the alternatives with each delta', () => {
    const parse = backend.createStreamParser(1);
    const chunk = parse(withTop([5], [{ 'token_id:5': -0.5, 'token_id:9': -1 }]));
    expect(chunk.tokens?.topLogprobs).toEqual([[{ id: 5, logprob: -0.5 }]]);
    const short = thrown(() => parse(withTop([6], [])));
    expect(short).toBeInstanceOf(EngineProtocolError);
    expect((short as Error).message).toContain('received 1 output tokens but top log-probs for 0');
    const clamped = thrown(() => backend.createStreamParser(1)(withTop([6], [{ 'token_id:6': -9999.0 }])));
    expect((clamped as Error).message).toContain('vLLM top_logprobs[0] holds -9999.0');
    const missing = thrown(() => backend.createStreamParser(1)(vllm([6], 'stop')));
    expect((missing as Error).message).toContain('the engine sent none');
  });

  it('reads no alternatives when none were asked for, whatever the engine sends', () => {
    expect(
      backend.parseResponse(withTop([5], [{ 'token_id:5': -0.5, 'token_id:9': -1 }]), 0).topLogprobs,
    ).toBeUndefined();
    expect(backend.parseResponse(withTop([5], 'garbage'), 0).tokens).toEqual([5]);
    expect(backend.createStreamParser(0)(withTop([5], 'garbage')).tokens?.topLogprobs).toBeUndefined();
  });
});

describe("a typed prompt (a conversation's next turn) in either engine's request", () => {
  for (const [backend, field] of [
    [new SglangBackend(), 'input_ids'],
    [new VllmBackend(), 'prompt'],
  ] as const) {
    it(`${backend.constructor.name}: a JSON list in \`${field}\`, with its kept JSON or without`, () => {
      const listed = [1, 22, 333];
      const asList = JSON.parse(
        engineRequestJson(backend.buildRequest({ ...REQUEST, promptIds: listed }), listed).json.toString(),
      );
      expect(asList[field]).toEqual(listed);
      // Nothing registered (built where no JSON was kept): serialized, as a list, not as an object.
      const unregistered = Int32Array.from([1, 22, 333]);
      const plain = engineRequestJson(backend.buildRequest({ ...REQUEST, promptIds: unregistered }), unregistered);
      expect(JSON.parse(plain.json.toString())).toEqual(asList);
      plain.release();
      // Registered: written from its JSON, that field first.
      const typed = Int32Array.from([1, 22, 333]);
      notePromptIdsJson(typed, appendIdsJson(idsJson([1]), typed.subarray(1)));
      const written = engineRequestJson(backend.buildRequest({ ...REQUEST, promptIds: typed }), typed);
      expect(written.json.toString().startsWith(`{"${field}":[1,22,333],`)).toBe(true);
      expect(JSON.parse(written.json.toString())).toEqual(asList);
      written.release();
    });
  }
});

// One suite over 300 lines: InfBridgeService's behaviour against a mocked engine (resubmission,
// pauses of every mode, offload/onload, versions, engine errors); the cases share its fixtures.
import { afterEach, describe, expect, it } from '@jest/globals';
import { MockAgent } from 'undici';
import { AppException, HttpClient, parseOptions } from '@app/common';
import { DATA_PROXY_OPTIONS } from '../config/data-proxy-options.js';
import { NEUTRAL_SAMPLING, type EngineSampling } from './engine-backend.js';
import { appendIdsJson, idsJson, notePromptIdsJson } from './prompt-ids-json.js';
import { InfBridgeService } from './inf-bridge.service.js';

const ENGINE = 'http://engine.test';
const SAMPLING: EngineSampling = {
  temperature: 1,
  topP: 1,
  topK: 100_000_000,
  stop: [],
  stopTokenIds: [151645],
  frequencyPenalty: 0,
  ignoreEos: false,
  skipSpecialTokens: true,
  seed: null,
  ...NEUTRAL_SAMPLING,
};

function sglangReply(tokens: number[], type: 'stop' | 'length' | 'abort', extra: Record<string, unknown> = {}) {
  return {
    text: '',
    output_ids: tokens,
    meta_info: {
      id: 'x',
      finish_reason: { type },
      prompt_tokens: 3,
      completion_tokens: tokens.length,
      output_token_logprobs: tokens.map((t) => [-(t % 7) / 10, t, null]),
      ...extra,
    },
  };
}

function vllmReply(tokens: number[], finish: string) {
  return {
    choices: [
      {
        index: 0,
        text: '',
        finish_reason: finish,
        logprobs: { tokens: tokens.map((t) => `token_id:${t}`), token_logprobs: tokens.map((t) => -(t % 7) / 10) },
      },
    ],
  };
}

describe(InfBridgeService.name, () => {
  let agent: MockAgent;

  afterEach(async () => {
    await agent.close();
  });

  function bridge(argv: string[] = []): { bridge: InfBridgeService; bodies: Record<string, any>[] } {
    agent = new MockAgent();
    agent.disableNetConnect();
    const { options } = parseOptions(
      DATA_PROXY_OPTIONS,
      ['--backend-addr', ENGINE, '--resubmit-wait', '0', ...argv],
      {},
    );
    return { bridge: new InfBridgeService(new HttpClient(agent), options), bodies: [] };
  }

  function replies(path: string, bodies: Record<string, any>[], answers: unknown[]): void {
    for (const answer of answers) {
      agent
        .get(ENGINE)
        .intercept({ path, method: 'POST' })
        .reply(200, (opts) => {
          bodies.push(JSON.parse(opts.body as string));
          return answer as object;
        });
    }
  }

  it('returns the tokens and log-probs of a single stop reply after one engine call', async () => {
    const { bridge: b, bodies } = bridge();
    replies('/generate', bodies, [sglangReply([100, 101], 'stop')]);
    const outcome = await b.generate({ promptIds: [1, 2, 3], maxNewTokens: 20, sampling: SAMPLING });
    expect(outcome.outputTokens).toEqual([100, 101]);
    expect(outcome.outputLogprobs).toEqual([-0.2, -0.3]);
    expect(outcome.stop).toBe('stop');
    expect(outcome.segments).toBe(1);
    expect(bodies[0]).toEqual(
      expect.objectContaining({
        input_ids: [1, 2, 3],
        return_logprob: true,
        stream: false,
        sampling_params: expect.objectContaining({ max_new_tokens: 20, stop_token_ids: [151645], top_k: 100_000_000 }),
      }),
    );
  });

  it('resubmits prompt + tokens so far with the remaining budget after an abort', async () => {
    const { bridge: b, bodies } = bridge();
    replies('/generate', bodies, [sglangReply([100, 101], 'abort'), sglangReply([200, 201], 'stop')]);
    const outcome = await b.generate({ promptIds: [1, 2, 3], maxNewTokens: 20, sampling: SAMPLING });
    expect(outcome.outputTokens).toEqual([100, 101, 200, 201]);
    expect(outcome.outputLogprobs).toHaveLength(4);
    expect(outcome.segments).toBe(2);
    expect(bodies.map((body) => body.input_ids)).toEqual([
      [1, 2, 3],
      [1, 2, 3, 100, 101],
    ]);
    expect(bodies.map((body) => body.sampling_params.max_new_tokens)).toEqual([20, 18]);
  });

  it('ends with length when aborted segments use up the budget', async () => {
    const { bridge: b, bodies } = bridge();
    replies('/generate', bodies, [sglangReply([1, 2, 3, 4, 5], 'abort'), sglangReply([6, 7, 8, 9, 10], 'abort')]);
    const outcome = await b.generate({ promptIds: [1], maxNewTokens: 10, sampling: SAMPLING });
    expect(outcome).toEqual(expect.objectContaining({ stop: 'length', segments: 2 }));
    expect(outcome.outputTokens).toHaveLength(10);
  });

  it('reports exhausted retries as a 503, not as a finished answer', async () => {
    const { bridge: b, bodies } = bridge(['--max-resubmit-retries', '3']);
    replies('/generate', bodies, [sglangReply([1], 'abort'), sglangReply([2], 'abort'), sglangReply([3], 'abort')]);
    const error = await b.generate({ promptIds: [1], maxNewTokens: 10, sampling: SAMPLING }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppException);
    expect((error as AppException).getStatus()).toBe(503);
    expect((error as AppException).code).toBe('GENERATION_ABORTED');
    expect(bodies).toHaveLength(3);
  });

  it('does not count aborts that a pause explains against the retry budget', async () => {
    const { bridge: b, bodies } = bridge(['--max-resubmit-retries', '2']);
    const pauseAndAbort = (tokens: number[]) => (opts: { body?: unknown }) => {
      bodies.push(JSON.parse(opts.body as string));
      // A pause/continue cycle while the segment runs: the engine aborts it.
      b.gate.close();
      b.gate.open();
      return sglangReply(tokens, 'abort');
    };
    for (let i = 0; i < 5; i++)
      agent
        .get(ENGINE)
        .intercept({ path: '/generate', method: 'POST' })
        .reply(200, pauseAndAbort([10 + i]));
    replies('/generate', bodies, [sglangReply([99], 'stop')]);
    const outcome = await b.generate({ promptIds: [1], maxNewTokens: 10, sampling: SAMPLING });
    expect(outcome.outputTokens).toEqual([10, 11, 12, 13, 14, 99]);
    expect(outcome.segments).toBe(6);
  });

  it('parks on the pause gate and resubmits as soon as it opens (no polling)', async () => {
    const { bridge: b, bodies } = bridge();
    replies('/generate', bodies, [sglangReply([100], 'stop')]);
    b.gate.close();
    let done = false;
    const pending = b.generate({ promptIds: [1], maxNewTokens: 5, sampling: SAMPLING }).then((o) => ((done = true), o));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(done).toBe(false);
    expect(bodies).toHaveLength(0);
    b.gate.open();
    expect((await pending).outputTokens).toEqual([100]);
  });

  it('stamps each segment with the version current when it was dispatched', async () => {
    const { bridge: b, bodies } = bridge();
    void b.setVersion(42);
    agent
      .get(ENGINE)
      .intercept({ path: '/generate', method: 'POST' })
      .reply(200, (opts) => {
        bodies.push(JSON.parse(opts.body as string));
        void b.setVersion(43); // a set_version while the first segment runs
        return sglangReply([1, 2], 'abort');
      });
    replies('/generate', bodies, [sglangReply([3], 'stop')]);
    const outcome = await b.generate({ promptIds: [1], maxNewTokens: 5, sampling: SAMPLING });
    expect(outcome.outputVersions).toEqual([42, 42, 43]);
  });

  it('prefers the weight version the engine reports', async () => {
    const { bridge: b, bodies } = bridge();
    void b.setVersion(1);
    replies('/generate', bodies, [sglangReply([1, 2, 3], 'stop', { weight_version: '9' })]);
    expect((await b.generate({ promptIds: [1], maxNewTokens: 5, sampling: SAMPLING })).outputVersions).toEqual([
      9, 9, 9,
    ]);
  });

  it('speaks vLLM: token-id prompts, max_tokens budget, token_id:N log-probs', async () => {
    const { bridge: b, bodies } = bridge(['--backend-type', 'vllm']);
    replies('/v1/completions', bodies, [vllmReply([100, 101], 'abort'), vllmReply([200], 'stop')]);
    const outcome = await b.generate({
      promptIds: [1, 2, 3],
      maxNewTokens: 5,
      sampling: { ...SAMPLING, stop: ['\n\n'], frequencyPenalty: 0.5 },
    });
    expect(outcome.outputTokens).toEqual([100, 101, 200]);
    expect(bodies.map((body) => [body.prompt, body.max_tokens])).toEqual([
      [[1, 2, 3], 5],
      [[1, 2, 3, 100, 101], 3],
    ]);
    expect(bodies[0]).toEqual(
      expect.objectContaining({
        return_tokens_as_token_ids: true,
        logprobs: 0,
        stop: ['\n\n'],
        frequency_penalty: 0.5,
      }),
    );
  });

  it('reads vLLM chat-format log-probs and tolerates an abort without log-probs', async () => {
    const { bridge: b, bodies } = bridge(['--backend-type', 'vllm']);
    replies('/v1/completions', bodies, [
      { choices: [{ finish_reason: 'abort', text: '', logprobs: null }] },
      {
        choices: [
          {
            finish_reason: 'stop',
            logprobs: {
              content: [
                { token: 'token_id:42', logprob: -0.1 },
                { token: 'token_id:43', logprob: -0.2 },
              ],
            },
          },
        ],
      },
    ]);
    const outcome = await b.generate({ promptIds: [1], maxNewTokens: 5, sampling: SAMPLING });
    expect(outcome.outputTokens).toEqual([42, 43]);
    expect(outcome.outputLogprobs).toEqual([-0.1, -0.2]);
  });

  it('answers 502 for replies that break the protocol or the engine errors', async () => {
    const { bridge: b } = bridge();
    const statusFor = async (status: number, body: string | object): Promise<number> => {
      agent.get(ENGINE).intercept({ path: '/generate', method: 'POST' }).reply(status, body);
      const failure = await b
        .generate({ promptIds: [1], maxNewTokens: 5, sampling: SAMPLING })
        .catch((e: unknown) => e);
      return (failure as AppException).getStatus();
    };
    expect(await statusFor(200, { text: 'no meta' })).toBe(502);
    expect(await statusFor(500, 'boom')).toBe(502);
    expect(await statusFor(200, 'not json')).toBe(502);
  });

  it("writes a conversation's prompt around its ids run, and frees the run once the engine answered or failed", async () => {
    const { bridge: b, bodies } = bridge();
    const first = idsJson([1, 2, 3]);
    const promptIds = [1, 2, 3];
    notePromptIdsJson(promptIds, first);
    replies('/generate', bodies, [sglangReply([100], 'stop')]);
    await b.generate({ promptIds, maxNewTokens: 5, sampling: SAMPLING });
    expect(bodies[0].input_ids).toEqual([1, 2, 3]);
    // Answered: the next turn grows the same run (a request still holding it would make that a copy).
    const next = appendIdsJson(first, [100, 4]);
    expect(next.run).toBe(first.run);
    const nextIds = [1, 2, 3, 100, 4];
    notePromptIdsJson(nextIds, next);
    agent.get(ENGINE).intercept({ path: '/generate', method: 'POST' }).reply(500, 'boom');
    const failure = await b.generate({ promptIds: nextIds, maxNewTokens: 5, sampling: SAMPLING }).catch((e) => e);
    expect((failure as AppException).getStatus()).toBe(502);
    expect(appendIdsJson(next, [5]).run).toBe(first.run);
  });

  it('streams SGLang events (cumulative) to onTokens as they arrive', async () => {
    const { bridge: b } = bridge();
    const events = [sglangReply([5], 'stop'), sglangReply([5, 6], 'stop'), sglangReply([5, 6, 7], 'stop')].map(
      (e, i, all) => {
        if (i < all.length - 1) (e.meta_info as Record<string, unknown>).finish_reason = null;
        return `data: ${JSON.stringify(e)}\n\n`;
      },
    );
    agent
      .get(ENGINE)
      .intercept({ path: '/generate', method: 'POST' })
      .reply(200, events.join('') + 'data: [DONE]\n\n', { headers: { 'content-type': 'text/event-stream' } });
    const seen: number[][] = [];
    const outcome = await b.generate({
      promptIds: [1],
      maxNewTokens: 5,
      sampling: SAMPLING,
      onTokens: (tokens) => seen.push([...tokens]),
    });
    expect(seen).toEqual([[5], [6], [7]]);
    expect(outcome.outputTokens).toEqual([5, 6, 7]);
  });

  it('streams the top log-probs of each arrival beside its tokens, and returns them all', async () => {
    const { bridge: b } = bridge();
    const top = (ids: number[]) =>
      ids.map((id) => [
        [-0.1, id, null],
        [-3, 999, null],
      ]);
    const events = [[5], [5, 6]].map((ids, i) => {
      const event = sglangReply(ids, 'stop', { output_top_logprobs: top(ids) });
      if (i === 0) (event.meta_info as Record<string, unknown>).finish_reason = null;
      return `data: ${JSON.stringify(event)}\n\n`;
    });
    agent
      .get(ENGINE)
      .intercept({ path: '/generate', method: 'POST' })
      .reply(200, events.join('') + 'data: [DONE]\n\n', { headers: { 'content-type': 'text/event-stream' } });
    const seen: unknown[] = [];
    const outcome = await b.generate({
      promptIds: [1],
      maxNewTokens: 5,
      sampling: { ...SAMPLING, topLogprobs: 2 },
      onTokens: (tokens, _logprobs, _versions, alternatives) => seen.push([tokens, alternatives]),
    });
    const alternatives = (id: number) => [
      { id, logprob: -0.1 },
      { id: 999, logprob: -3 },
    ];
    expect(seen).toEqual([
      [[5], [alternatives(5)]],
      [[6], [alternatives(6)]],
    ]);
    expect(outcome.outputTopLogprobs).toEqual([alternatives(5), alternatives(6)]);
  });

  it('gives no top log-probs when none are asked for', async () => {
    const { bridge: b, bodies } = bridge();
    replies('/generate', bodies, [sglangReply([5], 'stop')]);
    expect((await b.generate({ promptIds: [1], maxNewTokens: 5, sampling: SAMPLING })).outputTopLogprobs).toBeNull();
    expect(bodies[0].top_logprobs_num).toBeUndefined();
  });

  it('restarts an aborted constrained generation from its prompt with its whole budget; the partial tokens are discarded and counted', async () => {
    const { bridge: b, bodies } = bridge();
    replies('/generate', bodies, [sglangReply([100, 101], 'abort'), sglangReply([200, 201, 202], 'stop')]);
    const delivered: number[][] = [];
    const outcome = await b.generate({
      promptIds: [1, 2, 3],
      maxNewTokens: 20,
      sampling: { ...SAMPLING, constraint: { kind: 'regex', pattern: '[a-z]+' } },
      onTokens: (tokens) => delivered.push([...tokens]),
    });
    expect(outcome.outputTokens).toEqual([200, 201, 202]);
    expect(outcome.outputLogprobs).toHaveLength(3);
    expect(outcome.segments).toBe(2);
    expect(bodies.map((body) => [body.input_ids, body.sampling_params.max_new_tokens])).toEqual([
      [[1, 2, 3], 20],
      [[1, 2, 3], 20],
    ]);
    expect(bodies.every((body) => body.sampling_params.regex === '[a-z]+')).toBe(true);
    // The client gets the final tokens once: never the discarded ones.
    expect(bodies.every((body) => body.stream === false)).toBe(true);
    expect(delivered).toEqual([[200, 201, 202]]);
    expect([b.constrainedRestarts, b.constrainedDiscardedTokens]).toEqual([1, 2]);
  });

  it('a constrained generation that is never aborted is one segment, as an unconstrained one', async () => {
    const { bridge: b, bodies } = bridge(['--backend-type', 'vllm']);
    replies('/v1/completions', bodies, [vllmReply([7, 8], 'stop')]);
    const outcome = await b.generate({
      promptIds: [1],
      maxNewTokens: 5,
      sampling: { ...SAMPLING, constraint: { kind: 'json_object' } },
    });
    expect(outcome.outputTokens).toEqual([7, 8]);
    expect(bodies[0].structured_outputs).toEqual({ json_object: true });
    expect([b.constrainedRestarts, b.constrainedDiscardedTokens]).toEqual([0, 0]);
  });

  it('stamps tokens from weight_versions spans, relative to each resubmitted segment', async () => {
    const { bridge: b, bodies } = bridge();
    void b.setVersion(1);
    replies('/generate', bodies, [
      sglangReply([1, 2], 'abort'),
      sglangReply([3, 4, 5], 'stop', {
        weight_versions: [
          { version: 'default', start: 0, end: 1 },
          { version: '7', start: 1, end: 3 },
        ],
      }),
    ]);
    const outcome = await b.generate({ promptIds: [1], maxNewTokens: 9, sampling: SAMPLING });
    // "default" is no integer: those tokens keep the version they were dispatched under.
    expect(outcome.outputVersions).toEqual([1, 1, 1, 7, 7]);
    expect(bodies[0].rid).toMatch(/^[0-9a-f]{32}$/);
    expect(bodies[1].rid).toMatch(/^[0-9a-f]{32}$/);
    expect(bodies[1].rid).not.toBe(bodies[0].rid);
  });

  it('offload drains first and resumes only after both onload and continue, in either order', async () => {
    for (const order of [
      ['onload', 'continue'],
      ['continue', 'onload'],
    ]) {
      const { bridge: b } = bridge();
      const calls: string[] = [];
      const engine = agent.get(ENGINE);
      engine.intercept({ path: '/get_server_info', method: 'GET' }).reply(200, { enable_memory_saver: true }).persist();
      for (const path of [
        '/pause_generation',
        '/release_memory_occupation',
        '/resume_memory_occupation',
        '/continue_generation',
      ])
        engine
          .intercept({ path, method: 'POST' })
          .reply(200, (opts) => (calls.push(`${path} ${opts.body as string}`), 'null'))
          .persist();
      await b.offload();
      expect(calls).toEqual([
        '/pause_generation {"mode":"abort"}',
        '/pause_generation {"mode":"in_place"}',
        '/release_memory_occupation {}',
      ]);
      expect([b.gate.isPaused, b.isOffloaded]).toEqual([true, true]);
      await (order[0] === 'onload' ? b.onload(null) : b.resume());
      expect(b.gate.isPaused).toBe(true);
      expect(calls.filter((c) => c.startsWith('/continue'))).toEqual([]);
      await (order[1] === 'onload' ? b.onload(null) : b.resume());
      expect([b.gate.isPaused, b.isOffloaded]).toEqual([false, false]);
      expect(calls.filter((c) => c.startsWith('/continue'))).toHaveLength(1);
      if (order[0] === 'onload') await agent.close(); // the next bridge() makes a new one; afterEach closes the last
    }
  });

  it('refuses to offload an SGLang engine without --enable-memory-saver, pausing nothing', async () => {
    const { bridge: b } = bridge();
    agent.get(ENGINE).intercept({ path: '/get_server_info', method: 'GET' }).reply(200, { enable_memory_saver: false });
    const error = await b.offload().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AppException);
    expect((error as AppException).code).toBe('ENGINE_MISCONFIGURED');
    expect((error as AppException).message).toContain('--enable-memory-saver');
    expect(b.gate.isPaused).toBe(false);
  });

  it('pause closes the gate; if the engine refuses, the gate opens again', async () => {
    const { bridge: b } = bridge();
    agent.get(ENGINE).intercept({ path: '/pause_generation', method: 'POST' }).reply(200, { status: 'ok' });
    await b.pause();
    expect(b.gate.isPaused).toBe(true);
    agent.get(ENGINE).intercept({ path: '/continue_generation', method: 'POST' }).reply(200, { status: 'ok' });
    await b.resume();
    expect(b.gate.isPaused).toBe(false);
    agent.get(ENGINE).intercept({ path: '/pause_generation', method: 'POST' }).reply(500, 'no');
    await expect(b.pause()).rejects.toBeInstanceOf(AppException);
    expect(b.gate.isPaused).toBe(false);
  });
});

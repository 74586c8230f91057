import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { parseOptions } from '@app/common';
import { ENGINE_SIM_OPTIONS } from '../config/engine-sim-options.js';
import { EngineModel } from './engine-model.js';
import { EngineService, findStopString } from './engine.service.js';
import { NO_PENALTIES, type GenerationParams, type GenerationRequest } from './generation-request.js';

const PARAMS: GenerationParams = {
  maxNewTokens: 16,
  temperature: 1,
  topP: 1,
  topK: -1,
  stop: [],
  stopTokenIds: [],
  ignoreEos: false,
  skipSpecialTokens: true,
  ...NO_PENALTIES,
  seed: null,
};

describe(EngineService.name, () => {
  let model: EngineModel;
  const engines: EngineService[] = [];

  // Loading the tokenizer and model folder takes seconds on a busy machine.
  beforeAll(async () => {
    model = await EngineModel.load(undefined);
  }, 30_000);

  afterEach(() => {
    for (const engine of engines.splice(0)) engine.onApplicationShutdown();
  });

  function engine(argv: string[] = []): EngineService {
    const { options } = parseOptions(
      ENGINE_SIM_OPTIONS,
      ['--decode-ms-per-token', '0', '--prefill-us-per-token', '0', ...argv],
      {},
    );
    const created = new EngineService(model, options);
    engines.push(created);
    return created;
  }

  function run(e: EngineService, prompt: number[], params: Partial<GenerationParams> = {}, rid?: string) {
    const tokens: number[] = [];
    let request!: GenerationRequest;
    const done = new Promise<GenerationRequest>((resolve) => {
      request = e.submit({
        rid,
        promptIds: prompt,
        params: { ...PARAMS, ...params },
        listener: { onToken: (g, i) => tokens.push(g.outputIds[i]), onFinish: resolve },
      });
    });
    return { request, done, tokens };
  }

  const PROMPT = [151644, 872, 198, 9707, 151645, 198, 151644, 77091, 198];

  it('generates up to max_new_tokens with one log-probability and one version per token', async () => {
    const result = await run(engine(), PROMPT, { maxNewTokens: 5, ignoreEos: true }).done;
    expect(result.outputIds).toHaveLength(5);
    expect(result.outputLogprobs).toHaveLength(5);
    expect(result.outputVersions).toEqual(['default', 'default', 'default', 'default', 'default']);
    expect(result.finishReason).toEqual({ type: 'length', length: 5 });
    expect(result.outputLogprobs.every((lp) => lp <= 0)).toBe(true);
  });

  it('ends text mode with EOS (matched) within the configured length', async () => {
    const result = await run(engine(['--min-output-tokens', '3', '--max-output-tokens', '6']), PROMPT, {
      maxNewTokens: 100,
      temperature: 0,
    }).done;
    expect(result.finishReason).toEqual({ type: 'stop', matched: 151645 });
    expect(result.outputIds.length).toBeGreaterThanOrEqual(4);
    expect(result.outputIds.length).toBeLessThanOrEqual(7);
    expect(result.outputIds.at(-1)).toBe(151645);
  });

  it('is deterministic for a seed and a prompt', async () => {
    const e = engine();
    const a = await run(e, PROMPT, { seed: 11, temperature: 8 }).done;
    const b = await run(e, PROMPT, { seed: 11, temperature: 8 }).done;
    const c = await run(e, PROMPT, { seed: 12, temperature: 8 }).done;
    expect(a.outputIds).toEqual(b.outputIds);
    expect(a.outputLogprobs).toEqual(b.outputLogprobs);
    expect(c.outputIds).not.toEqual(a.outputIds);
  });

  it('stops on stop_token_ids and on stop strings (text trimmed, matched reported)', async () => {
    const e = engine();
    const free = await run(e, PROMPT, { maxNewTokens: 30, temperature: 0, ignoreEos: true }).done;
    const stopId = free.outputIds[3];
    const byId = await run(e, PROMPT, { maxNewTokens: 30, temperature: 0, ignoreEos: true, stopTokenIds: [stopId] })
      .done;
    expect(byId.finishReason).toEqual({ type: 'stop', matched: stopId });
    expect(byId.outputIds).toEqual(free.outputIds.slice(0, free.outputIds.indexOf(stopId) + 1));
    const word = free.text.trim().split(/\s+/)[2];
    const byString = await run(e, PROMPT, { maxNewTokens: 30, temperature: 0, ignoreEos: true, stop: [word] }).done;
    expect(byString.finishReason).toEqual({ type: 'stop', matched: word });
    expect(byString.text).toBe(free.text.slice(0, free.text.indexOf(word)));
  });

  it('ignore_eos keeps generating past EOS', async () => {
    const result = await run(engine(['--min-output-tokens', '2', '--max-output-tokens', '2']), PROMPT, {
      maxNewTokens: 8,
      temperature: 0,
      ignoreEos: true,
    }).done;
    expect(result.outputIds).toHaveLength(8);
    expect(result.finishReason?.type).toBe('length');
  });

  it('pause(abort) ends in-flight requests with their tokens; requests sent while paused wait for continue', async () => {
    const e = engine(['--decode-ms-per-token', '2']);
    const inflight = run(e, PROMPT, { maxNewTokens: 500, ignoreEos: true });
    await new Promise((resolve) => setTimeout(resolve, 30));
    e.pause('abort');
    const aborted = await inflight.done;
    expect(aborted.finishReason?.type).toBe('abort');
    expect(aborted.outputIds.length).toBeGreaterThan(0);
    expect(aborted.outputIds.length).toBeLessThan(500);
    const queued = run(e, PROMPT, { maxNewTokens: 3, ignoreEos: true });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(queued.tokens).toHaveLength(0);
    expect(e.waitingCount).toBe(1);
    e.resume();
    expect((await queued.done).outputIds).toHaveLength(3);
  });

  it('pause(in_place) freezes requests and resumes them without abort', async () => {
    const e = engine(['--decode-ms-per-token', '2']);
    const inflight = run(e, PROMPT, { maxNewTokens: 40, ignoreEos: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    e.pause('in_place');
    const frozenAt = inflight.tokens.length;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(inflight.tokens.length).toBe(frozenAt);
    e.resume();
    const result = await inflight.done;
    expect(result.finishReason).toEqual({ type: 'length', length: 40 });
  });

  it('stamps each token with the version current when it was produced', async () => {
    const e = engine(['--decode-ms-per-token', '2']);
    const inflight = run(e, PROMPT, { maxNewTokens: 30, ignoreEos: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    e.setWeightVersion('7', false);
    const result = await inflight.done;
    const switchAt = result.outputVersions.indexOf('7');
    expect(switchAt).toBeGreaterThan(0);
    expect(result.outputVersions.slice(0, switchAt).every((v) => v === 'default')).toBe(true);
    expect(result.outputVersions.slice(switchAt).every((v) => v === '7')).toBe(true);
  });

  it('queues beyond --max-running and aborts by rid', async () => {
    const e = engine(['--max-running', '1', '--decode-ms-per-token', '2']);
    const first = run(e, PROMPT, { maxNewTokens: 200, ignoreEos: true }, 'first');
    const second = run(e, PROMPT, { maxNewTokens: 2, ignoreEos: true }, 'second');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(e.runningCount).toBe(1);
    expect(e.waitingCount).toBe(1);
    expect(e.abort('first', false)).toBe(1);
    expect((await first.done).finishReason?.type).toBe('abort');
    expect((await second.done).outputIds).toHaveLength(2);
  });

  it('refuses a duplicate request id and frees a cancelled request', async () => {
    const e = engine(['--decode-ms-per-token', '5']);
    const running = run(e, PROMPT, { maxNewTokens: 100, ignoreEos: true }, 'dup');
    expect(() =>
      e.submit({ rid: 'dup', promptIds: PROMPT, params: PARAMS, listener: { onFinish: () => undefined } }),
    ).toThrow('Duplicate request ID');
    await new Promise((resolve) => setTimeout(resolve, 10));
    e.cancel(running.request);
    expect(e.runningCount).toBe(0);
  });

  describe('structured outputs (the constraint hook)', () => {
    const SCHEMA = {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } },
      required: ['city', 'days'],
    };
    /** ChatML prompt whose user turn is `content`: echo mode's answer. */
    async function echoPrompt(content: string): Promise<number[]> {
      return model.tokenizer.encode(`<|im_start|>user\n${content}<|im_end|>\n<|im_start|>assistant\n`);
    }
    const constrained = (e: EngineService, prompt: number[], params: Partial<GenerationParams> = {}) => {
      const constraint = e.constraints.compile({ kind: 'json_schema', schema: JSON.stringify(SCHEMA) });
      return new Promise<GenerationRequest>((resolve) => {
        e.submit({
          promptIds: prompt,
          params: { ...PARAMS, maxNewTokens: 200, ...params },
          constraint,
          listener: { onFinish: resolve },
        });
      });
    };

    it('writes a document of the schema and stops with EOS, even with ignore_eos', async () => {
      const e = engine();
      for (const seed of [1, 2, 3]) {
        const result = await constrained(e, PROMPT, { seed, ignoreEos: true, temperature: 2 });
        expect(result.finishReason).toEqual({ type: 'stop', matched: model.eosId });
        const value = JSON.parse(result.text) as { city: unknown; days: number };
        expect(typeof value.city).toBe('string');
        expect(Number.isInteger(value.days) && value.days >= 1).toBe(true);
      }
    });

    it('keeps the echo answer when it matches the schema, and is deterministic for a seed', async () => {
      const e = engine(['--mode', 'echo']);
      const prompt = await echoPrompt('{"city": "Paris", "days": 3}');
      const a = await constrained(e, prompt, { seed: 5 });
      const b = await constrained(e, prompt, { seed: 5 });
      expect(a.text).toBe('{"city": "Paris", "days": 3}');
      expect([b.outputIds, b.outputLogprobs]).toEqual([a.outputIds, a.outputLogprobs]);
    });

    it('starts the grammar afresh on every request: a resubmitted partial answer is followed by a new document', async () => {
      const e = engine(['--mode', 'echo']);
      const prompt = await echoPrompt('{"city": "Paris", "days": 3}');
      const whole = await constrained(e, prompt, { seed: 5 });
      const partial = whole.outputIds.slice(0, 4);
      const continued = await constrained(e, [...prompt, ...partial], { seed: 5 });
      const joined = model.tokenizer.decode([...partial, ...continued.outputIds.slice(0, -1)]);
      expect(() => JSON.parse(continued.text) as unknown).not.toThrow();
      expect(() => JSON.parse(joined) as unknown).toThrow();
    });

    it('refuses a request at admission with the status of its rejection, and no tokens', async () => {
      const result = await new Promise<GenerationRequest>((resolve) =>
        engine().submit({
          promptIds: PROMPT,
          params: PARAMS,
          rejection: { statusCode: 400, message: 'Invalid grammar request: x' },
          listener: { onFinish: resolve },
        }),
      );
      expect(result.outputIds).toEqual([]);
      expect(result.finishReason).toEqual({
        type: 'abort',
        message: 'Invalid grammar request: x',
        status_code: 400,
        err_type: 'BadRequestError',
      });
    });
  });

  describe('penalties and top log-probs', () => {
    it('presence penalty lowers the log-prob of a token already in the output; the first token has nothing to penalise', async () => {
      const e = engine(['--min-output-tokens', '60', '--max-output-tokens', '60']);
      const free = await run(e, PROMPT, { seed: 3, maxNewTokens: 60 }).done;
      const penalised = await run(e, PROMPT, { seed: 3, maxNewTokens: 60, presencePenalty: 2 }).done;
      const firstRepeat = free.outputIds.findIndex((id, i) => free.outputIds.indexOf(id) < i);
      expect(firstRepeat).toBeGreaterThan(0);
      expect(penalised.outputIds.slice(0, firstRepeat + 1)).toEqual(free.outputIds.slice(0, firstRepeat + 1));
      expect(penalised.outputLogprobs[0]).toBe(free.outputLogprobs[0]);
      expect(penalised.outputLogprobs[firstRepeat]).toBeLessThan(free.outputLogprobs[firstRepeat]);
    });

    it('repetition penalty counts the prompt for vLLM and only the output for SGLang', async () => {
      const e = engine(['--mode', 'echo']);
      const prompt = await model.tokenizer.encode('<|im_start|>user\nsay it again<|im_end|>\n<|im_start|>assistant\n');
      const params = { seed: 4, maxNewTokens: 3 };
      const free = await run(e, prompt, params).done;
      const sglang = await run(e, prompt, { ...params, repetitionPenalty: 1.5 }).done;
      const vllm = await run(e, prompt, { ...params, repetitionPenalty: 1.5, repetitionPenaltyCountsPrompt: true })
        .done;
      expect(sglang.outputLogprobs[0]).toBe(free.outputLogprobs[0]);
      expect(vllm.outputLogprobs[0]).toBeLessThan(free.outputLogprobs[0]);
    });

    it('keeps the requested number of alternatives per token, most likely first', async () => {
      const result = await new Promise<GenerationRequest>((resolve) =>
        engine().submit({
          promptIds: PROMPT,
          params: { ...PARAMS, maxNewTokens: 5, ignoreEos: true },
          topLogprobs: 3,
          listener: { onFinish: resolve },
        }),
      );
      expect(result.topLogprobs).toHaveLength(5);
      for (const [i, top] of result.topLogprobs.entries()) {
        expect(top).toHaveLength(3);
        expect(top.map((t) => t.logprob)).toEqual([...top.map((t) => t.logprob)].sort((a, b) => b - a));
        expect(top[0]).toEqual({ id: result.outputIds[i], logprob: result.outputLogprobs[i] });
      }
    });
  });

  it('charges prefill only for the prompt tokens its prefix cache does not hold, and reports the cached ones', async () => {
    const e = engine(['--prefill-us-per-token', '500']);
    const prompt = Array.from({ length: 320 }, (_, i) => 1000 + i);
    const params = { maxNewTokens: 1, ignoreEos: true };
    const firstAt = performance.now();
    const first = await run(e, prompt, params).done;
    expect(first.cachedTokens).toBe(0);
    // 320 tokens at 0.5 ms each.
    expect(first.readyAt - firstAt).toBeGreaterThanOrEqual(160);
    // The same conversation, one turn later: all but the new tokens are cached.
    const next = [...prompt, ...first.outputIds, ...Array.from({ length: 40 }, (_, i) => 3000 + i)];
    const nextAt = performance.now();
    const second = await run(e, next, params).done;
    expect(second.cachedTokens).toBe(320);
    expect(second.readyAt - nextAt).toBeGreaterThanOrEqual(((next.length - 320) * 500) / 1000);
    expect(second.readyAt - nextAt).toBeLessThan(160);
  });

  it('answers max_new_tokens 0 with no tokens and finish reason length', async () => {
    const result = await run(engine(), PROMPT, { maxNewTokens: 0 }).done;
    expect(result.outputIds).toHaveLength(0);
    expect(result.finishReason).toEqual({ type: 'length', length: 0 });
  });
});

describe('findStopString', () => {
  it('finds a stop string completed by the newest piece only', () => {
    expect(findStopString('hello world', 5, ['world'])).toEqual({ index: 6, stop: 'world' });
    expect(findStopString('hello world!', 1, ['hello'])).toBeNull();
    expect(findStopString('ab\n\ncd', 3, ['\n\n', 'cd'])).toEqual({ index: 2, stop: '\n\n' });
  });
});

// One suite over 300 lines: engine-sim as the real engines behave (docs/ENGINES.md), case by case
// against processes shared by each describe block.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { call } from '../support/http.js';
import { postSse } from '../support/sse.js';
import { sleep } from '../support/wait.js';
import { runApp, spawnApp, type SpawnedApp, spawnEngineSim } from '../support/spawn-app.js';
import { metricValue } from '../support/metrics.js';

/** `<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n` in Qwen3 ids. */
const CHAT_PROMPT = [151644, 872, 198, 9707, 151645, 198, 151644, 77091, 198];
const EOS = 151645;

interface SglangOutput {
  text: string;
  output_ids: number[];
  meta_info: {
    id: string;
    finish_reason: { type: string; matched?: number | string; length?: number; message?: string } | null;
    prompt_tokens: number;
    completion_tokens: number;
    weight_version: string;
    output_token_logprobs?: [number, number, null][];
    weight_versions?: { version: string; start: number; end: number }[];
  };
}

describe('engine-sim process: SGLang protocol', () => {
  let engine: SpawnedApp;
  const generate = (body: Record<string, unknown>) => call('POST', `${engine.url}/generate`, { body });

  beforeAll(async () => {
    engine = await spawnEngineSim(0, ['--seed', '1']);
  });

  afterAll(async () => {
    expect(await engine.stop()).toBe(0);
  });

  it('generates from input_ids with output ids, text and [logprob, id, null] triples', async () => {
    const res = await generate({
      input_ids: CHAT_PROMPT,
      sampling_params: { max_new_tokens: 8, temperature: 0, ignore_eos: true },
      return_logprob: true,
    });
    expect(res.status).toBe(200);
    const out = res.json as SglangOutput;
    expect(out.output_ids).toHaveLength(8);
    expect(out.meta_info.finish_reason).toEqual({ type: 'length', length: 8 });
    expect(out.meta_info.prompt_tokens).toBe(CHAT_PROMPT.length);
    expect(out.meta_info.completion_tokens).toBe(8);
    expect(out.meta_info.weight_version).toBe('default');
    expect(out.meta_info.output_token_logprobs!.map((t) => t[1])).toEqual(out.output_ids);
    for (const [logprob, , text] of out.meta_info.output_token_logprobs!) {
      expect(logprob).toBeLessThanOrEqual(0);
      expect(text).toBeNull();
    }
    expect(out.text.length).toBeGreaterThan(0);
  });

  it('generates from text and ends with EOS when the answer is complete', async () => {
    const out = (await generate({ text: 'Tell me something.', sampling_params: { max_new_tokens: 500 } }))
      .json as SglangOutput;
    expect(out.meta_info.finish_reason).toEqual({ type: 'stop', matched: EOS });
    expect(out.output_ids.at(-1)).toBe(EOS);
    expect(out.meta_info.output_token_logprobs).toBeUndefined();
  });

  it('streams cumulative outputs as data events, then data: [DONE]', async () => {
    const stream = await postSse(`${engine.url}/generate`, {
      input_ids: CHAT_PROMPT,
      sampling_params: { max_new_tokens: 5, ignore_eos: true },
      return_logprob: true,
      stream: true,
    });
    expect(stream.status).toBe(200);
    expect(String(stream.headers['content-type'])).toContain('text/event-stream');
    const events = await stream.done;
    expect(events.at(-1)).toBe('[DONE]');
    const outputs = events.slice(0, -1) as SglangOutput[];
    expect(outputs).toHaveLength(5);
    outputs.forEach((o, i) => {
      expect(o.output_ids).toHaveLength(i + 1);
      expect(o.meta_info.output_token_logprobs).toHaveLength(i + 1);
      expect(o.meta_info.finish_reason).toEqual(i === 4 ? { type: 'length', length: 5 } : null);
    });
    expect(outputs[4].text.startsWith(outputs[3].text)).toBe(true);
  });

  it('gives the same tokens for the same seed and prompt', async () => {
    const body = {
      input_ids: CHAT_PROMPT,
      sampling_params: { max_new_tokens: 20, temperature: 8, sampling_seed: 99, ignore_eos: true },
    };
    const a = (await generate(body)).json as SglangOutput;
    const b = (await generate(body)).json as SglangOutput;
    const c = (await generate({ ...body, sampling_params: { ...body.sampling_params, sampling_seed: 100 } }))
      .json as SglangOutput;
    expect(a.output_ids).toEqual(b.output_ids);
    expect(c.output_ids).not.toEqual(a.output_ids);
    const seedAlias = (
      await generate({ ...body, sampling_params: { ...body.sampling_params, sampling_seed: undefined, seed: 99 } })
    ).json as SglangOutput;
    expect(seedAlias.output_ids).toEqual(a.output_ids);
  });

  it('reports log-probabilities consistent with the sampling distribution', async () => {
    // Many one-token draws from the same context: frequencies must match exp(logprob).
    const draws = 600;
    const counts = new Map<number, number>();
    const logprobs = new Map<number, number>();
    for (let batch = 0; batch < draws; batch += 100) {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          generate({
            input_ids: CHAT_PROMPT,
            sampling_params: { max_new_tokens: 1, temperature: 6, sampling_seed: batch + i },
            return_logprob: true,
          }),
        ),
      );
      for (const res of results) {
        const [logprob, id] = (res.json as SglangOutput).meta_info.output_token_logprobs![0];
        counts.set(id, (counts.get(id) ?? 0) + 1);
        if (logprobs.has(id)) expect(logprob).toBeCloseTo(logprobs.get(id)!, 10);
        logprobs.set(id, logprob);
      }
    }
    expect(counts.size).toBeGreaterThan(2);
    let total = 0;
    for (const [id, count] of counts) {
      total += Math.exp(logprobs.get(id)!);
      expect(Math.abs(count / draws - Math.exp(logprobs.get(id)!))).toBeLessThan(0.07);
    }
    expect(total).toBeLessThanOrEqual(1.000001);
  });

  it('greedy picks the most likely token', async () => {
    const greedy = (
      await generate({
        input_ids: CHAT_PROMPT,
        sampling_params: { max_new_tokens: 1, temperature: 0 },
        return_logprob: true,
      })
    ).json as SglangOutput;
    const sampled = (
      await generate({
        input_ids: CHAT_PROMPT,
        sampling_params: { max_new_tokens: 1, temperature: 1, sampling_seed: 3 },
        return_logprob: true,
      })
    ).json as SglangOutput;
    const [greedyLogprob, greedyId] = greedy.meta_info.output_token_logprobs![0];
    expect(greedyLogprob).toBeGreaterThan(Math.log(0.5));
    expect(sampled.output_ids[0]).toBe(greedyId);
  });

  it('stops on a stop string (matched, trimmed) and on stop_token_ids', async () => {
    const free = (
      await generate({
        input_ids: CHAT_PROMPT,
        sampling_params: { max_new_tokens: 30, temperature: 0, ignore_eos: true },
      })
    ).json as SglangOutput;
    const word = free.text.trim().split(/\s+/)[3];
    const byString = (
      await generate({
        input_ids: CHAT_PROMPT,
        sampling_params: { max_new_tokens: 30, temperature: 0, ignore_eos: true, stop: [word] },
      })
    ).json as SglangOutput;
    expect(byString.meta_info.finish_reason).toEqual({ type: 'stop', matched: word });
    expect(byString.text).toBe(free.text.slice(0, free.text.indexOf(word)));
    const byId = (
      await generate({
        input_ids: CHAT_PROMPT,
        sampling_params: { max_new_tokens: 30, temperature: 0, ignore_eos: true, stop_token_ids: [free.output_ids[2]] },
      })
    ).json as SglangOutput;
    expect(byId.meta_info.finish_reason).toEqual({ type: 'stop', matched: free.output_ids[2] });
  });

  it('reports engine facts and says it is not a language model', async () => {
    const info = (await call('GET', `${engine.url}/get_model_info`)).json;
    expect(info.is_generation).toBe(true);
    expect(info.note).toContain('not a language model');
    const server = (await call('GET', `${engine.url}/get_server_info`)).json;
    expect(server.internal_states[0]).toEqual(expect.objectContaining({ running_requests: 0 }));
    expect((await call('GET', `${engine.url}/health`)).status).toBe(200);
    expect((await call('GET', `${engine.url}/health_generate`)).status).toBe(200);
    expect((await call('POST', `${engine.url}/flush_cache`)).status).toBe(200);
    expect((await call('GET', `${engine.url}/get_weight_version`)).json).toEqual({ weight_version: 'default' });
  });

  it.each([
    [{}, 'Either text or input_ids'],
    [{ input_ids: [], sampling_params: {} }, 'input_ids'],
    [{ input_ids: 'abc' }, 'input_ids'],
    [{ input_ids: [1, 2.5] }, 'input_ids'],
    [{ input_ids: [999999999] }, 'outside the vocabulary'],
    [{ input_ids: [[1], [2]] }, 'batched'],
    [{ text: 'a', input_ids: [1] }, 'Either text or input_ids'],
    [{ text: 'a', sampling_params: 'x' }, 'sampling_params'],
    [{ text: 'a', sampling_params: { max_new_tokens: -1 } }, 'max_new_tokens'],
    [{ text: 'a', sampling_params: { temperature: 'hot' } }, 'temperature'],
    [{ text: 'a', sampling_params: { top_p: 0 } }, 'top_p'],
    [{ text: 'a', sampling_params: { top_k: 0 } }, 'top_k'],
    [{ text: 'a', sampling_params: { stop: [1] } }, 'stop'],
    [{ text: 'a', sampling_params: { n: 2 } }, 'n = 1'],
    [{ text: 'a', stream: 'yes' }, 'stream'],
  ])('rejects %j with 400 in SGLang error shape', async (body, message) => {
    const res = await generate(body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      object: 'error',
      message: expect.stringContaining(message),
      type: 'Bad Request',
      param: null,
      code: 400,
    });
  });

  it('refuses a prompt that does not fit the context with the tokenizer error shape: 400, or one error chunk when streaming', async () => {
    const body = { text: 'a', sampling_params: { max_new_tokens: 10_000_000 } };
    const res = await generate(body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { message: expect.stringContaining('context length') } });
    const stream = await postSse(`${engine.url}/generate`, { ...body, stream: true });
    expect(stream.status).toBe(200);
    const events = await stream.done;
    expect(events).toEqual([
      {
        error: {
          message: expect.stringContaining('context length'),
          type: 'invalid_request_error',
          code: 400,
          retryable: false,
        },
      },
      '[DONE]',
    ]);
  });

  it('rejects malformed JSON, non-object bodies and a bad pause mode with 4xx, and keeps serving', async () => {
    expect((await call('POST', `${engine.url}/generate`, { body: '{"input_ids": [' })).status).toBe(400);
    expect((await call('POST', `${engine.url}/generate`, { body: '[1,2]' })).status).toBe(400);
    expect((await call('POST', `${engine.url}/pause_generation`, { body: { mode: 'sideways' } })).status).toBe(400);
    expect((await call('POST', `${engine.url}/update_weight_version`, { body: {} })).status).toBe(400);
    expect((await call('POST', `${engine.url}/update_weights_from_disk`, { body: {} })).status).toBe(400);
    expect((await call('GET', `${engine.url}/health`)).status).toBe(200);
  });

  it('exposes running and queued requests and generated tokens on /metrics', async () => {
    const text = (await call('GET', `${engine.url}/metrics`)).text;
    expect(text).toMatch(/engine_requests_running\{app="engine-sim"\} 0/);
    expect(text).toMatch(/engine_requests_waiting\{app="engine-sim"\} 0/);
    expect(text).toMatch(/engine_generated_tokens_total\{app="engine-sim"\} [1-9]\d*/);
  });
});

describe('engine-sim process: pause, continue, abort and weight versions', () => {
  let engine: SpawnedApp;
  const generate = (body: Record<string, unknown>) => call('POST', `${engine.url}/generate`, { body });
  const metric = async (name: string) => metricValue((await call('GET', `${engine.url}/metrics`)).text, name);

  beforeAll(async () => {
    engine = await spawnEngineSim(4, ['--enable-memory-saver']);
  });

  afterAll(async () => {
    await engine.stop();
  });

  it('pause (abort, the default) returns partial outputs with finish reason abort; continue lets queued requests run', async () => {
    const inflight = Array.from({ length: 3 }, () =>
      generate({
        input_ids: CHAT_PROMPT,
        sampling_params: { max_new_tokens: 2000, ignore_eos: true },
        return_logprob: true,
      }),
    );
    await sleep(60);
    const paused = await call('POST', `${engine.url}/pause_generation`, { body: {} });
    expect(paused.json).toEqual({ message: 'Generation paused successfully.', status: 'ok' });
    for (const res of await Promise.all(inflight)) {
      const out = res.json as SglangOutput;
      expect(out.meta_info.finish_reason?.type).toBe('abort');
      expect(out.output_ids.length).toBeGreaterThan(0);
      expect(out.output_ids.length).toBeLessThan(2000);
      expect(out.meta_info.output_token_logprobs).toHaveLength(out.output_ids.length);
    }
    const queued = generate({ input_ids: CHAT_PROMPT, sampling_params: { max_new_tokens: 3, ignore_eos: true } });
    await sleep(50);
    expect(await metric('engine_requests_waiting')).toBe(1);
    await call('POST', `${engine.url}/continue_generation`, { body: {} });
    const out = (await queued).json as SglangOutput;
    expect(out.output_ids).toHaveLength(3);
    expect(out.meta_info.finish_reason?.type).toBe('length');
  });

  it('release_memory_occupation is refused while a request runs; once drained it answers null and holds new requests until resume', async () => {
    const inflight = generate({ input_ids: CHAT_PROMPT, sampling_params: { max_new_tokens: 2000, ignore_eos: true } });
    await sleep(40);
    const refused = await call('POST', `${engine.url}/release_memory_occupation`, { body: {} });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toContain('running');
    expect(await metric('engine_memory_released')).toBe(0);
    await call('POST', `${engine.url}/pause_generation`, { body: {} });
    expect(((await inflight).json as SglangOutput).meta_info.finish_reason?.type).toBe('abort');
    await call('POST', `${engine.url}/continue_generation`, { body: {} });
    const released = await call('POST', `${engine.url}/release_memory_occupation`, { body: {} });
    expect([released.status, released.text]).toEqual([200, 'null']);
    expect(await metric('engine_memory_released')).toBe(1);
    const held = generate({ input_ids: CHAT_PROMPT, sampling_params: { max_new_tokens: 2, ignore_eos: true } });
    await sleep(40);
    expect(await metric('engine_requests_waiting')).toBe(1);
    expect((await call('POST', `${engine.url}/resume_memory_occupation`, { body: { tags: 5 } })).status).toBe(400);
    const resumed = await call('POST', `${engine.url}/resume_memory_occupation`, { body: { tags: ['weights'] } });
    expect([resumed.status, resumed.text]).toEqual([200, 'null']);
    expect(((await held).json as SglangOutput).output_ids).toHaveLength(2);
    expect(await metric('engine_memory_released')).toBe(0);
  });

  it('pause in_place freezes a stream and resumes it without abort', async () => {
    const stream = await postSse(`${engine.url}/generate`, {
      input_ids: CHAT_PROMPT,
      sampling_params: { max_new_tokens: 40, ignore_eos: true },
      stream: true,
    });
    await sleep(40);
    await call('POST', `${engine.url}/pause_generation`, { body: { mode: 'in_place' } });
    await sleep(10);
    const frozen = stream.events.length;
    await sleep(80);
    expect(stream.events.length).toBe(frozen);
    await call('POST', `${engine.url}/continue_generation`);
    const events = await stream.done;
    const last = events.at(-2) as SglangOutput;
    expect(last.meta_info.finish_reason).toEqual({ type: 'length', length: 40 });
    expect(last.output_ids).toHaveLength(40);
  });

  it('a version bump without abort shows in meta_info and as half-open weight_versions spans on the finishing output', async () => {
    const stream = await postSse(`${engine.url}/generate`, {
      input_ids: CHAT_PROMPT,
      sampling_params: { max_new_tokens: 40, ignore_eos: true },
      stream: true,
    });
    await sleep(50);
    const bumped = await call('POST', `${engine.url}/update_weight_version`, {
      body: { new_version: '5', abort_all_requests: false },
    });
    expect(bumped.json).toEqual({ success: true, message: 'Weight version updated to 5', new_version: '5' });
    const events = await stream.done;
    const chunks = events.slice(0, -1) as SglangOutput[];
    // Intermediate chunks carry no spans; the last one does.
    expect(chunks.slice(0, -1).every((c) => c.meta_info.weight_versions === undefined)).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.meta_info.weight_version).toBe('5');
    const spans = last.meta_info.weight_versions!;
    expect(spans).toHaveLength(2);
    expect(spans[0]).toEqual({ version: 'default', start: 0, end: spans[1].start });
    expect(spans[1]).toEqual({ version: '5', start: spans[0].end, end: 40 });
    expect(spans[0].end).toBeGreaterThan(0);
    const after = (await generate({ input_ids: CHAT_PROMPT, sampling_params: { max_new_tokens: 1 } }))
      .json as SglangOutput;
    expect(after.meta_info.weight_version).toBe('5');
    const fromDisk = await call('POST', `${engine.url}/update_weights_from_disk`, {
      body: { model_path: '/models/x', weight_version: '6' },
    });
    expect(fromDisk.json.success).toBe(true);
    expect((await call('GET', `${engine.url}/get_model_info`)).json.weight_version).toBe('6');
  });

  it('update_weight_version with abort_all_requests aborts what is in flight', async () => {
    const inflight = generate({ input_ids: CHAT_PROMPT, sampling_params: { max_new_tokens: 2000, ignore_eos: true } });
    await sleep(40);
    await call('POST', `${engine.url}/update_weight_version`, { body: { new_version: '7', abort_all_requests: true } });
    expect(((await inflight).json as SglangOutput).meta_info.finish_reason?.type).toBe('abort');
  });

  it('abort_request ends one request by rid and leaves the others', async () => {
    const target = generate({
      rid: 'victim',
      input_ids: CHAT_PROMPT,
      sampling_params: { max_new_tokens: 2000, ignore_eos: true },
    });
    const other = generate({
      rid: 'bystander',
      input_ids: CHAT_PROMPT,
      sampling_params: { max_new_tokens: 30, ignore_eos: true },
    });
    await sleep(30);
    const res = await call('POST', `${engine.url}/abort_request`, { body: { rid: 'victim' } });
    expect(res.status).toBe(200);
    expect(((await target).json as SglangOutput).meta_info.finish_reason?.type).toBe('abort');
    expect(((await target).json as SglangOutput).meta_info.id).toBe('victim');
    expect(((await other).json as SglangOutput).meta_info.finish_reason?.type).toBe('length');
  });

  it('frees the request when a streaming client disconnects', async () => {
    const stream = await postSse(`${engine.url}/generate`, {
      input_ids: CHAT_PROMPT,
      sampling_params: { max_new_tokens: 5000, ignore_eos: true },
      stream: true,
    });
    await sleep(40);
    expect(await metric('engine_requests_running')).toBe(1);
    stream.abort();
    await sleep(50);
    expect(await metric('engine_requests_running')).toBe(0);
  });

  it('frees the request when a non-streaming client disconnects', async () => {
    const controller = new AbortController();
    const pending = request(`${engine.url}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input_ids: CHAT_PROMPT, sampling_params: { max_new_tokens: 5000, ignore_eos: true } }),
      signal: controller.signal,
    }).catch(() => null);
    await sleep(40);
    expect(await metric('engine_requests_running')).toBe(1);
    controller.abort();
    await pending;
    await sleep(50);
    expect(await metric('engine_requests_running')).toBe(0);
  });
});

describe('engine-sim process: vLLM protocol', () => {
  let engine: SpawnedApp;
  const complete = (body: Record<string, unknown>) => call('POST', `${engine.url}/v1/completions`, { body });

  beforeAll(async () => {
    engine = await spawnEngineSim(3, [
      '--vllm-server-dev-mode',
      '--enable-sleep-mode',
      '--served-model-name',
      'sim-model',
    ]);
  });

  afterAll(async () => {
    await engine.stop();
  });

  it('completes a token-id prompt with token_id:N tokens, log-probs and usage', async () => {
    const res = await complete({
      prompt: CHAT_PROMPT,
      max_tokens: 6,
      temperature: 1,
      top_p: 1,
      top_k: 100000000,
      logprobs: 0,
      return_tokens_as_token_ids: true,
      ignore_eos: true,
      stop_token_ids: [151643],
      skip_special_tokens: true,
      use_beam_search: false,
      stream: false,
    });
    expect(res.status).toBe(200);
    const body = res.json;
    expect(body).toEqual(
      expect.objectContaining({
        object: 'text_completion',
        model: 'sim-model',
        usage: { prompt_tokens: 9, total_tokens: 15, completion_tokens: 6 },
      }),
    );
    const choice = body.choices[0];
    expect(choice.finish_reason).toBe('length');
    expect(choice.logprobs.tokens).toHaveLength(6);
    for (const token of choice.logprobs.tokens) expect(token).toMatch(/^token_id:\d+$/);
    expect(choice.logprobs.token_logprobs).toHaveLength(6);
    expect(choice.logprobs.top_logprobs[0]).toEqual({ [choice.logprobs.tokens[0]]: choice.logprobs.token_logprobs[0] });
  });

  it('returns top alternatives with logprobs: n, the sampled token among them', async () => {
    const choice = (
      await complete({
        prompt: CHAT_PROMPT,
        max_tokens: 3,
        logprobs: 3,
        return_tokens_as_token_ids: true,
        temperature: 0,
      })
    ).json.choices[0];
    for (let i = 0; i < 3; i++) {
      const top = choice.logprobs.top_logprobs[i] as Record<string, number>;
      expect(Object.keys(top).length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...Object.values(top))).toBeCloseTo(choice.logprobs.token_logprobs[i], 10);
    }
  });

  it('streams text deltas with per-chunk log-probs, a final finish_reason, usage and [DONE]', async () => {
    const stream = await postSse(`${engine.url}/v1/completions`, {
      prompt: CHAT_PROMPT,
      max_tokens: 4,
      logprobs: 0,
      return_tokens_as_token_ids: true,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = await stream.done;
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1) as any[];
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBe(4);
    const tokenChunks = chunks.slice(0, -1);
    expect(tokenChunks).toHaveLength(4);
    expect(tokenChunks.map((c) => c.choices[0].finish_reason)).toEqual([null, null, null, 'length']);
    for (const chunk of tokenChunks) expect(chunk.choices[0].logprobs.tokens).toHaveLength(1);
    expect(new Set(tokenChunks.map((c) => c.id)).size).toBe(1);
  });

  it('AReaL pause aborts in-flight completions (finish_reason abort) and holds new ones until continue', async () => {
    const inflight = complete({
      prompt: CHAT_PROMPT,
      max_tokens: 3000,
      logprobs: 0,
      return_tokens_as_token_ids: true,
      ignore_eos: true,
    });
    await sleep(40);
    expect((await call('POST', `${engine.url}/areal_pause_generation`, { body: {} })).json.success).toBe(true);
    const aborted = (await inflight).json.choices[0];
    expect(aborted.finish_reason).toBe('abort');
    expect(aborted.logprobs.tokens.length).toBeGreaterThan(0);
    const held = complete({ prompt: CHAT_PROMPT, max_tokens: 2, ignore_eos: true });
    await sleep(40);
    await call('POST', `${engine.url}/areal_continue_generation`, { body: {} });
    expect((await held).json.choices[0].finish_reason).toBe('length');
  });

  it('sleep and wake_up (dev mode, sleep mode) answer an empty 200 and hold requests in between', async () => {
    const slept = await call('POST', `${engine.url}/sleep`, { body: {} });
    expect([slept.status, slept.text]).toEqual([200, '']);
    const held = complete({ prompt: CHAT_PROMPT, max_tokens: 2, ignore_eos: true });
    await sleep(40);
    const woke = await call('POST', `${engine.url}/wake_up?tags=weights&tags=kv_cache`, { body: {} });
    expect([woke.status, woke.text]).toEqual([200, '']);
    expect((await held).json.choices[0].finish_reason).toBe('length');
  });

  it('lists the served model', async () => {
    const models = (await call('GET', `${engine.url}/v1/models`)).json;
    expect(models.object).toBe('list');
    expect(models.data[0]).toEqual(expect.objectContaining({ id: 'sim-model', object: 'model', max_model_len: 32768 }));
  });

  it.each([
    [{}, 'prompt'],
    [{ prompt: [] }, 'prompt'],
    [{ prompt: [1, 'x'] }, 'prompt'],
    [{ prompt: [[1], [2]] }, 'batched'],
    [{ prompt: [1], max_tokens: 0 }, 'max_tokens'],
    [{ prompt: [1], n: 3 }, 'n = 1'],
    [{ prompt: [1], logprobs: -1 }, 'logprobs'],
    [{ prompt: [1], use_beam_search: true }, 'beam'],
    [{ prompt: [1], temperature: -1 }, 'temperature'],
  ])('rejects %j with 400 in vLLM error shape', async (body, message) => {
    const res = await complete(body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: { message: expect.stringContaining(message), type: 'BadRequestError', param: null, code: 400 },
    });
  });

  it('answers an unknown model with 404', async () => {
    const res = await complete({ prompt: [1], model: 'other' });
    expect(res.status).toBe(404);
    expect(res.json.error.type).toBe('NotFoundError');
  });
});

describe('engine-sim process: echo mode', () => {
  let engine: SpawnedApp;

  beforeAll(async () => {
    engine = await spawnEngineSim(0, ['--mode', 'echo']);
  });

  afterAll(async () => {
    await engine.stop();
  });

  async function encodeChat(user: string, partialAnswer = ''): Promise<number[]> {
    // Let the engine's own tokenizer produce the ids (SGLang text input), then read them back.
    const text = `<|im_start|>system\nYou are a helper.<|im_end|>\n<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n${partialAnswer}`;
    const out = (
      await call('POST', `${engine.url}/generate`, { body: { text, sampling_params: { max_new_tokens: 0 } } })
    ).json as SglangOutput;
    expect(out.meta_info.prompt_tokens).toBeGreaterThan(0);
    const { HfTokenizer } = await import('../../libs/tokenizer/src/index.js');
    const tokenizer = await HfTokenizer.load();
    return tokenizer.encode(text);
  }

  it('answers with the last user turn, then EOS (a tool call the agent can parse)', async () => {
    const user = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
    const prompt = await encodeChat(user);
    const out = (
      await call('POST', `${engine.url}/generate`, {
        body: { input_ids: prompt, sampling_params: { max_new_tokens: 200, temperature: 0 } },
      })
    ).json as SglangOutput;
    expect(out.text).toBe(user);
    expect(out.meta_info.finish_reason).toEqual({ type: 'stop', matched: EOS });
  });

  it('continues after a partial answer so a resubmitted answer holds the user turn exactly once', async () => {
    const user = '<think>\nShort plan.\n</think>\n\nThe answer is 42.';
    const prompt = await encodeChat(user);
    const first = (
      await call('POST', `${engine.url}/generate`, {
        body: { input_ids: prompt, sampling_params: { max_new_tokens: 5, temperature: 0 } },
      })
    ).json as SglangOutput;
    expect(first.meta_info.finish_reason?.type).toBe('length');
    const resubmitted = (
      await call('POST', `${engine.url}/generate`, {
        body: {
          input_ids: [...prompt, ...first.output_ids],
          sampling_params: { max_new_tokens: 200, temperature: 0 },
          skip_special_tokens: false,
        },
      })
    ).json as SglangOutput;
    const { HfTokenizer } = await import('../../libs/tokenizer/src/index.js');
    const tokenizer = await HfTokenizer.load();
    expect(tokenizer.decode([...first.output_ids, ...resubmitted.output_ids], true)).toBe(user);
  });
});

describe('engine-sim process: flags and --api-key', () => {
  it('requires the api key on generation and control endpoints, not on health', async () => {
    const engine = await spawnApp('engine-sim', ['--api-key', 'engine-secret', '--decode-ms-per-token', '0']);
    try {
      const denied = await call('POST', `${engine.url}/generate`, {
        body: { input_ids: [1], sampling_params: { max_new_tokens: 1 } },
      });
      expect(denied.status).toBe(401);
      expect(denied.json).toEqual({ error: 'Unauthorized' });
      expect((await call('POST', `${engine.url}/pause_generation`, { body: {}, token: 'wrong' })).status).toBe(401);
      expect(
        (
          await call('POST', `${engine.url}/v1/completions`, {
            body: { prompt: [1], max_tokens: 1 },
            token: 'engine-secret',
          })
        ).status,
      ).toBe(200);
      expect((await call('GET', `${engine.url}/health`)).status).toBe(200);
    } finally {
      await engine.stop();
    }
  });

  it('serves one protocol family when restricted', async () => {
    const engine = await spawnApp('engine-sim', ['--protocol', 'vllm']);
    try {
      expect((await call('POST', `${engine.url}/generate`, { body: { input_ids: [1] } })).status).toBe(404);
      expect((await call('GET', `${engine.url}/v1/models`)).status).toBe(200);
    } finally {
      await engine.stop();
    }
  });

  it('exits non-zero naming the flag on a bad value', async () => {
    const res = await runApp('engine-sim', ['--mode', 'poetry']);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('--mode');
    const missing = await runApp('engine-sim', ['--tokenizer-path', '/nonexistent', '--port', '0']);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain('tokenizer.json');
  });
});

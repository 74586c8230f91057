import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, openApiGaps, startInProcess, type InProcessApp } from '@app/common/testing';
import { ENGINE_SIM_APP } from './engine-sim.app.js';

/**
 * Every engine-sim controller in-process through Fastify's inject (real tokenizer, real sampling):
 * the SGLang and vLLM endpoints answer in their servers' shapes, errors included.
 */
describe('engine-sim controllers (in-process)', () => {
  let engine: InProcessApp;
  const post = (url: string, body?: unknown) => engine.request('POST', url, { body });

  beforeAll(async () => {
    engine = await startInProcess(ENGINE_SIM_APP, [
      '--decode-ms-per-token',
      '0',
      '--health-generation',
      'false',
      '--enable-fault-injection',
      '--enable-memory-saver',
      '--vllm-server-dev-mode',
      '--enable-sleep-mode',
    ]);
  }, 30_000);

  afterAll(async () => {
    await engine.close();
  });

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await engine.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });

  it('EngineHealthController and ModelsController: empty 200 health; the model list with its context length', async () => {
    const health = await engine.request('GET', '/health');
    expect([health.status, health.text]).toEqual([200, '']);
    const models = (await engine.request('GET', '/v1/models')).json;
    expect(models.data[0]).toEqual(expect.objectContaining({ id: 'engine-sim', max_model_len: 32768 }));
  });

  it('SglangController: generate with log-probs; weight version; pause, continue, abort; memory; server info', async () => {
    const out = await post('/generate', {
      input_ids: [151644, 872, 198],
      sampling_params: { max_new_tokens: 4, temperature: 0 },
      return_logprob: true,
    });
    expect(out.json.output_ids).toHaveLength(out.json.meta_info.completion_tokens);
    expect(out.json.meta_info.output_token_logprobs.map((t: unknown[]) => t[1])).toEqual(out.json.output_ids);
    const bad = await post('/generate', { input_ids: 'x' });
    expect([bad.status, bad.json.object]).toEqual([400, 'error']);

    expect((await post('/update_weight_version', { new_version: 7 })).json).toEqual(
      expect.objectContaining({ success: true, new_version: '7' }),
    );
    expect((await engine.request('GET', '/get_weight_version')).json).toEqual({ weight_version: '7' });
    expect((await post('/pause_generation', { mode: 'abort' })).json.status).toBe('ok');
    expect((await post('/continue_generation')).json.status).toBe('ok');
    expect((await post('/abort_request', { abort_all: true })).status).toBe(200);
    expect((await post('/release_memory_occupation')).text).toBe('null');
    expect((await post('/resume_memory_occupation', { tags: ['weights', 'kv_cache'] })).text).toBe('null');
    expect((await post('/update_weights_from_disk', { model_path: '/m', weight_version: 8 })).json.success).toBe(true);
    expect((await engine.request('GET', '/get_model_info')).json.weight_version).toBe('8');
    expect((await engine.request('GET', '/get_server_info')).json).toEqual(
      expect.objectContaining({ enable_memory_saver: true, context_length: 32768 }),
    );
    expect((await post('/flush_cache')).text).toContain('Cache flushed');
  });

  it('VllmController: token-id completions with log-probs; sleep, wake, pause, resume; vLLM error bodies', async () => {
    const out = await post('/v1/completions', {
      prompt: [151644, 872, 198],
      max_tokens: 3,
      logprobs: 0,
      return_tokens_as_token_ids: true,
    });
    expect(out.json.choices[0].logprobs.tokens.every((t: string) => t.startsWith('token_id:'))).toBe(true);
    const bad = await post('/v1/completions', { prompt: [1], model: 'other' });
    expect([bad.status, bad.json.error.code]).toEqual([404, 404]);
    expect((await post('/sleep')).status).toBe(200);
    expect((await engine.request('GET', '/is_sleeping')).json).toEqual({ is_sleeping: true });
    expect((await post('/wake_up')).status).toBe(200);
    expect((await post('/areal_pause_generation')).json.success).toBe(true);
    expect((await post('/areal_continue_generation')).json.success).toBe(true);
    expect((await post('/pause')).json).toEqual({ status: 'paused' });
    expect((await engine.request('GET', '/is_paused')).json).toEqual({ is_paused: true });
    expect((await post('/resume')).json).toEqual({ status: 'resumed' });
  });

  it('FaultsController: queue faults for the next requests, clear them; malformed faults are 400', async () => {
    expect((await post('/engine_sim/faults', { faults: [{ vllm_finish: 'repetition', times: 2 }] })).json).toEqual({
      queued: 2,
    });
    expect((await post('/engine_sim/faults', { faults: [{}] })).status).toBe(400);
    expect((await engine.request('DELETE', '/engine_sim/faults')).json).toEqual({ cleared: 2 });
  });
});

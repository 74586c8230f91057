import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { PROMPT_IDS, startEngineSim, type TestEngine } from '../engine-sim.fixtures.js';
import { SglangController } from './sglang.controller.js';

/** SGLang's native endpoints, in its shapes, errors included. */
describe(SglangController.name, () => {
  const engine = appForSuite(startEngineSim);
  const post: TestEngine['post'] = (...args) => engine().post(...args);

  describe('POST /generate', () => {
    it('answers one log-prob per output token, for that token', async () => {
      const out = await post('/generate', {
        input_ids: PROMPT_IDS,
        sampling_params: { max_new_tokens: 4, temperature: 0 },
        return_logprob: true,
      });
      expect(out.json.output_ids).toHaveLength(out.json.meta_info.completion_tokens);
      expect(out.json.meta_info.output_token_logprobs.map((t: unknown[]) => t[1])).toEqual(out.json.output_ids);
    });

    it('refuses input ids that are not a list with 400 in SGLang error shape', async () => {
      const bad = await post('/generate', { input_ids: 'x' });
      expect([bad.status, bad.json.object]).toEqual([400, 'error']);
    });
  });

  describe('POST /update_weight_version', () => {
    it('sets the version GET /get_weight_version answers, as a string', async () => {
      expect((await post('/update_weight_version', { new_version: 7 })).json).toEqual(
        expect.objectContaining({ success: true, new_version: '7' }),
      );
      expect((await engine().get('/get_weight_version')).json).toEqual({ weight_version: '7' });
    });
  });

  describe('POST /update_weights_from_disk', () => {
    it('loads and sets the weight version GET /get_model_info answers', async () => {
      expect((await post('/update_weights_from_disk', { model_path: '/m', weight_version: 8 })).json.success).toBe(
        true,
      );
      expect((await engine().get('/get_model_info')).json.weight_version).toBe('8');
    });
  });

  describe('POST /pause_generation', () => {
    it('pauses in abort mode', async () => {
      expect((await post('/pause_generation', { mode: 'abort' })).json.status).toBe('ok');
    });
  });

  describe('POST /continue_generation', () => {
    it('continues', async () => {
      expect((await post('/continue_generation')).json.status).toBe('ok');
    });
  });

  describe('POST /abort_request', () => {
    it('aborts all requests', async () => {
      expect((await post('/abort_request', { abort_all: true })).status).toBe(200);
    });
  });

  describe('POST /release_memory_occupation', () => {
    it('answers null, as SGLang does', async () => {
      expect((await post('/release_memory_occupation')).text).toBe('null');
    });
  });

  describe('POST /resume_memory_occupation', () => {
    it('answers null for the weights and the KV cache', async () => {
      expect((await post('/resume_memory_occupation', { tags: ['weights', 'kv_cache'] })).text).toBe('null');
    });
  });

  describe('GET /get_server_info', () => {
    it('reports the memory saver and the context length', async () => {
      expect((await engine().get('/get_server_info')).json).toEqual(
        expect.objectContaining({ enable_memory_saver: true, context_length: 32768 }),
      );
    });
  });

  describe('POST /flush_cache', () => {
    it('flushes the cache', async () => {
      expect((await post('/flush_cache')).text).toContain('Cache flushed');
    });
  });
});

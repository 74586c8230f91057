import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { PROMPT_IDS, startEngineSim, type TestEngine } from '../engine-sim.fixtures.js';
import { VllmController } from './vllm.controller.js';

/** vLLM's endpoints, in its shapes, errors included. */
describe(VllmController.name, () => {
  const engine = appForSuite(startEngineSim);
  const post: TestEngine['post'] = (...args) => engine().post(...args);

  describe('POST /v1/completions', () => {
    it('names tokens by id in log-probs when asked to', async () => {
      const out = await post('/v1/completions', {
        prompt: PROMPT_IDS,
        max_tokens: 3,
        logprobs: 0,
        return_tokens_as_token_ids: true,
      });
      expect(out.json.choices[0].logprobs.tokens.every((t: string) => t.startsWith('token_id:'))).toBe(true);
    });

    it("answers 404 in vLLM's error shape for a model it does not serve", async () => {
      const bad = await post('/v1/completions', { prompt: [1], model: 'other' });
      expect([bad.status, bad.json.error.code]).toEqual([404, 404]);
    });
  });

  describe('POST /sleep and POST /wake_up', () => {
    it('sleeps, as GET /is_sleeping then says', async () => {
      expect((await post('/sleep')).status).toBe(200);
      expect((await engine().get('/is_sleeping')).json).toEqual({ is_sleeping: true });
    });

    it('wakes up', async () => {
      expect((await post('/wake_up')).status).toBe(200);
      expect((await engine().get('/is_sleeping')).json).toEqual({ is_sleeping: false });
    });
  });

  describe('POST /pause and POST /resume', () => {
    it('pauses, as GET /is_paused then says', async () => {
      expect((await post('/pause')).json).toEqual({ status: 'paused' });
      expect((await engine().get('/is_paused')).json).toEqual({ is_paused: true });
    });

    it('resumes', async () => {
      expect((await post('/resume')).json).toEqual({ status: 'resumed' });
      expect((await engine().get('/is_paused')).json).toEqual({ is_paused: false });
    });
  });

  describe("AReaL's pause endpoints", () => {
    it('pauses with POST /areal_pause_generation', async () => {
      expect((await post('/areal_pause_generation')).json.success).toBe(true);
    });

    it('continues with POST /areal_continue_generation', async () => {
      expect((await post('/areal_continue_generation')).json.success).toBe(true);
    });
  });
});

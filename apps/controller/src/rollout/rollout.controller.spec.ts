import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startAttachedController, type AttachedController } from '../controller.fixtures.js';
import { RolloutController } from './rollout.controller.js';

/**
 * The rollout API, in-process in attach mode: what it answers before any episode runs, and the
 * bad requests it refuses before starting one (episodes themselves: test/e2e/rollout).
 */
describe(RolloutController.name, () => {
  const controller = appForSuite(startAttachedController);
  const admin: AttachedController['admin'] = (...args) => controller().admin(...args);
  const AGENT = 'examples/math-agent/agent.mjs';

  describe('GET /rollout/status', () => {
    it('refuses a call without the admin key', async () => {
      expect((await controller().app.request('GET', '/rollout/status')).status).toBe(401);
    });

    it('shows nothing queued, pooled or streamed before any episode', async () => {
      expect((await admin('GET', '/rollout/status')).json).toEqual(
        expect.objectContaining({ queued: 0, pooled: 0, streams: [] }),
      );
    });
  });

  describe('GET /capacity', () => {
    it("shows the router's permits beside how many episodes may start", async () => {
      expect((await admin('GET', '/capacity')).json).toEqual(
        expect.objectContaining({ router_permits: 2, capacity: expect.any(Number) }),
      );
    });
  });

  describe('POST /rollout/reset', () => {
    it('answers how many prepare_batch streams it started over (none yet)', async () => {
      expect((await admin('POST', '/rollout/reset')).json).toEqual({ status: 'ok', streams_reset: 0 });
    });
  });

  describe('POST /rollout/wait', () => {
    it('times out with no results when nothing was submitted', async () => {
      expect((await admin('POST', '/rollout/wait', { count: 1, timeout_s: 0 })).json).toEqual({
        results: [],
        timed_out: true,
      });
    });
  });

  describe('POST /rollout/wait_for_task', () => {
    it('answers 404 for a task never submitted', async () => {
      expect((await admin('POST', '/rollout/wait_for_task', { task_id: 99, timeout_s: 0 })).status).toBe(404);
    });
  });

  describe('POST /rollout/submit', () => {
    it('refuses an agent file that does not exist with 400', async () => {
      expect((await admin('POST', '/rollout/submit', { data: {}, agent: 'examples/nope.mjs' })).status).toBe(400);
    });
  });

  describe('POST /rollout/batch', () => {
    it('refuses an empty items list with 400', async () => {
      expect((await admin('POST', '/rollout/batch', { items: [], agent: AGENT })).status).toBe(400);
    });

    it('refuses items that do not match batch_size with 400', async () => {
      const res = await admin('POST', '/rollout/batch', { items: [{}, {}], batch_size: 3, agent: AGENT });
      expect([res.status, res.json.detail]).toEqual([400, expect.stringContaining('batch_size=3')]);
    });

    it('refuses a body that is not an object with VALIDATION_FAILED', async () => {
      expect((await admin('POST', '/rollout/batch', '[1]')).json.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('POST /rollout/prepare_batch', () => {
    it('refuses a batch size of 0 with 400', async () => {
      expect((await admin('POST', '/rollout/prepare_batch', { batch_size: 0 })).status).toBe(400);
    });
  });
});

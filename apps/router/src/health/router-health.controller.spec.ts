import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRouter, type TestRouter } from '../router.fixtures.js';
import { RouterHealthController } from './router-health.controller.js';

describe(RouterHealthController.name, () => {
  let router: TestRouter;

  beforeAll(async () => {
    router = await startRouter();
  });

  afterAll(async () => {
    await router.close();
  });

  describe('GET /health', () => {
    it('answers liveness with the state summary, no key needed', async () => {
      const res = await router.app.request('GET', '/health');
      expect(res.status).toBe(200);
      expect(res.json).toEqual(expect.objectContaining({ status: 'ok', workers: 0, strategy: 'round_robin' }));
    });
  });
});

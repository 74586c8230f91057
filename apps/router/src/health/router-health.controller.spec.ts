import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startRouter } from '../router.fixtures.js';
import { RouterHealthController } from './router-health.controller.js';

describe(RouterHealthController.name, () => {
  const router = appForSuite(startRouter);

  describe('GET /health', () => {
    it('answers liveness with the state summary, no key needed', async () => {
      const res = await router().app.request('GET', '/health');
      expect(res.status).toBe(200);
      expect(res.json).toEqual(expect.objectContaining({ status: 'ok', workers: 0, strategy: 'round_robin' }));
    });
  });
});

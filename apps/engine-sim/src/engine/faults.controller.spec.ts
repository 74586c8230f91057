import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startEngineSim } from '../engine-sim.fixtures.js';
import { FaultsController } from './faults.controller.js';

describe(FaultsController.name, () => {
  const engine = appForSuite(startEngineSim);

  describe('POST /engine_sim/faults', () => {
    it('queues each fault for as many requests as it says', async () => {
      expect(
        (await engine().post('/engine_sim/faults', { faults: [{ vllm_finish: 'repetition', times: 2 }] })).json,
      ).toEqual({ queued: 2 });
    });

    it('refuses a fault that names nothing with 400', async () => {
      expect((await engine().post('/engine_sim/faults', { faults: [{}] })).status).toBe(400);
    });
  });

  describe('DELETE /engine_sim/faults', () => {
    it('clears the queued faults and counts them', async () => {
      await engine().app.request('DELETE', '/engine_sim/faults');
      await engine().post('/engine_sim/faults', { faults: [{ vllm_finish: 'repetition', times: 3 }] });
      expect((await engine().app.request('DELETE', '/engine_sim/faults')).json).toEqual({ cleared: 3 });
    });
  });
});

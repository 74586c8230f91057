import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startEngineSim } from '../engine-sim.fixtures.js';
import { EngineHealthController } from './engine-health.controller.js';

describe(EngineHealthController.name, () => {
  const engine = appForSuite(startEngineSim);

  describe('GET /health', () => {
    it('answers 200 with an empty body, as SGLang does', async () => {
      const health = await engine().get('/health');
      expect([health.status, health.text]).toEqual([200, '']);
    });
  });
});

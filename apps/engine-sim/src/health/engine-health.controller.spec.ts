import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEngineSim, type TestEngine } from '../engine-sim.fixtures.js';
import { EngineHealthController } from './engine-health.controller.js';

describe(EngineHealthController.name, () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await startEngineSim();
  }, 30_000);

  afterAll(async () => {
    await engine.close();
  });

  describe('GET /health', () => {
    it('answers 200 with an empty body, as SGLang does', async () => {
      const health = await engine.get('/health');
      expect([health.status, health.text]).toEqual([200, '']);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEngineSim, type TestEngine } from '../engine-sim.fixtures.js';
import { EngineModelsController } from './models.controller.js';

describe(EngineModelsController.name, () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await startEngineSim();
  }, 30_000);

  afterAll(async () => {
    await engine.close();
  });

  describe('GET /v1/models', () => {
    it('lists the served model with its context length', async () => {
      expect((await engine.get('/v1/models')).json.data[0]).toEqual(
        expect.objectContaining({ id: 'engine-sim', max_model_len: 32768 }),
      );
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startEngineSim } from '../engine-sim.fixtures.js';
import { EngineModelsController } from './models.controller.js';

describe(EngineModelsController.name, () => {
  const engine = appForSuite(startEngineSim);

  describe('GET /v1/models', () => {
    it('lists the served model with its context length', async () => {
      expect((await engine().get('/v1/models')).json.data[0]).toEqual(
        expect.objectContaining({ id: 'engine-sim', max_model_len: 32768 }),
      );
    });
  });
});

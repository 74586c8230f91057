import { describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, appForSuite, openApiGaps } from '@app/common/testing';
import { startEngineSim } from './engine-sim.fixtures.js';

/** What holds for engine-sim as a whole (each controller has its own spec beside it). */
describe('engine-sim app', () => {
  const engine = appForSuite(startEngineSim);

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    expect(openApiGaps((await engine().get('/openapi.json')).json, BODYLESS_OPERATIONS)).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, openApiGaps } from '@app/common/testing';
import { startEngineSim, type TestEngine } from './engine-sim.fixtures.js';

/** What holds for engine-sim as a whole (each controller has its own spec beside it). */
describe('engine-sim app', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await startEngineSim();
  }, 30_000);

  afterAll(async () => {
    await engine.close();
  });

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    expect(openApiGaps((await engine.get('/openapi.json')).json, BODYLESS_OPERATIONS)).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, openApiGaps } from '@app/common/testing';
import { startRouter, type TestRouter } from './router.fixtures.js';

/** What holds for the router app as a whole (each controller has its own spec beside it). */
describe('router app', () => {
  let router: TestRouter;

  beforeAll(async () => {
    router = await startRouter();
  });

  afterAll(async () => {
    await router.close();
  });

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await router.app.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });
});

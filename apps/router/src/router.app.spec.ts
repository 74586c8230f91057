import { describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, appForSuite, openApiGaps } from '@app/common/testing';
import { startRouter } from './router.fixtures.js';

/** What holds for the router app as a whole (each controller has its own spec beside it). */
describe('router app', () => {
  const router = appForSuite(startRouter);

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await router().app.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, appForSuite, openApiGaps } from '@app/common/testing';
import { startDataProxy } from './data-proxy.fixtures.js';

/** What holds for the data proxy app as a whole (each controller has its own spec beside it). */
describe('data proxy app', () => {
  const proxy = appForSuite(startDataProxy);

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    expect(openApiGaps((await proxy().app.request('GET', '/openapi.json')).json, BODYLESS_OPERATIONS)).toEqual([]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, appForSuite, openApiGaps } from '@app/common/testing';
import { startGateway } from './gateway.fixtures.js';

/** What holds for the gateway app as a whole (each controller has its own spec beside it). */
describe('gateway app', () => {
  const gateway = appForSuite(startGateway);

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await gateway().app.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });
});

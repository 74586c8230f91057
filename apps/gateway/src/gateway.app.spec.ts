import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, openApiGaps } from '@app/common/testing';
import { startGateway, type TestGateway } from './gateway.fixtures.js';

/** What holds for the gateway app as a whole (each controller has its own spec beside it). */
describe('gateway app', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await gateway.app.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });
});

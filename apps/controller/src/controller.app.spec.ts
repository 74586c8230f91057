import { describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, appForSuite, openApiGaps } from '@app/common/testing';
import { startAttachedController } from './controller.fixtures.js';

/** What holds for the controller app as a whole (each controller has its own spec beside it). */
describe('controller app', () => {
  const controller = appForSuite(startAttachedController);

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await controller().app.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });
});

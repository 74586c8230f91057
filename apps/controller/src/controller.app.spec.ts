import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, openApiGaps } from '@app/common/testing';
import { startAttachedController, type AttachedController } from './controller.fixtures.js';

/** What holds for the controller app as a whole (each controller has its own spec beside it). */
describe('controller app', () => {
  let controller: AttachedController;

  beforeAll(async () => {
    controller = await startAttachedController();
  });

  afterAll(async () => {
    await controller.close();
  });

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await controller.app.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startDataProxy, type TestDataProxy } from '../data-proxy.fixtures.js';
import { ExternalModelsController } from './external-models.js';

/** OpenAI-compatible providers registered for a model name. */
describe(ExternalModelsController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const admin: TestDataProxy['admin'] = (...args) => proxy().admin(...args);

  describe('POST /register_model', () => {
    it('registers a provider under the model name', async () => {
      expect(
        (await admin('POST', '/register_model', { model: 'gpt', url: 'https://api.example.com/v1' })).json,
      ).toEqual({ status: 'ok', name: 'gpt' });
    });

    it('refuses a provider URL that is not http(s) with 400', async () => {
      expect((await admin('POST', '/register_model', { model: 'gpt', url: 'ftp://x' })).status).toBe(400);
    });
  });

  describe('POST /unregister_model', () => {
    it('forgets a registered provider', async () => {
      await admin('POST', '/register_model', { model: 'gone', url: 'https://api.example.com/v1' });
      expect((await admin('POST', '/unregister_model', { name: 'gone' })).json).toEqual({
        status: 'ok',
        removed: true,
      });
    });

    it('refuses a body that is not an object with 422', async () => {
      expect((await admin('POST', '/unregister_model', [])).status).toBe(422);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ENGINE, startDataProxy, type TestDataProxy } from '../data-proxy.fixtures.js';
import { DataProxyHealthController } from './data-proxy-health.controller.js';

describe(DataProxyHealthController.name, () => {
  let proxy: TestDataProxy;

  beforeAll(async () => {
    proxy = await startDataProxy();
  }, 30_000);

  afterAll(async () => {
    await proxy.close();
  });

  describe('GET /health', () => {
    it('answers liveness with the engine and its kind, no key needed', async () => {
      expect((await proxy.app.request('GET', '/health')).json).toEqual(
        expect.objectContaining({ status: 'ok', backend: ENGINE, backend_type: 'sglang' }),
      );
    });
  });
});

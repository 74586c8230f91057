import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { ENGINE, startDataProxy } from '../data-proxy.fixtures.js';
import { DataProxyHealthController } from './data-proxy-health.controller.js';

describe(DataProxyHealthController.name, () => {
  const proxy = appForSuite(startDataProxy);

  describe('GET /health', () => {
    it('answers liveness with the engine and its kind, no key needed', async () => {
      expect((await proxy().app.request('GET', '/health')).json).toEqual(
        expect.objectContaining({ status: 'ok', backend: ENGINE, backend_type: 'sglang' }),
      );
    });
  });
});

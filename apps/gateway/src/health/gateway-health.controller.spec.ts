import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { ROUTER, startGateway } from '../gateway.fixtures.js';
import { GatewayHealthController } from './gateway-health.controller.js';

describe(GatewayHealthController.name, () => {
  const gateway = appForSuite(startGateway);

  describe('GET /health', () => {
    it('answers liveness with the router address, no key needed', async () => {
      expect((await gateway().app.request('GET', '/health')).json).toEqual({ status: 'ok', router_addr: ROUTER });
    });
  });
});

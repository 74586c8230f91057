import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTER, startGateway, type TestGateway } from '../gateway.fixtures.js';
import { GatewayHealthController } from './gateway-health.controller.js';

describe(GatewayHealthController.name, () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway.close();
  });

  describe('GET /health', () => {
    it('answers liveness with the router address, no key needed', async () => {
      expect((await gateway.app.request('GET', '/health')).json).toEqual({ status: 'ok', router_addr: ROUTER });
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { json, PROXY_A, ROUTED_TO_A, startGateway, type TestGateway } from '../gateway.fixtures.js';
import { GatewaySessionsController } from './sessions.controller.js';

describe(GatewaySessionsController.name, () => {
  const gateway = appForSuite(startGateway);
  const admin: TestGateway['admin'] = (...args) => gateway().admin(...args);
  const routedToA = () => gateway().router.intercept({ path: '/route', method: 'POST' }).reply(200, ROUTED_TO_A, json);

  describe('POST /rl/start_session', () => {
    it('creates the session on the chosen data proxy and pins it there', async () => {
      routedToA();
      gateway()
        .proxyA.intercept({ path: '/rl/start_session', method: 'POST' })
        .reply(201, { session_id: 's-1', api_key: 'k-1' }, json);
      gateway().recordPosts(gateway().router, '/register_session');
      const started = await admin('POST', '/rl/start_session', { task_id: 't' });
      expect([started.status, started.json]).toEqual([201, { session_id: 's-1', api_key: 'k-1' }]);
      expect(gateway().received['/register_session']).toEqual([
        { session_api_key: 'k-1', session_id: 's-1', worker_addr: PROXY_A },
      ]);
    });

    it('answers 429 NO_CAPACITY when the router refuses the pin, and removes the session it created', async () => {
      routedToA();
      gateway()
        .proxyA.intercept({ path: '/rl/start_session', method: 'POST' })
        .reply(201, { session_id: 's-2', api_key: 'k-2' }, json);
      gateway()
        .router.intercept({ path: '/register_session', method: 'POST' })
        .reply(429, { detail: 'no capacity' }, json);
      gateway().recordPosts(gateway().proxyA, '/rl/remove_session');
      const refused = await admin('POST', '/rl/start_session', { task_id: 't' });
      expect([refused.status, refused.json.code]).toEqual([429, 'NO_CAPACITY']);
      expect(gateway().received['/rl/remove_session']).toEqual([{ session_ids: ['s-2'] }]);
    });
  });

  describe('POST /export_trajectories', () => {
    it("relays the data proxy's answer and releases the pin", async () => {
      routedToA();
      gateway()
        .proxyA.intercept({ path: '/export_trajectories', method: 'POST' })
        .reply(200, { interactions: { a: {} } }, json);
      gateway().recordPosts(gateway().router, '/remove_session');
      const exported = await admin('POST', '/export_trajectories', { session_id: 's-1', trajectory_id: 0 });
      expect([exported.status, exported.json]).toEqual([200, { interactions: { a: {} } }]);
      expect(gateway().received['/remove_session']).toEqual([{ session_id: 's-1' }]);
    });

    it('refuses a body that is not an object with 422 VALIDATION_FAILED', async () => {
      const bad = await admin('POST', '/export_trajectories', [1, 2]);
      expect([bad.status, bad.json.code]).toEqual([422, 'VALIDATION_FAILED']);
    });

    it('refuses a body without a session id with 400', async () => {
      expect((await admin('POST', '/export_trajectories', {})).status).toBe(400);
    });
  });
});

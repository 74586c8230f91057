import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { json, PROXY_A, startGateway, type TestGateway } from '../gateway.fixtures.js';
import { GatewayWorkersController } from './workers.controller.js';

/** Per-worker control: the id is resolved by the router, and the worker's own result is reported. */
describe(GatewayWorkersController.name, () => {
  const gateway = appForSuite(startGateway);
  const admin: TestGateway['admin'] = (...args) => gateway().admin(...args);
  const resolvesToA = () =>
    gateway()
      .router.intercept({ path: '/resolve_worker/w-1', method: 'GET' })
      .reply(200, { worker_addr: PROXY_A }, json);

  describe('POST /pause_generation/:worker_id', () => {
    it("reports the worker's result", async () => {
      resolvesToA();
      gateway()
        .proxyA.intercept({ path: '/pause_generation', method: 'POST' })
        .reply(200, { status: 'ok', paused: true }, json);
      expect((await admin('POST', '/pause_generation/w-1')).json).toEqual({
        results: [{ worker_addr: PROXY_A, status: 200, ok: true, error: null }],
      });
    });

    it('answers 404 WORKER_NOT_FOUND for an id the router does not know', async () => {
      gateway().router.intercept({ path: '/resolve_worker/nobody', method: 'GET' }).reply(404, {}, json);
      const unknown = await admin('POST', '/pause_generation/nobody');
      expect([unknown.status, unknown.json.code]).toEqual([404, 'WORKER_NOT_FOUND']);
    });
  });

  describe('POST /continue_generation/:worker_id', () => {
    it("reports a worker's failure as its result, never as a gateway error", async () => {
      resolvesToA();
      gateway().proxyA.intercept({ path: '/continue_generation', method: 'POST' }).reply(503, 'engine down');
      const res = await admin('POST', '/continue_generation/w-1');
      expect(res.status).toBe(200);
      expect(res.json.results[0]).toEqual(expect.objectContaining({ ok: false, status: 503, error: 'engine down' }));
    });
  });

  describe('GET /get_version/:worker_id', () => {
    it("answers the worker's version", async () => {
      resolvesToA();
      gateway().proxyA.intercept({ path: '/get_version', method: 'GET' }).reply(200, { version: 4 }, json);
      expect((await admin('GET', '/get_version/w-1')).json).toEqual({ version: 4 });
    });
  });
});

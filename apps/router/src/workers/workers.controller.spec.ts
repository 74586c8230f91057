import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startRouter, WORKER, type TestRouter } from '../router.fixtures.js';
import { RouterWorkersController } from './workers.controller.js';

describe(RouterWorkersController.name, () => {
  const router = appForSuite(startRouter);
  const admin: TestRouter['admin'] = (...args) => router().admin(...args);
  const addrs = async () => ((await admin('GET', '/workers')).json.workers as { addr: string }[]).map((w) => w.addr);

  describe('POST /register', () => {
    it('refuses a call without a key', async () => {
      expect((await router().app.request('POST', '/register', { body: { worker_addr: WORKER } })).status).toBe(401);
    });

    it('refuses a key that is not the admin key', async () => {
      expect((await router().app.request('POST', '/register', { body: {}, token: 'nope' })).status).toBe(403);
    });

    it('refuses an address that is not http(s) with 422 VALIDATION_FAILED', async () => {
      const bad = await admin('POST', '/register', { worker_addr: 'ftp://x' });
      expect([bad.status, bad.json.code]).toEqual([422, 'VALIDATION_FAILED']);
    });

    it('answers the worker id and the router instance', async () => {
      const registered = await admin('POST', '/register', { worker_addr: WORKER });
      expect([registered.status, registered.json]).toEqual([
        200,
        expect.objectContaining({ status: 'ok', worker_id: expect.any(String), router_instance: expect.any(String) }),
      ]);
    });
  });

  describe('GET /workers', () => {
    it('lists the registered workers', async () => {
      await admin('POST', '/register', { worker_addr: WORKER });
      expect(await addrs()).toEqual([WORKER]);
    });
  });

  describe('GET /resolve_worker/:worker_id', () => {
    it("answers a registered worker's address", async () => {
      const { worker_id } = (await admin('POST', '/register', { worker_addr: WORKER })).json as { worker_id: string };
      expect((await admin('GET', `/resolve_worker/${worker_id}`)).json.worker_addr).toBe(WORKER);
    });

    it('answers 404 WORKER_NOT_FOUND for an unknown id', async () => {
      const unknown = await admin('GET', '/resolve_worker/nobody');
      expect([unknown.status, unknown.json.code]).toEqual([404, 'WORKER_NOT_FOUND']);
    });
  });

  describe('POST /unregister', () => {
    it('removes the worker from the list', async () => {
      await admin('POST', '/register', { worker_addr: WORKER });
      expect((await admin('POST', '/unregister', { worker_addr: WORKER })).json.status).toBe('ok');
      expect(await addrs()).toEqual([]);
    });
  });
});

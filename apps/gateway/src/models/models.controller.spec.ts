import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { json, PROXY_A, PROXY_B, startGateway, type TestGateway } from '../gateway.fixtures.js';
import { GatewayModelsController } from './models.controller.js';

describe(GatewayModelsController.name, () => {
  const gateway = appForSuite(startGateway);
  const admin: TestGateway['admin'] = (...args) => gateway().admin(...args);
  /** The router does not know `model` yet and registers it with `addrs`. */
  const newModelOnRouter = (model: string, addrs: string[]) => {
    gateway()
      .router.intercept({ path: `/models/${model}`, method: 'GET' })
      .reply(404, { code: 'MODEL_NOT_FOUND' }, json);
    gateway()
      .router.intercept({ path: '/register_model', method: 'POST' })
      .reply(200, { status: 'ok', model, data_proxy_addrs: addrs }, json);
  };

  describe('POST /register_model', () => {
    it('registers on the router, then on every data proxy', async () => {
      newModelOnRouter('m', [PROXY_A]);
      gateway()
        .proxyA.intercept({ path: '/register_model', method: 'POST' })
        .reply(200, { status: 'ok', name: 'm' }, json);
      const ok = await admin('POST', '/register_model', { model: 'm' });
      expect([ok.status, ok.json]).toEqual([200, { status: 'ok', model: 'm', data_proxy_addrs: [PROXY_A] }]);
    });

    it('answers 502 with each data proxy result when one fails', async () => {
      newModelOnRouter('half', [PROXY_A, PROXY_B]);
      gateway().proxyA.intercept({ path: '/register_model', method: 'POST' }).reply(200, { status: 'ok' }, json);
      gateway().proxyB.intercept({ path: '/register_model', method: 'POST' }).reply(500, { detail: 'boom' }, json);
      gateway().recordPosts(gateway().proxyA, '/unregister_model');
      gateway().recordPosts(gateway().router, '/remove_model');
      const failed = await admin('POST', '/register_model', { model: 'half' });
      expect(failed.status).toBe(502);
      expect(failed.json.results.map((r: { addr: string; ok: boolean }) => [r.addr, r.ok])).toEqual([
        [PROXY_A, true],
        [PROXY_B, false],
      ]);
    });

    it('rolls back exactly what a failed call did: a new model leaves the data proxy that took it and the router', async () => {
      newModelOnRouter('rolled', [PROXY_A, PROXY_B]);
      gateway().proxyA.intercept({ path: '/register_model', method: 'POST' }).reply(200, { status: 'ok' }, json);
      gateway().proxyB.intercept({ path: '/register_model', method: 'POST' }).reply(500, { detail: 'boom' }, json);
      gateway().recordPosts(gateway().proxyA, '/unregister_model');
      gateway().recordPosts(gateway().router, '/remove_model');
      const callsBefore = (path: string) => gateway().received[path]?.length ?? 0;
      const [unregistered, removed] = [callsBefore('/unregister_model'), callsBefore('/remove_model')];
      await admin('POST', '/register_model', { model: 'rolled' });
      expect(gateway().received['/unregister_model'].slice(unregistered)).toEqual([{ name: 'rolled' }]);
      expect(gateway().received['/remove_model'].slice(removed)).toEqual([{ name: 'rolled' }]);
    });

    // Validated with its contract class before anything is called, in the gateway's error shape.
    it('refuses a body without a model with 400 naming each field', async () => {
      const missing = await admin('POST', '/register_model', { url: 'x' });
      expect([missing.status, missing.json.code, missing.json.error]).toEqual([
        400,
        'BAD_REQUEST',
        'model is required; url must be an http(s) URL or empty',
      ]);
    });

    it('refuses data proxy addresses that are not strings with 400', async () => {
      const badList = await admin('POST', '/register_model', { model: 'm', data_proxy_addrs: [5] });
      expect([badList.status, badList.text.includes('data_proxy_addrs')]).toEqual([400, true]);
    });

    it('refuses malformed JSON with 400 MALFORMED_JSON', async () => {
      const malformed = await admin('POST', '/register_model', '{oops');
      expect([malformed.status, malformed.json.code, malformed.json.error]).toEqual([
        400,
        'MALFORMED_JSON',
        'Invalid JSON body',
      ]);
    });
  });

  describe('GET /models', () => {
    it("answers the router's model names", async () => {
      gateway()
        .router.intercept({ path: '/models', method: 'GET' })
        .reply(200, { models: ['m'] }, json);
      expect((await admin('GET', '/models')).json).toEqual({ models: ['m'] });
    });
  });

  describe('GET /v1/models', () => {
    it("answers the router's models as an OpenAI model list", async () => {
      gateway()
        .router.intercept({ path: '/models', method: 'GET' })
        .reply(200, { models: ['m'] }, json);
      expect((await admin('GET', '/v1/models')).json).toEqual({
        object: 'list',
        data: [{ id: 'm', object: 'model', created: 0, owned_by: 'rollout-inference-service' }],
      });
    });
  });

  describe('POST /grant_capacity', () => {
    it("relays the router's grant", async () => {
      gateway()
        .router.intercept({ path: '/grant_capacity', method: 'POST' })
        .reply(200, { status: 'ok', capacity: 3 }, json);
      expect((await admin('POST', '/grant_capacity')).json).toEqual({ status: 'ok', capacity: 3 });
    });
  });
});

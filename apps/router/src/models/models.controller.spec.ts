import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startRouter, WORKER, type TestRouter } from '../router.fixtures.js';
import { RouterModelsController } from './models.controller.js';

describe(RouterModelsController.name, () => {
  const router = appForSuite(startRouter);
  const admin: TestRouter['admin'] = (...args) => router().admin(...args);

  describe('POST /register_model', () => {
    it('answers 503 NO_HEALTHY_WORKERS when it names no address and no worker is healthy', async () => {
      const res = await admin('POST', '/register_model', { model: 'orphan' });
      expect([res.status, res.json.code]).toEqual([503, 'NO_HEALTHY_WORKERS']);
    });

    it('registers a model with its data proxies', async () => {
      expect((await admin('POST', '/register_model', { model: 'm', data_proxy_addrs: [WORKER] })).json).toEqual({
        status: 'ok',
        model: 'm',
        data_proxy_addrs: [WORKER],
      });
    });
  });

  describe('GET /models', () => {
    it('lists the registered names', async () => {
      await admin('POST', '/register_model', { model: 'listed', data_proxy_addrs: [WORKER] });
      expect((await admin('GET', '/models')).json.models).toContain('listed');
    });
  });

  describe('GET /models/:name', () => {
    it('answers the entry', async () => {
      await admin('POST', '/register_model', { model: 'read', data_proxy_addrs: [WORKER] });
      expect((await admin('GET', '/models/read')).json).toEqual({
        model: 'read',
        url: '',
        api_key: null,
        data_proxy_addrs: [WORKER],
      });
    });

    it('answers 404 MODEL_NOT_FOUND for an unknown name', async () => {
      const gone = await admin('GET', '/models/nobody');
      expect([gone.status, gone.json.code]).toEqual([404, 'MODEL_NOT_FOUND']);
    });
  });

  describe('POST /remove_model', () => {
    it('removes the model', async () => {
      await admin('POST', '/register_model', { model: 'removed', data_proxy_addrs: [WORKER] });
      expect((await admin('POST', '/remove_model', { name: 'removed' })).json).toEqual({
        status: 'ok',
        name: 'removed',
      });
      expect((await admin('GET', '/models/removed')).status).toBe(404);
    });

    it('answers 404 MODEL_NOT_FOUND for an unknown name', async () => {
      const res = await admin('POST', '/remove_model', { name: 'nobody' });
      expect([res.status, res.json.code]).toEqual([404, 'MODEL_NOT_FOUND']);
    });
  });
});

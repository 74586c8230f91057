import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { ENGINE, startDataProxy, type TestDataProxy } from '../data-proxy.fixtures.js';
import { DataProxyControlController } from './control.controller.js';

/** Generation control, weight versions and memory, as the controller drives them. */
describe(DataProxyControlController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const admin: TestDataProxy['admin'] = (...args) => proxy().admin(...args);
  const ENGINE_OK = { message: 'ok', status: 'ok' };

  describe('POST /pause_generation', () => {
    it('pauses the engine and says so', async () => {
      proxy().engineReplies('/pause_generation', ENGINE_OK);
      expect((await admin('POST', '/pause_generation', { mode: 'abort' })).json).toEqual({
        status: 'ok',
        paused: true,
      });
      expect(proxy().engineCalls.at(-1)!.path).toBe('/pause_generation');
    });

    it('refuses a call without the admin key with 401', async () => {
      expect((await proxy().app.request('POST', '/pause_generation', { body: {} })).status).toBe(401);
    });
  });

  describe('POST /continue_generation', () => {
    it('continues the engine and says so', async () => {
      proxy().engineReplies('/continue_generation', ENGINE_OK);
      expect((await admin('POST', '/continue_generation')).json).toEqual({ status: 'ok', paused: false });
      expect(proxy().engineCalls.at(-1)!.path).toBe('/continue_generation');
    });
  });

  describe('POST /set_version', () => {
    it('sets the version GET /get_version answers', async () => {
      expect((await admin('POST', '/set_version', { version: 3 })).json).toEqual({ status: 'ok', version: 3 });
      expect((await admin('GET', '/get_version')).json).toEqual({ version: 3 });
    });

    it('refuses a version that is not a number with 400', async () => {
      expect((await admin('POST', '/set_version', { version: 'x' })).status).toBe(400);
    });
  });

  describe('POST /release_memory_occupation', () => {
    it("releases the engine's memory", async () => {
      proxy().engineReplies('/pause_generation', ENGINE_OK, 2);
      proxy().engineReplies('/release_memory_occupation', null);
      expect((await admin('POST', '/release_memory_occupation')).json).toEqual({ status: 'ok' });
      expect(proxy().engineCalls.map((c) => c.path)).toContain('/release_memory_occupation');
    });
  });

  describe('POST /resume_memory_occupation', () => {
    it('forwards the tags to the engine', async () => {
      proxy().engineReplies('/resume_memory_occupation', null);
      expect((await admin('POST', '/resume_memory_occupation', { tags: ['weights', 'kv_cache'] })).json).toEqual({
        status: 'ok',
      });
      expect(proxy().engineCalls.at(-1)).toEqual({
        path: '/resume_memory_occupation',
        body: expect.objectContaining({ tags: ['weights', 'kv_cache'] }),
      });
    });
  });

  describe('POST /configure', () => {
    it('answers ok', async () => {
      expect((await admin('POST', '/configure')).json).toEqual({ status: 'ok' });
    });
  });

  describe('POST /configure_backend', () => {
    it('answers the engine address it now uses', async () => {
      expect((await admin('POST', '/configure_backend', { backend_addr: ENGINE })).json).toEqual({
        status: 'ok',
        backend_addr: ENGINE,
      });
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startRouter, withWorker, WORKER, type TestRouter } from '../router.fixtures.js';
import { RouterSessionsController } from './sessions.controller.js';

describe(RouterSessionsController.name, () => {
  const router = appForSuite(async () => {
    const started = await startRouter();
    await withWorker(started);
    return started;
  });
  const admin: TestRouter['admin'] = (...args) => router().admin(...args);
  const routeByKey = (key: string) => admin('POST', '/route', { api_key: key });
  const pin = (key: string) =>
    admin('POST', '/register_session', { session_api_key: key, session_id: `id-${key}`, worker_addr: WORKER });

  describe('POST /register_session', () => {
    it('answers 429 without a capacity permit, and pins nothing', async () => {
      expect((await pin('no-permit')).status).toBe(429);
      expect((await routeByKey('no-permit')).status).toBe(404);
    });

    it('pins the session to the worker with a permit', async () => {
      await admin('POST', '/grant_capacity');
      expect((await pin('pinned')).status).toBe(200);
      expect((await routeByKey('pinned')).json).toEqual(
        expect.objectContaining({ worker_addr: WORKER, session_id: 'id-pinned' }),
      );
    });

    it('answers 404 for a worker that is not registered', async () => {
      await admin('POST', '/grant_capacity');
      const res = await admin('POST', '/register_session', {
        session_api_key: 'elsewhere',
        session_id: 'elsewhere',
        worker_addr: 'http://nowhere.test:1',
      });
      expect(res.status).toBe(404);
    });
  });

  describe('POST /restore_sessions', () => {
    it("pins a data proxy's live sessions again without permits and counts them", async () => {
      const restored = await admin('POST', '/restore_sessions', {
        worker_addr: WORKER,
        sessions: [{ session_id: 'restored', session_api_key: 'restored-key' }],
      });
      expect(restored.json).toEqual(expect.objectContaining({ status: 'ok', restored: 1, conflicts: [] }));
      expect((await routeByKey('restored-key')).json.session_id).toBe('restored');
    });
  });

  describe('POST /remove_session', () => {
    it('unpins the session', async () => {
      await admin('POST', '/grant_capacity');
      await pin('removed');
      expect((await admin('POST', '/remove_session', { session_id: 'id-removed' })).json.status).toBe('ok');
      expect((await routeByKey('removed')).status).toBe(404);
    });
  });
});

describe(`${RouterSessionsController.name} with --areal-version 2 (no capacity permits)`, () => {
  const router = appForSuite(async () => {
    const started = await startRouter(['--areal-version', '2']);
    await withWorker(started);
    return started;
  });
  const admin: TestRouter['admin'] = (...args) => router().admin(...args);

  describe('POST /register_session', () => {
    it('pins a session without any permit granted', async () => {
      const single = await admin('POST', '/register_session', {
        session_api_key: 'free-1',
        session_id: 'free-1',
        worker_addr: WORKER,
      });
      expect(single.status).toBe(200);
    });

    it('pins a group without any permit granted', async () => {
      const group = await admin('POST', '/register_session', {
        sessions: [0, 1, 2].map((i) => ({ session_api_key: `g-${i}`, session_id: `g-${i}` })),
        group_id: 'grp-free',
        worker_addr: WORKER,
      });
      expect(group.status).toBe(200);
    });
  });
});

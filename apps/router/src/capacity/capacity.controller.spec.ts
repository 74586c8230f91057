import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startRouter, withWorker, WORKER, type TestRouter } from '../router.fixtures.js';
import { CapacityController } from './capacity.controller.js';

describe(CapacityController.name, () => {
  const router = appForSuite(startRouter);
  const admin: TestRouter['admin'] = (...args) => router().admin(...args);
  const permits = async () => (await admin('GET', '/capacity')).json.capacity as number;

  describe('GET /capacity', () => {
    it('refuses a call without the admin key', async () => {
      expect((await router().app.request('GET', '/capacity')).status).toBe(401);
    });

    it('says permits are on', async () => {
      expect((await admin('GET', '/capacity')).json.permits).toBe('on');
    });

    it('starts with no permit', async () => {
      expect((await admin('GET', '/capacity')).json).toEqual(expect.objectContaining({ status: 'ok', capacity: 0 }));
    });
  });

  describe('POST /grant_capacity', () => {
    it('adds one permit and answers the new count', async () => {
      const start = await permits();
      expect((await admin('POST', '/grant_capacity')).json).toEqual({ status: 'ok', capacity: start + 1 });
    });
  });

  describe('POST /release_capacity', () => {
    // A session that will not run gives its permit back.
    it('gives one permit back to the pool', async () => {
      const start = await permits();
      expect((await admin('POST', '/release_capacity')).json).toEqual({ status: 'ok', capacity: start + 1 });
    });
  });
});

describe(`${CapacityController.name} with --areal-version 2 (no capacity permits)`, () => {
  const router = appForSuite(async () => {
    const started = await startRouter(['--areal-version', '2']);
    await withWorker(started);
    return started;
  });
  const admin: TestRouter['admin'] = (...args) => router().admin(...args);

  it('says permits are off on GET /capacity', async () => {
    expect((await admin('GET', '/capacity')).json).toEqual({ status: 'ok', capacity: 0, permits: 'off' });
  });

  it('counts grants, for 1.x trainers', async () => {
    expect((await admin('POST', '/grant_capacity')).json).toEqual({ status: 'ok', capacity: 1 });
  });

  it('gives nothing back for a removed group that took no permit', async () => {
    const before = (await admin('GET', '/capacity')).json.capacity as number;
    await admin('POST', '/register_session', {
      sessions: [0, 1].map((i) => ({ session_api_key: `g-${i}`, session_id: `g-${i}` })),
      group_id: 'grp-free',
      worker_addr: WORKER,
    });
    await admin('POST', '/remove_session', { group_id: 'grp-free', release_capacity: true });
    expect((await admin('GET', '/capacity')).json.capacity).toBe(before);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDataProxy, type TestDataProxy } from '../data-proxy.fixtures.js';
import { ExportController } from './export.controller.js';

describe(ExportController.name, () => {
  let proxy: TestDataProxy;
  const admin: TestDataProxy['admin'] = (...args) => proxy.admin(...args);

  beforeAll(async () => {
    proxy = await startDataProxy();
  }, 30_000);

  afterAll(async () => {
    await proxy.close();
  });

  describe('POST /export_trajectories', () => {
    it("exports a rewarded trajectory's interactions", async () => {
      const { sessionId, key } = await proxy.oneTurnSession();
      await proxy.app.request('POST', '/rl/set_reward', { body: { reward: 1 }, token: key });
      const exported = await admin('POST', '/export_trajectories', {
        session_id: sessionId,
        trajectory_id: 0,
        format: 'json',
      });
      expect(Object.values(exported.json.interactions)).toHaveLength(1);
    });

    it('refuses a body that is not an object with 422', async () => {
      expect((await admin('POST', '/export_trajectories', [1])).status).toBe(422);
    });
  });
});

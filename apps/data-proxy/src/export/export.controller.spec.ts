import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startDataProxy, type TestDataProxy } from '../data-proxy.fixtures.js';
import { ExportController } from './export.controller.js';

describe(ExportController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const admin: TestDataProxy['admin'] = (...args) => proxy().admin(...args);

  describe('POST /export_trajectories', () => {
    it("exports a rewarded trajectory's interactions", async () => {
      const { sessionId, key } = await proxy().oneTurnSession();
      await proxy().app.request('POST', '/rl/set_reward', { body: { reward: 1 }, token: key });
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

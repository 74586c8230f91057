import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startDataProxy } from '../data-proxy.fixtures.js';
import { RewardsController } from './rewards.controller.js';

describe(RewardsController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const setReward = (token: string, body: unknown) => proxy().app.request('POST', '/rl/set_reward', { body, token });

  describe('POST /rl/set_reward', () => {
    it('rewards the trajectory of the session the key belongs to and makes it ready', async () => {
      const { key } = await proxy().oneTurnSession();
      expect((await setReward(key, { reward: 1 })).json).toEqual(
        expect.objectContaining({ message: 'success', interaction_count: 1, trajectory_id: 0, ready_transition: true }),
      );
    });

    it('answers 401 UNKNOWN_API_KEY for a key no session holds', async () => {
      const res = await setReward('nobody', { reward: 1 });
      expect([res.status, res.json.code]).toEqual([401, 'UNKNOWN_API_KEY']);
    });
  });
});

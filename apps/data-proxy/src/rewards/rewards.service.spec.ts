import { describe, expect, it } from '@jest/globals';
import { parseOptions } from '@app/common';
import { DATA_PROXY_OPTIONS } from '../config/data-proxy-options.js';
import { fixedInteraction } from '../export/export.fixtures.js';
import type { Session } from '../sessions/session.js';
import { SessionStore } from '../sessions/session-store.service.js';
import { RewardsService } from './rewards.service.js';
import { statusOf } from '@app/common/testing';

/** The rewards service over a store of its own (no journal), and sessions of that store. */
function setup(finishTimeout = 0): { rewards: RewardsService; sessionWith: (...ids: string[]) => Session } {
  const { options } = parseOptions(DATA_PROXY_OPTIONS, ['--set-reward-finish-timeout', String(finishTimeout)], {});
  const store = new SessionStore(options, null);
  const sessionWith = (...ids: string[]): Session => {
    const { session } = store.start('task', null);
    for (const id of ids) session.active.insert(fixedInteraction(id));
    return session;
  };
  return { rewards: new RewardsService(options, store), sessionWith };
}

const status = statusOf;

describe(RewardsService.name, () => {
  it('with no finish timeout, a reward makes the trajectory ready at once', () => {
    const { rewards, sessionWith } = setup();
    const session = sessionWith('a');
    expect(rewards.setReward(session, null, 1)).toEqual({
      message: 'success',
      interaction_count: 1,
      session_id: 'task-0',
      trajectory_id: 0,
      trajectory_ready: true,
      ready_transition: true,
    });
    expect(session.ready.get(0)?.cache.get('a')?.reward).toBe(1);
    expect(session.active.size).toBe(0);
  });

  it('a reward of 0 also finalises', () => {
    const { rewards, sessionWith } = setup();
    expect(rewards.setReward(sessionWith('a'), null, 0).ready_transition).toBe(true);
  });

  it('rewards the last interaction by default, or the named one', () => {
    const { rewards, sessionWith } = setup();
    const session = sessionWith('a', 'b');
    rewards.setReward(session, 'a', 5);
    const cache = session.ready.get(0)!.cache;
    expect(cache.get('a')!.reward).toBe(5);
    expect(cache.get('b')!.reward).toBeNull();
    expect(session.ready.get(0)!.interactionId).toBe('a');
  });

  it('rewards several interactions at once, by id or in order, then closes the trajectory', () => {
    const { rewards, sessionWith } = setup();
    const byId = sessionWith('a', 'b', 'c');
    expect(rewards.setRewards(byId, { c: 3, a: 1 }).trajectory_id).toBe(0);
    const cache = byId.ready.get(0)!.cache;
    expect([cache.get('a')!.reward, cache.get('b')!.reward, cache.get('c')!.reward]).toEqual([1, null, 3]);
    expect(byId.ready.get(0)!.interactionId).toBe('c');
    const inOrder = sessionWith('a', 'b');
    rewards.setRewards(inOrder, [0.5, 2]);
    expect([...inOrder.ready.get(0)!.cache.values()].map((i) => i.reward)).toEqual([0.5, 2]);
  });

  it('changes nothing when one of several rewards cannot be applied', () => {
    const { rewards, sessionWith } = setup();
    const session = sessionWith('a', 'b');
    expect(status(() => rewards.setRewards(session, { a: 1, zzz: 2 }))).toBe(400);
    expect(status(() => rewards.setRewards(session, [1]))).toBe(400);
    expect(status(() => rewards.setRewards(session, {}))).toBe(400);
    expect(session.active.get('a')!.reward).toBeNull();
    expect(session.ready.size).toBe(0);
  });

  it('answers 400 for an empty session and for an unknown interaction', () => {
    const { rewards, sessionWith } = setup();
    expect(status(() => rewards.setReward(sessionWith(), null, 1))).toBe(400);
    expect(status(() => rewards.setReward(sessionWith('a'), 'zzz', 1))).toBe(400);
  });

  it('a repeat after readiness reports the ready trajectory and changes nothing', () => {
    const { rewards, sessionWith } = setup();
    const session = sessionWith('a');
    rewards.setReward(session, null, 1);
    expect(rewards.setReward(session, null, 2)).toEqual(
      expect.objectContaining({
        trajectory_id: 0,
        trajectory_ready: true,
        ready_transition: false,
        interaction_count: 1,
      }),
    );
    expect(session.ready.get(0)!.cache.get('a')!.reward).toBe(1);
    expect(session.ready.size).toBe(1);
  });

  it('numbers trajectories 0, 1, ... per session', () => {
    const { rewards, sessionWith } = setup();
    const session = sessionWith('a');
    rewards.setReward(session, null, 1);
    session.active.insert(fixedInteraction('b'));
    expect(rewards.setReward(session, null, 1).trajectory_id).toBe(1);
  });

  it('with a finish timeout, rewards debounce: last write wins, ready after the window', () => {
    const { rewards, sessionWith } = setup(5);
    const session = sessionWith('a');
    const t0 = 1_000_000;
    expect(rewards.setReward(session, null, 1, t0)).toEqual(
      expect.objectContaining({ trajectory_id: null, trajectory_ready: false, ready_transition: false }),
    );
    expect(rewards.setReward(session, null, 2, t0 + 1000).trajectory_id).toBeNull();
    expect(rewards.finalizeDue(t0 + 2000)).toBe(0);
    expect(session.ready.size).toBe(0);
    expect(rewards.finalizeDue(t0 + 7000)).toBe(1);
    expect(session.ready.get(0)!.cache.get('a')!.reward).toBe(2);
  });
});

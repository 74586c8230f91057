import { describe, expect, it } from '@jest/globals';
import { StalenessManager } from './staleness-manager.js';

function manager(maxHeadOffpolicyness: number, consumerBatchSize = 4, maxConcurrent = 256) {
  let version = 0;
  const staleness = new StalenessManager({ maxConcurrent, consumerBatchSize, maxHeadOffpolicyness }, () => version);
  return {
    staleness,
    setVersion: (v: number) => {
      version = v;
      staleness.onVersion(v);
    },
  };
}

function runAccepted(staleness: StalenessManager, n: number): void {
  for (let i = 0; i < n; i++) {
    staleness.onEnqueue();
    staleness.onStart();
    staleness.onFinish(true);
  }
}

describe(StalenessManager.name, () => {
  it('follows the worked example of the reference (S=2, B=4, M=256)', () => {
    const { staleness, setVersion } = manager(2);
    expect(staleness.capacity()).toBe(12);
    runAccepted(staleness, 12);
    expect(staleness.capacity()).toBe(0);
    setVersion(1);
    expect(staleness.capacity()).toBe(4);
  });

  it('counts running episodes against both terms and rejected ones against neither', () => {
    const { staleness } = manager(0, 4, 3);
    staleness.onEnqueue();
    staleness.onStart();
    expect(staleness.terms()).toMatchObject({ capacity: 2, concurrency_room: 2, staleness_room: 3, running: 1 });
    staleness.onFinish(false);
    expect(staleness.terms()).toMatchObject({ capacity: 3, rejected: 1, accepted: 0 });
  });

  it('max_concurrent 0 falls back to the consumer batch size', () => {
    expect(manager(5, 6, 0).staleness.terms().max_concurrent_rollouts).toBe(6);
  });

  it('is not inflated when the controller restarts under a trainer at version 5', () => {
    // A fresh controller knows nothing of the 20 episodes accepted before; the trainer's
    // set_version(5) must not open a budget of (0 + 5 + 1) × 4 = 24.
    const { staleness, setVersion } = manager(0);
    setVersion(5);
    expect(staleness.terms()).toMatchObject({ accepted: 20, capacity: 4 });
  });

  it('never lowers accepted when the version moves (more accepted than versions consumed)', () => {
    const { staleness, setVersion } = manager(1);
    runAccepted(staleness, 7);
    setVersion(1);
    expect(staleness.accepted).toBe(7);
    expect(staleness.capacity()).toBe(5); // (1 + 1 + 1) × 4 − 7
  });
});

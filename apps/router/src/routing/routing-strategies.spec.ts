import { describe, expect, it } from '@jest/globals';
import { WorkerRegistry, type WorkerRecord } from '../workers/worker-registry.js';
import { createRoutingStrategy, LeastBusyStrategy, RoundRobinStrategy } from './routing-strategies.js';

function workers(...addrs: string[]): WorkerRecord[] {
  const registry = new WorkerRegistry();
  return addrs.map((addr) => registry.register(addr).worker);
}

describe(RoundRobinStrategy.name, () => {
  it('cycles through the candidates', () => {
    const strategy = new RoundRobinStrategy();
    const list = workers('w1', 'w2', 'w3');
    const picks = Array.from({ length: 6 }, () => strategy.pick(list, 'm')?.addr);
    expect(picks).toEqual(['w1', 'w2', 'w3', 'w1', 'w2', 'w3']);
  });

  it('returns null for no candidates', () => {
    expect(new RoundRobinStrategy().pick([], 'm')).toBeNull();
  });

  it('keeps one cursor per candidate set (a pick for B does not shift A)', () => {
    const strategy = new RoundRobinStrategy();
    const a = workers('a1', 'a2');
    const b = workers('b1', 'b2', 'b3');
    expect(strategy.pick(a, 'A')?.addr).toBe('a1');
    expect(strategy.pick(b, 'B')?.addr).toBe('b1');
    expect(strategy.pick(a, 'A')?.addr).toBe('a2');
    expect(strategy.pick(b, 'B')?.addr).toBe('b2');
    expect(strategy.pick(a, 'A')?.addr).toBe('a1');
  });

  it('continues after the last worker picked when the list changes', () => {
    const strategy = new RoundRobinStrategy();
    const [w1, w2, w3] = workers('w1', 'w2', 'w3');
    expect(strategy.pick([w1, w2, w3], 'm')).toBe(w1);
    expect(strategy.pick([w1, w3], 'm')).toBe(w3);
    expect(strategy.pick([w1, w2, w3], 'm')).toBe(w1);
  });
});

describe(LeastBusyStrategy.name, () => {
  it('picks the worker with the fewest reported plus assigned requests', () => {
    const [w1, w2, w3] = workers('w1', 'w2', 'w3');
    w1.reportedActiveRequests = 5;
    w2.reportedActiveRequests = 1;
    w2.assignedSinceReport = 3;
    w3.reportedActiveRequests = 2;
    expect(new LeastBusyStrategy().pick([w1, w2, w3])).toBe(w3);
  });

  it('breaks ties at random', () => {
    const [w1, w2, w3] = workers('w1', 'w2', 'w3');
    w1.reportedActiveRequests = 9;
    expect(new LeastBusyStrategy(() => 0.99).pick([w1, w2, w3])).toBe(w2);
    expect(new LeastBusyStrategy(() => 0).pick([w1, w2, w3])).toBe(w3);
    const seen = new Set<string>();
    const strategy = new LeastBusyStrategy();
    for (let i = 0; i < 200; i++) seen.add(strategy.pick([w1, w2, w3])!.addr);
    expect(seen).toEqual(new Set(['w2', 'w3']));
  });

  it('returns null for no candidates', () => {
    expect(new LeastBusyStrategy().pick([])).toBeNull();
  });
});

describe('createRoutingStrategy', () => {
  it('builds both strategies and rejects unknown names', () => {
    expect(createRoutingStrategy('round_robin')).toBeInstanceOf(RoundRobinStrategy);
    expect(createRoutingStrategy('least_busy')).toBeInstanceOf(LeastBusyStrategy);
    expect(() => createRoutingStrategy('random')).toThrow('Unknown routing strategy');
  });
});

import { describe, expect, it } from '@jest/globals';
import { WorkerRegistry } from './worker-registry.js';

describe(WorkerRegistry.name, () => {
  it('registers a worker with a non-empty id, healthy by default', () => {
    const registry = new WorkerRegistry();
    const { worker, created } = registry.register('http://w1');
    expect(created).toBe(true);
    expect(worker.workerId).toMatch(/\S+/);
    expect(registry.allWorkers()).toEqual([
      expect.objectContaining({ addr: 'http://w1', workerId: worker.workerId, healthy: true }),
    ]);
  });

  it('is idempotent per exact address and refreshes last-seen', () => {
    const registry = new WorkerRegistry();
    const first = registry.register('http://w1', 1000).worker.workerId;
    const again = registry.register('http://w1', 5000);
    expect(again.created).toBe(false);
    expect(again.worker.workerId).toBe(first);
    expect(again.worker.lastSeenAt).toBe(5000);
    expect(registry.size).toBe(1);
    registry.register('http://w1/');
    expect(registry.size).toBe(2);
  });

  it('deregisters by address (unknown is a no-op) and by id', () => {
    const registry = new WorkerRegistry();
    const id = registry.register('http://w1').worker.workerId;
    registry.register('http://w2');
    expect(registry.deregister('http://nope')).toBe(false);
    expect(registry.deregister('http://w2')).toBe(true);
    expect(registry.addrs()).toEqual(['http://w1']);
    expect(registry.deregisterById('missing')).toBeNull();
    expect(registry.deregisterById(id)).toBe('http://w1');
    expect(registry.size).toBe(0);
    expect(registry.getById(id)).toBeNull();
  });

  it('gets by id', () => {
    const registry = new WorkerRegistry();
    const id = registry.register('http://w1').worker.workerId;
    expect(registry.getById(id)).toEqual(expect.objectContaining({ addr: 'http://w1', workerId: id }));
    expect(registry.getById('unknown')).toBeNull();
  });

  it('marks a worker unhealthy only after the failure threshold, healthy after one success', () => {
    const registry = new WorkerRegistry();
    registry.register('http://w1');
    registry.register('http://w2');
    registry.recordHealthCheck('http://w1', { ok: false, error: 'refused' }, 2);
    expect(registry.getByAddr('http://w1')?.healthy).toBe(true);
    registry.recordHealthCheck('http://w1', { ok: false, error: 'refused' }, 2);
    expect(registry.getByAddr('http://w1')?.healthy).toBe(false);
    expect(registry.healthyWorkers().map((w) => w.addr)).toEqual(['http://w2']);
    expect(registry.allWorkers()).toHaveLength(2);
    registry.recordHealthCheck('http://w1', { ok: true, activeRequests: 3 }, 2);
    const worker = registry.getByAddr('http://w1');
    expect(worker?.healthy).toBe(true);
    expect(worker?.consecutiveFailures).toBe(0);
    expect(worker?.reportedActiveRequests).toBe(3);
  });

  it('drops health results for a worker removed mid-poll', () => {
    const registry = new WorkerRegistry();
    registry.recordHealthCheck('http://gone', { ok: false, error: 'x' }, 1);
    expect(registry.size).toBe(0);
  });

  it('sets health directly', () => {
    const registry = new WorkerRegistry();
    registry.register('http://w1');
    registry.setHealthy('http://w1', false);
    expect(registry.getByAddr('http://w1')?.healthy).toBe(false);
  });
});

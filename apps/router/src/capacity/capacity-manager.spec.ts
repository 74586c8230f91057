import { describe, expect, it } from '@jest/globals';
import { CapacityManager } from './capacity-manager.js';

describe(CapacityManager.name, () => {
  it('starts at 0 and grants', () => {
    const capacity = new CapacityManager();
    expect(capacity.capacity).toBe(0);
    expect(capacity.grant()).toBe(1);
    capacity.grant();
    expect(capacity.grant()).toBe(3);
  });

  it('acquires only what is available', () => {
    const capacity = new CapacityManager();
    expect(capacity.tryAcquire()).toBe(false);
    expect(capacity.capacity).toBe(0);
    capacity.grant();
    capacity.grant();
    expect(capacity.tryAcquire()).toBe(true);
    expect(capacity.tryAcquire()).toBe(true);
    expect(capacity.tryAcquire()).toBe(false);
    expect(capacity.capacity).toBe(0);
  });

  it('handles the interleaved sequence of the reference tests', () => {
    const capacity = new CapacityManager();
    capacity.grant();
    expect(capacity.tryAcquire()).toBe(true);
    expect(capacity.tryAcquire()).toBe(false);
    capacity.grant();
    capacity.grant();
    expect(capacity.tryAcquire()).toBe(true);
    expect(capacity.capacity).toBe(1);
  });

  it('gives each of 10 concurrent grants a distinct value and 5 of 8 concurrent acquires succeed', async () => {
    const capacity = new CapacityManager();
    const grants = await Promise.all(Array.from({ length: 10 }, () => Promise.resolve().then(() => capacity.grant())));
    expect(new Set(grants)).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    const other = new CapacityManager();
    other.grant(5);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => Promise.resolve().then(() => other.tryAcquire())),
    );
    expect(results.filter(Boolean)).toHaveLength(5);
    expect(other.capacity).toBe(0);
  });

  it('acquires several permits all or nothing, and releases', () => {
    const capacity = new CapacityManager();
    capacity.grant(2);
    expect(capacity.tryAcquire(3)).toBe(false);
    expect(capacity.capacity).toBe(2);
    expect(capacity.tryAcquire(2)).toBe(true);
    expect(capacity.release()).toBe(1);
  });

  it('not enforced (--capacity-permits off): every acquisition succeeds and takes nothing; grants still count', () => {
    const capacity = new CapacityManager(false);
    expect(capacity.enforced).toBe(false);
    expect(capacity.tryAcquire(4)).toBe(true);
    expect(capacity.capacity).toBe(0);
    expect(capacity.grant()).toBe(1);
    expect(capacity.tryAcquire()).toBe(true);
    expect(capacity.capacity).toBe(1);
    expect(capacity.tryAcquire(0)).toBe(false);
  });
});

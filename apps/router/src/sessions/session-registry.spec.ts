import { describe, expect, it } from '@jest/globals';
import { SessionRegistry } from './session-registry.js';

describe(SessionRegistry.name, () => {
  it('looks sessions up by key and by id; unknown ones are null', () => {
    const sessions = new SessionRegistry();
    sessions.register('k1', 's1', 'http://w1');
    expect(sessions.lookupByKey('k1')).toBe('http://w1');
    expect(sessions.lookupById('s1')).toBe('http://w1');
    expect(sessions.keyForId('s1')).toBe('k1');
    expect(sessions.lookupByKey('nope')).toBeNull();
    expect(sessions.lookupById('nope')).toBeNull();
  });

  it('counts sessions', () => {
    const sessions = new SessionRegistry();
    expect(sessions.count()).toBe(0);
    sessions.register('k1', 's1', 'http://w1');
    expect(sessions.count()).toBe(1);
    sessions.register('k2', 's2', 'http://w1');
    expect(sessions.count()).toBe(2);
  });

  it('upserts: the same key and id with a new worker moves the pin', () => {
    const sessions = new SessionRegistry();
    sessions.register('k1', 's1', 'http://w1');
    sessions.register('k1', 's1', 'http://w2');
    expect(sessions.lookupByKey('k1')).toBe('http://w2');
    expect(sessions.lookupById('s1')).toBe('http://w2');
    expect(sessions.count()).toBe(1);
  });

  it('revokes by worker, returning the number of keys removed', () => {
    const sessions = new SessionRegistry();
    sessions.register('k1', 's1', 'http://w1');
    sessions.register('k2', 's2', 'http://w1');
    sessions.register('k3', 's3', 'http://w2');
    expect(sessions.revokeByWorker('http://w1')).toBe(2);
    expect(sessions.lookupByKey('k1')).toBeNull();
    expect(sessions.lookupById('s2')).toBeNull();
    expect(sessions.lookupByKey('k3')).toBe('http://w2');
  });

  it('revokes one session; unknown ids are false', () => {
    const sessions = new SessionRegistry();
    sessions.register('k1', 's1', 'http://w1');
    expect(sessions.revokeSession('nope')).toBe(false);
    expect(sessions.revokeSession('s1')).toBe(true);
    expect(sessions.lookupByKey('k1')).toBeNull();
    expect(sessions.count()).toBe(0);
  });

  it('re-registering a key under a new id removes the old id (reference defect fixed)', () => {
    const sessions = new SessionRegistry();
    sessions.register('k1', 's-old', 'http://w1');
    sessions.register('k1', 's-new', 'http://w2');
    expect(sessions.lookupById('s-old')).toBeNull();
    // Revoking the stale id must not delete the key that now belongs to s-new.
    expect(sessions.revokeSession('s-old')).toBe(false);
    expect(sessions.lookupByKey('k1')).toBe('http://w2');
  });

  it('re-registering an id under a new key removes the old key (reference defect fixed)', () => {
    const sessions = new SessionRegistry();
    sessions.register('k-old', 's1', 'http://w1');
    sessions.register('k-new', 's1', 'http://w1');
    expect(sessions.lookupByKey('k-old')).toBeNull();
    expect(sessions.lookupByKey('k-new')).toBe('http://w1');
    expect(sessions.count()).toBe(1);
  });

  it('keeps groups and revokes them whole', () => {
    const sessions = new SessionRegistry();
    sessions.register('k1', 's1', 'http://w1');
    sessions.register('k2', 's2', 'http://w1');
    sessions.registerGroup({ groupId: 'g', workerAddr: 'http://w1', sessionIds: ['s1', 's2'], createdAt: 0 });
    expect(sessions.hasGroup('g')).toBe(true);
    expect(sessions.revokeGroup('missing')).toBe(-1);
    expect(sessions.revokeGroup('g')).toBe(2);
    expect(sessions.hasGroup('g')).toBe(false);
    expect(sessions.count()).toBe(0);
  });

  it('drops a group once its last session is revoked', () => {
    const sessions = new SessionRegistry();
    sessions.register('k1', 's1', 'http://w1');
    sessions.registerGroup({ groupId: 'g', workerAddr: 'http://w1', sessionIds: ['s1'], createdAt: 0 });
    sessions.revokeSession('s1');
    expect(sessions.groupCount()).toBe(0);
  });
});

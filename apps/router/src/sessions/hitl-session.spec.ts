import { describe, expect, it } from '@jest/globals';
import { HITL_SESSION_ID } from '@app/contracts';
import { HitlSession } from './hitl-session.js';
import { SessionRegistry } from './session-registry.js';

function setup() {
  const sessions = new SessionRegistry();
  return { sessions, hitl: new HitlSession(sessions, 'admin-key') };
}

describe(HitlSession.name, () => {
  it('recognises the admin key as its key, and no other key', () => {
    const { hitl } = setup();
    expect(hitl.isKey('admin-key')).toBe(true);
    expect(hitl.isKey('admin-ke')).toBe(false);
    expect(hitl.isKey('admin-key ')).toBe(false);
    expect(hitl.isKey('')).toBe(false);
  });

  it('is pinned nowhere until its first pin', () => {
    expect(setup().hitl.workerAddr).toBeNull();
  });

  it('pins the admin key under the reserved HITL session id', () => {
    const { sessions, hitl } = setup();
    hitl.pin('http://w1');
    expect(hitl.workerAddr).toBe('http://w1');
    expect(sessions.lookupById(HITL_SESSION_ID)).toBe('http://w1');
    expect(sessions.keyForId(HITL_SESSION_ID)).toBe('admin-key');
  });
});

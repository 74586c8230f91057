import { describe, expect, it } from '@jest/globals';
import { AppException, parseOptions } from '@app/common';
import { DATA_PROXY_OPTIONS } from '../config/data-proxy-options.js';
import { fixedInteraction } from '../export/export.fixtures.js';
import { SessionStore } from './session-store.service.js';

function store(): SessionStore {
  return new SessionStore(parseOptions(DATA_PROXY_OPTIONS, ['--admin-api-key', 'adm'], {}).options);
}

describe(SessionStore.name, () => {
  it('numbers sessions task-0, task-1 and issues fresh 43-character keys', () => {
    const s = store();
    const a = s.start('task', null);
    const b = s.start('task', null);
    expect([a.session.id, b.session.id]).toEqual(['task-0', 'task-1']);
    expect(a.apiKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.resolve(a.apiKey)).toBe(a.session);
    expect(s.resolve('unknown')).toBeUndefined();
    expect(s.count).toBe(2);
  });

  it('maps the admin key to one HITL session', () => {
    const s = store();
    const hitl = s.resolve('adm');
    expect(hitl?.id).toBe('__hitl__');
    expect(s.resolve('adm')).toBe(hitl);
    expect(s.resolve('adm:agent-online')).toBeUndefined();
  });

  it('refuses to rebind a key whose session has no rewarded trajectory (409), allows it after one', () => {
    const s = store();
    const first = s.start('task', 'my-key');
    expect(() => s.start('task', 'my-key')).toThrow(AppException);
    first.session.active.insert(fixedInteraction('a'));
    first.session.markReady();
    const second = s.start('task', 'my-key');
    expect(s.resolve('my-key')).toBe(second.session);
    expect(s.get(first.session.id)).toBe(first.session);
  });

  it('refuses the admin key as a session key', () => {
    expect(() => store().start('task', 'adm')).toThrow(AppException);
  });

  it('starts groups with the reused key on the first session', () => {
    const group = store().startGroup('g', 3, 'reuse');
    expect(group.map((g) => g.session.id)).toEqual(['g-0', 'g-1', 'g-2']);
    expect(group[0].apiKey).toBe('reuse');
    expect(new Set(group.map((g) => g.apiKey)).size).toBe(3);
  });

  it('removes stale sessions, keeping those with rewarded trajectories and the HITL session', () => {
    const s = store();
    const idle = s.start('idle', null).session;
    const rewarded = s.start('rewarded', null).session;
    rewarded.active.insert(fixedInteraction('a'));
    rewarded.markReady();
    const hitl = s.hitl();
    const now = Date.now() + 10_000;
    idle.lastAccess = rewarded.lastAccess = hitl.lastAccess = 0;
    expect(s.removeStale(5_000, now)).toEqual([idle.id]);
    expect(s.get(rewarded.id)).toBeDefined();
    expect(s.get('__hitl__')).toBeDefined();
  });
});

import { describe, expect, it } from '@jest/globals';
import { AppException, parseOptions } from '@app/common';
import { ROUTER_OPTIONS } from '../config/router-options.js';
import { RouterState } from '../router-state.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { RouteService } from './route.service.js';

const ADMIN = 'admin-key';

function setup(argv: string[] = []) {
  const { options } = parseOptions(ROUTER_OPTIONS, ['--admin-api-key', ADMIN, ...argv], {});
  const state = new RouterState(options);
  return { state, routes: new RouteService(state, options), sessions: new SessionsService(state) };
}

function failure(fn: () => unknown): { status: number; detail: unknown } {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppException) return { status: err.getStatus(), detail: err.toBody().detail };
    throw err;
  }
  throw new Error('expected an AppException');
}

describe(RouteService.name, () => {
  it('pins the admin key to one worker (HITL) and keeps it there', () => {
    const { state, routes } = setup();
    state.workers.register('http://w1');
    state.workers.register('http://w2');
    const first = routes.route({ api_key: ADMIN, path: '/chat/completions' });
    expect(routes.route({ api_key: ADMIN, path: '/chat/completions' }).worker_addr).toBe(first.worker_addr);
    expect(routes.route({ session_id: '__hitl__' }).worker_addr).toBe(first.worker_addr);
    expect(first).toEqual({
      worker_addr: 'http://w1',
      worker_id: expect.any(String),
      url: null,
      api_key: null,
      pin_seq: expect.any(Number),
    });
  });

  it('spreads admin-key session creation over workers instead of the HITL pin', () => {
    const { state, routes } = setup();
    state.workers.register('http://w1');
    state.workers.register('http://w2');
    routes.route({ api_key: ADMIN, path: '/chat/completions' });
    const placements = Array.from(
      { length: 4 },
      () => routes.route({ api_key: ADMIN, path: '/rl/start_session' }).worker_addr,
    );
    expect(placements).toEqual(['http://w1', 'http://w2', 'http://w1', 'http://w2']);
    expect(state.sessions.count()).toBe(1);
  });

  it('never picks an unhealthy worker', () => {
    const { state, routes } = setup();
    state.workers.register('http://w1');
    state.workers.register('http://w2');
    state.workers.setHealthy('http://w1', false);
    for (let i = 0; i < 3; i++) {
      expect(routes.route({ api_key: ADMIN, path: '/rl/start_session' }).worker_addr).toBe('http://w2');
    }
  });

  it('routes a session key to its pinned worker, 503 when that worker is unhealthy or gone', () => {
    const { state, routes, sessions } = setup();
    state.workers.register('http://w1');
    state.capacity.grant();
    sessions.register({ session_api_key: 'sk', session_id: 's1', worker_addr: 'http://w1' });
    expect(routes.route({ api_key: 'sk', path: '/chat/completions' }).worker_addr).toBe('http://w1');
    state.workers.setHealthy('http://w1', false);
    expect(failure(() => routes.route({ api_key: 'sk' }))).toEqual({ status: 503, detail: 'Pinned worker unhealthy' });
  });

  it('answers 404 Unknown API key, 503 with no workers, 422 for an empty request', () => {
    const { state, routes } = setup();
    expect(failure(() => routes.route({ api_key: ADMIN }))).toEqual({ status: 503, detail: 'No healthy workers' });
    state.workers.register('http://w1');
    expect(failure(() => routes.route({ api_key: 'unknown' }))).toEqual({ status: 404, detail: 'Unknown API key' });
    expect(failure(() => routes.route({}))).toEqual({
      status: 422,
      detail: "Either 'api_key' or 'session_id' must be provided",
    });
  });

  it('answers 404 for unknown sessions and unknown models, even when models exist', () => {
    const { state, routes } = setup();
    state.workers.register('http://w1');
    expect(failure(() => routes.route({ session_id: 'nope' }))).toEqual({ status: 404, detail: 'Session not found' });
    expect(failure(() => routes.route({ model: 'm' }))).toEqual({ status: 404, detail: "Model 'm' not found" });
    state.models.register({ name: 'mA', url: 'http://extA', apiKey: 'kA', dataProxyAddrs: ['http://w1'] });
    expect(failure(() => routes.route({ session_id: 'nope' }))).toEqual({ status: 404, detail: 'Session not found' });
    expect(failure(() => routes.route({ model: 'zzz' }))).toEqual({ status: 404, detail: "Model 'zzz' not found" });
  });

  it('ignores an unknown model name when routing by key (OpenAI SDKs always send one)', () => {
    const { state, routes, sessions } = setup();
    state.workers.register('http://w1');
    state.capacity.grant();
    sessions.register({ session_api_key: 'sk', session_id: 's1', worker_addr: 'http://w1' });
    expect(routes.route({ api_key: 'sk', model: 'gpt-4o' }).worker_addr).toBe('http://w1');
    expect(routes.route({ api_key: ADMIN, model: 'gpt-4o' }).worker_addr).toBe('http://w1');
    expect(routes.route({ api_key: ADMIN, model: 'gpt-4o', path: '/rl/start_session' }).worker_addr).toBe('http://w1');
  });

  it('routes model-only requests among the model workers with the provider url and key', () => {
    const { state, routes } = setup();
    state.workers.register('http://w1');
    state.workers.register('http://w2');
    state.workers.register('http://w3');
    state.models.register({ name: 'mA', url: 'http://extA', apiKey: 'kA', dataProxyAddrs: ['http://w1', 'http://w2'] });
    const picks = Array.from({ length: 3 }, () => routes.route({ model: 'mA' }));
    expect(picks.map((p) => p.worker_addr)).toEqual(['http://w1', 'http://w2', 'http://w1']);
    expect(picks[0]).toEqual(expect.objectContaining({ url: 'http://extA', api_key: 'kA' }));
    // No model named: the first (default) model.
    expect(routes.route({}).worker_addr).toBe('http://w2');
  });

  it('rotates each model on its own cursor', () => {
    const { state, routes } = setup();
    for (const w of ['http://w1', 'http://w2']) state.workers.register(w);
    state.models.register({ name: 'A', url: '', apiKey: null, dataProxyAddrs: ['http://w1', 'http://w2'] });
    state.models.register({ name: 'B', url: '', apiKey: null, dataProxyAddrs: ['http://w1', 'http://w2'] });
    expect(routes.route({ model: 'A' }).worker_addr).toBe('http://w1');
    expect(routes.route({ model: 'A' }).worker_addr).toBe('http://w2');
    expect(routes.route({ model: 'B' }).worker_addr).toBe('http://w1');
    expect(routes.route({ model: 'A' }).worker_addr).toBe('http://w1');
  });

  it('uses --default-model when a request names none', () => {
    const { state, routes } = setup(['--default-model', 'B']);
    for (const w of ['http://w1', 'http://w2']) state.workers.register(w);
    state.models.register({ name: 'A', url: '', apiKey: null, dataProxyAddrs: ['http://w1'] });
    state.models.register({ name: 'B', url: '', apiKey: null, dataProxyAddrs: ['http://w2'] });
    expect(routes.route({}).worker_addr).toBe('http://w2');
  });

  it('filters the HITL pin by model candidates on first use and ignores model afterwards', () => {
    const { state, routes } = setup();
    for (const w of ['http://w1', 'http://w2']) state.workers.register(w);
    state.models.register({ name: 'A', url: '', apiKey: null, dataProxyAddrs: ['http://w2'] });
    expect(routes.route({ api_key: ADMIN, model: 'A' }).worker_addr).toBe('http://w2');
    state.models.register({ name: 'B', url: '', apiKey: null, dataProxyAddrs: ['http://w1'] });
    expect(routes.route({ api_key: ADMIN, model: 'B' }).worker_addr).toBe('http://w2');
  });

  it('re-pins the admin key after its worker is removed', () => {
    const { state, routes } = setup();
    for (const w of ['http://w1', 'http://w2']) state.workers.register(w);
    expect(routes.route({ api_key: ADMIN }).worker_addr).toBe('http://w1');
    expect(state.removeWorker('http://w1')).toBe(1);
    expect(routes.route({ api_key: ADMIN }).worker_addr).toBe('http://w2');
  });

  it('counts its own assignments for least_busy between health reports', () => {
    const { state, routes } = setup(['--routing-strategy', 'least_busy']);
    for (const w of ['http://w1', 'http://w2']) state.workers.register(w);
    state.workers.getByAddr('http://w1')!.reportedActiveRequests = 2;
    const picks = Array.from(
      { length: 4 },
      () => routes.route({ api_key: ADMIN, path: '/rl/start_session' }).worker_addr,
    );
    // w2 takes the first two (0 → 1 → 2), then the two tie at 2 and share the rest.
    expect(picks.slice(0, 2)).toEqual(['http://w2', 'http://w2']);
    expect(
      state.workers.getByAddr('http://w1')!.assignedSinceReport +
        state.workers.getByAddr('http://w2')!.assignedSinceReport,
    ).toBe(4);
  });
});

describe(SessionsService.name, () => {
  it('takes a permit per session: 429 with none, nothing registered', () => {
    const { state, sessions, routes } = setup();
    state.workers.register('http://w1');
    expect(
      failure(() => sessions.register({ session_api_key: 'k', session_id: 's', worker_addr: 'http://w1' })).status,
    ).toBe(429);
    expect(state.sessions.count()).toBe(0);
    state.capacity.grant();
    expect(sessions.register({ session_api_key: 'k', session_id: 's', worker_addr: 'http://w1' })).toEqual({
      status: 'ok',
      capacity: 0,
    });
    expect(routes.route({ api_key: 'k' }).worker_addr).toBe('http://w1');
    expect(
      failure(() => sessions.register({ session_api_key: 'k2', session_id: 's2', worker_addr: 'http://w1' })).status,
    ).toBe(429);
    state.capacity.grant();
    expect(sessions.register({ session_api_key: 'k2', session_id: 's2', worker_addr: 'http://w1' }).status).toBe('ok');
  });

  it('rejects a registration it cannot honour without taking a permit', () => {
    const { state, sessions } = setup();
    state.workers.register('http://w1');
    state.capacity.grant();
    expect(
      failure(() => sessions.register({ session_api_key: 'k', session_id: 's', worker_addr: 'http://nope' })).status,
    ).toBe(404);
    expect(
      failure(() => sessions.register({ session_api_key: ADMIN, session_id: 's', worker_addr: 'http://w1' })).status,
    ).toBe(422);
    expect(
      failure(() => sessions.register({ session_api_key: 'k', session_id: '__hitl__', worker_addr: 'http://w1' }))
        .status,
    ).toBe(422);
    expect(state.capacity.capacity).toBe(1);
  });

  it('registers groups atomically: 409 on a duplicate group, 429 without enough permits', () => {
    const { state, sessions } = setup();
    state.workers.register('http://w1');
    state.capacity.grant(3);
    const group = {
      worker_addr: 'http://w1',
      group_id: 'g1',
      sessions: [
        { session_api_key: 'k1', session_id: 's1' },
        { session_api_key: 'k2', session_id: 's2' },
      ],
    };
    expect(sessions.register(group)).toEqual({ status: 'ok', group_id: 'g1', capacity: 1 });
    expect(
      failure(() => sessions.register({ ...group, sessions: [{ session_api_key: 'k9', session_id: 's9' }] })).status,
    ).toBe(409);
    expect(
      failure(() =>
        sessions.register({
          ...group,
          group_id: 'g2',
          sessions: [
            { session_api_key: 'k3', session_id: 's3' },
            { session_api_key: 'k4', session_id: 's4' },
          ],
        }),
      ).status,
    ).toBe(429);
    expect(state.capacity.capacity).toBe(1);
    expect(state.sessions.lookupByKey('k3')).toBeNull();
    expect(sessions.remove({ group_id: 'g1' })).toEqual({ status: 'ok', removed: true, sessions_removed: 2 });
    expect(state.sessions.lookupByKey('k1')).toBeNull();
  });

  it('keeps the HITL session on remove, reports unknown ids as not removed, can return the permit', () => {
    const { state, sessions, routes } = setup();
    state.workers.register('http://w1');
    routes.route({ api_key: ADMIN });
    expect(sessions.remove({ session_id: '__hitl__' })).toEqual({ status: 'ok', removed: false, persistent: true });
    expect(routes.route({ api_key: ADMIN }).worker_addr).toBe('http://w1');
    expect(sessions.remove({ session_id: 'nope' })).toEqual({ status: 'ok', removed: false, persistent: false });
    state.capacity.grant();
    sessions.register({ session_api_key: 'k', session_id: 's', worker_addr: 'http://w1' });
    expect(state.capacity.capacity).toBe(0);
    expect(sessions.remove({ session_id: 's', release_capacity: true })).toEqual({
      status: 'ok',
      removed: true,
      persistent: false,
    });
    expect(state.capacity.capacity).toBe(1);
    expect(failure(() => sessions.remove({})).status).toBe(422);
  });
});

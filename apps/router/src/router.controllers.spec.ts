import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { BODYLESS_OPERATIONS, openApiGaps, startInProcess, type InProcessApp } from '@app/common/testing';
import { ROUTER_APP } from './router.app.js';

const ADMIN = 'router-admin';
const WORKER = 'http://data-proxy.test:8082';

/**
 * Every router controller, in-process (the real module, guards, pipes and filters) through
 * Fastify's inject; the data proxies it health-checks are an undici MockAgent.
 */
describe('router controllers (in-process)', () => {
  let router: InProcessApp;
  const admin = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    router.request(method, url, { body, token: ADMIN });

  beforeAll(async () => {
    router = await startInProcess(ROUTER_APP, ['--admin-api-key', ADMIN, '--poll-interval', '60']);
    router.upstream.get(WORKER).intercept({ path: '/health', method: 'GET' }).reply(200, { status: 'ok' }).persist();
  });

  afterAll(async () => {
    await router.close();
  });

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await router.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });

  it('RouterHealthController: liveness with the state summary, no key needed', async () => {
    const res = await router.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual(expect.objectContaining({ status: 'ok', workers: 0, strategy: 'round_robin' }));
  });

  it('RouterWorkersController: register (validated), list, resolve, unregister; admin only', async () => {
    expect((await router.request('POST', '/register', { body: { worker_addr: WORKER } })).status).toBe(401);
    expect((await router.request('POST', '/register', { body: {}, token: 'nope' })).status).toBe(403);
    const bad = await admin('POST', '/register', { worker_addr: 'ftp://x' });
    expect(bad.status).toBe(422);
    expect(bad.json.code).toBe('VALIDATION_FAILED');
    const registered = await admin('POST', '/register', { worker_addr: WORKER });
    expect(registered.status).toBe(200);
    expect(registered.json).toEqual(
      expect.objectContaining({ status: 'ok', worker_id: expect.any(String), router_instance: expect.any(String) }),
    );
    const workers = (await admin('GET', '/workers')).json.workers as { worker_id: string; addr: string }[];
    expect(workers.map((w) => w.addr)).toEqual([WORKER]);
    const resolved = await admin('GET', `/resolve_worker/${registered.json.worker_id}`);
    expect(resolved.json.worker_addr).toBe(WORKER);
    const unknown = await admin('GET', '/resolve_worker/nobody');
    expect([unknown.status, unknown.json.code]).toEqual([404, 'WORKER_NOT_FOUND']);
    expect((await admin('POST', '/unregister', { worker_addr: WORKER })).json.status).toBe('ok');
    expect((await admin('GET', '/workers')).json.workers).toEqual([]);
    await admin('POST', '/register', { worker_addr: WORKER });
  });

  it('CapacityController: grant, release and read permits', async () => {
    expect((await admin('GET', '/capacity')).json.permits).toBe('on');
    const start = (await admin('GET', '/capacity')).json.capacity as number;
    expect((await admin('POST', '/grant_capacity')).json).toEqual({ status: 'ok', capacity: start + 1 });
    // A released permit goes back to the pool (a session that will not run gives its permit back).
    expect((await admin('POST', '/release_capacity')).json).toEqual({ status: 'ok', capacity: start + 2 });
  });

  it('RouterSessionsController and RoutingController: pin, route by key and id, restore, remove; codes not messages', async () => {
    await admin('POST', '/grant_capacity');
    const pinned = await admin('POST', '/register_session', {
      session_api_key: 'key-1',
      session_id: 'session-1',
      worker_addr: WORKER,
    });
    expect(pinned.status).toBe(200);
    const byKey = await admin('POST', '/route', { api_key: 'key-1' });
    expect(byKey.json).toEqual(expect.objectContaining({ worker_addr: WORKER, session_id: 'session-1' }));
    expect((await admin('POST', '/route', { session_id: 'session-1' })).json.worker_addr).toBe(WORKER);
    const unknownKey = await admin('POST', '/route', { api_key: 'nobody' });
    expect([unknownKey.status, unknownKey.json.code]).toEqual([404, 'UNKNOWN_API_KEY']);
    const unknownSession = await admin('POST', '/route', { session_id: 'nobody' });
    expect([unknownSession.status, unknownSession.json.code]).toEqual([404, 'SESSION_NOT_FOUND']);
    const unknownModel = await admin('POST', '/route', { model: 'nobody' });
    expect([unknownModel.status, unknownModel.json.code]).toEqual([404, 'MODEL_NOT_FOUND']);
    expect((await admin('POST', '/route', { api_key: 5 })).status).toBe(422);

    const restored = await admin('POST', '/restore_sessions', {
      worker_addr: WORKER,
      sessions: [{ session_id: 'session-2', session_api_key: 'key-2' }],
    });
    expect(restored.json).toEqual(expect.objectContaining({ status: 'ok', restored: 1, conflicts: [] }));
    expect((await admin('POST', '/route', { api_key: 'key-2' })).json.session_id).toBe('session-2');
    expect((await admin('POST', '/remove_session', { session_id: 'session-1' })).json.status).toBe('ok');
    expect((await admin('POST', '/route', { api_key: 'key-1' })).status).toBe(404);
  });

  it('RouterModelsController: register, list, read, remove; unknown is MODEL_NOT_FOUND', async () => {
    const registered = await admin('POST', '/register_model', { model: 'm', data_proxy_addrs: [WORKER] });
    expect(registered.json).toEqual({ status: 'ok', model: 'm', data_proxy_addrs: [WORKER] });
    expect((await admin('GET', '/models')).json.models).toContain('m');
    expect((await admin('GET', '/models/m')).json).toEqual({
      model: 'm',
      url: '',
      api_key: null,
      data_proxy_addrs: [WORKER],
    });
    expect((await admin('POST', '/remove_model', { name: 'm' })).json).toEqual({ status: 'ok', name: 'm' });
    const gone = await admin('GET', '/models/m');
    expect([gone.status, gone.json.code]).toEqual([404, 'MODEL_NOT_FOUND']);
  });

  it('PinsController: the pin-change stream opens with hello and reports pin changes', async () => {
    // A stream never ends, so this one goes over a real socket.
    await router.app.listen({ port: 0, host: '127.0.0.1' });
    const address = router.app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const abort = new AbortController();
    const res = await request(`http://127.0.0.1:${port}/pins/events`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      signal: abort.signal,
    });
    expect(res.headers['content-type']).toContain('text/event-stream');
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of res.body) {
        chunks.push(String(chunk));
        if (chunks.join('').includes('invalidate')) break;
      }
    })().catch(() => undefined);
    await admin('POST', '/grant_capacity');
    await admin('POST', '/register_session', {
      session_api_key: 'key-3',
      session_id: 'session-3',
      worker_addr: WORKER,
    });
    await admin('POST', '/remove_session', { session_id: 'session-3' });
    await reading;
    abort.abort();
    const text = chunks.join('');
    expect(text).toMatch(/^data: \{"type":"hello","seq":\d+\}/);
    expect(text).toContain('"type":"invalidate"');
  });
});

describe('router with --areal-version 2 (no capacity permits)', () => {
  let router: InProcessApp;
  const admin = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    router.request(method, url, { body, token: ADMIN });

  beforeAll(async () => {
    router = await startInProcess(ROUTER_APP, [
      '--admin-api-key',
      ADMIN,
      '--poll-interval',
      '60',
      '--areal-version',
      '2',
    ]);
    router.upstream.get(WORKER).intercept({ path: '/health', method: 'GET' }).reply(200, { status: 'ok' }).persist();
    await admin('POST', '/register', { worker_addr: WORKER });
  });

  afterAll(async () => {
    await router.close();
  });

  it('pins sessions and groups without any permit granted, and says so on GET /capacity', async () => {
    const single = await admin('POST', '/register_session', {
      session_api_key: 'free-1',
      session_id: 'free-1',
      worker_addr: WORKER,
    });
    expect(single.status).toBe(200);
    const group = await admin('POST', '/register_session', {
      sessions: [0, 1, 2].map((i) => ({ session_api_key: `g-${i}`, session_id: `g-${i}` })),
      group_id: 'grp-free',
      worker_addr: WORKER,
    });
    expect(group.status).toBe(200);
    expect((await admin('GET', '/capacity')).json).toEqual({ status: 'ok', capacity: 0, permits: 'off' });
  });

  it('counts grants for 1.x trainers, and gives nothing back for a removed session that took none', async () => {
    expect((await admin('POST', '/grant_capacity')).json).toEqual({ status: 'ok', capacity: 1 });
    await admin('POST', '/remove_session', { group_id: 'grp-free', release_capacity: true });
    expect((await admin('GET', '/capacity')).json.capacity).toBe(1);
  });
});

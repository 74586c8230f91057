// One suite over 300 lines: the router process with fake workers (registration, health, routing,
// sessions, capacity, pins), shared by its cases.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { FakeWorker } from '../support/fake-worker.js';
import { sleep, waitFor } from '../support/wait.js';
import { call } from '../support/http.js';
import { runApp, spawnApp, type SpawnedApp } from '../support/spawn-app.js';

const ADMIN = 'test-admin-key';
const FAST_POLL = ['--poll-interval', '0.1', '--worker-health-timeout', '0.3', '--health-jitter', '0'];

async function startRouter(extra: string[] = []): Promise<SpawnedApp> {
  return spawnApp('router', ['--admin-api-key', ADMIN, ...extra]);
}

const post = (router: SpawnedApp, path: string, body?: unknown, token: string | null = ADMIN) =>
  call('POST', `${router.url}${path}`, { body, token });
const get = (router: SpawnedApp, path: string, token: string | null = ADMIN) =>
  call('GET', `${router.url}${path}`, { token });

async function register(router: SpawnedApp, addr: string): Promise<string> {
  const res = await post(router, '/register', { worker_addr: addr });
  expect(res.status).toBe(200);
  return res.json.worker_id as string;
}

async function healthOf(router: SpawnedApp, addr: string): Promise<boolean | undefined> {
  const res = await get(router, '/workers');
  return (res.json.workers as { addr: string; healthy: boolean }[]).find((w) => w.addr === addr)?.healthy;
}

describe('router process: the behaviour of the reference router, checklist', () => {
  let router: SpawnedApp;
  const workers: FakeWorker[] = [];

  beforeAll(async () => {
    // Slow polling: these tests assert registry semantics, not health transitions.
    router = await startRouter(['--poll-interval', '30']);
    for (let i = 0; i < 2; i++) workers.push(await new FakeWorker().start());
  });

  afterAll(async () => {
    expect(await router.stop()).toBe(0);
    await Promise.all(workers.map((w) => w.stop()));
  });

  it('GET /health answers without auth with the reference fields', async () => {
    const res = await get(router, '/health', null);
    expect(res.status).toBe(200);
    expect(res.json).toEqual(
      expect.objectContaining({ status: 'ok', workers: 0, sessions: 0, capacity: 0, strategy: 'round_robin' }),
    );
  });

  it('admin route with no workers → 503 No healthy workers', async () => {
    const res = await post(router, '/route', { api_key: ADMIN });
    expect(res.status).toBe(503);
    expect(res.json.detail).toContain('No healthy workers');
  });

  it('POST /register: 401 without auth, 403 with a wrong key, 200 with the admin key', async () => {
    expect((await post(router, '/register', { worker_addr: workers[0].url }, null)).status).toBe(401);
    expect((await post(router, '/register', { worker_addr: workers[0].url }, 'wrong')).status).toBe(403);
    const id = await register(router, workers[0].url);
    expect(id.length).toBeGreaterThan(0);
    expect((await get(router, '/health', null)).json.workers).toBe(1);
    expect(await register(router, workers[0].url)).toBe(id);
    expect((await get(router, '/health', null)).json.workers).toBe(1);
  });

  it('pins the admin key (HITL) to one worker, sticky across calls', async () => {
    await register(router, workers[1].url);
    const first = await post(router, '/route', { api_key: ADMIN, path: '/chat/completions' });
    expect(first.status).toBe(200);
    expect(first.json.worker_addr).toBe(workers[0].url);
    for (let i = 0; i < 3; i++) {
      expect((await post(router, '/route', { api_key: ADMIN, path: '/chat/completions' })).json.worker_addr).toBe(
        workers[0].url,
      );
    }
    expect((await post(router, '/route', { session_id: '__hitl__' })).json.worker_addr).toBe(workers[0].url);
  });

  it('spreads admin /rl/start_session routes over the workers', async () => {
    const placements = new Set<string>();
    for (let i = 0; i < 4; i++) {
      placements.add(
        (await post(router, '/route', { api_key: ADMIN, path: '/rl/start_session' })).json.worker_addr as string,
      );
    }
    expect(placements).toEqual(new Set([workers[0].url, workers[1].url]));
  });

  it('GET /workers lists both workers with ids and health; 401 without auth', async () => {
    const res = await get(router, '/workers');
    expect(res.status).toBe(200);
    expect(res.json.workers.map((w: { addr: string }) => w.addr)).toEqual([workers[0].url, workers[1].url]);
    for (const w of res.json.workers) {
      expect(w).toEqual(
        expect.objectContaining({ worker_id: expect.any(String), healthy: true, active_requests: expect.any(Number) }),
      );
    }
    expect((await get(router, '/workers', null)).status).toBe(401);
  });

  it('capacity: grant → register_session → 429 → grant → register_session', async () => {
    expect((await post(router, '/grant_capacity', undefined, null)).status).toBe(401);
    expect((await post(router, '/grant_capacity', undefined, 'wrong')).status).toBe(403);
    const granted = await post(router, '/grant_capacity');
    expect(granted.json).toEqual({ status: 'ok', capacity: 1 });
    expect((await get(router, '/health', null)).json.capacity).toBe(1);
    const body = { session_api_key: 'sess-1', session_id: 'task-1-0', worker_addr: workers[1].url };
    expect((await post(router, '/register_session', body, null)).status).toBe(401);
    const ok = await post(router, '/register_session', body);
    expect(ok.status).toBe(200);
    expect(ok.json.status).toBe('ok');
    const refused = await post(router, '/register_session', {
      ...body,
      session_api_key: 'sess-2',
      session_id: 'task-2-0',
    });
    expect(refused.status).toBe(429);
    expect(refused.json.detail).toBe('No available capacity to start a new session');
    await post(router, '/grant_capacity');
    expect(
      (await post(router, '/register_session', { ...body, session_api_key: 'sess-2', session_id: 'task-2-0' })).status,
    ).toBe(200);
  });

  it('routes a session key and a session id to the pinned worker', async () => {
    expect((await post(router, '/route', { api_key: 'sess-1', path: '/chat/completions' })).json.worker_addr).toBe(
      workers[1].url,
    );
    expect((await post(router, '/route', { session_id: 'task-1-0' })).json.worker_addr).toBe(workers[1].url);
  });

  it('unknown key → 404 Unknown API key; unknown session → 404; {} → 422; no auth → 401', async () => {
    const unknown = await post(router, '/route', { api_key: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.detail).toContain('Unknown API key');
    expect((await post(router, '/route', { session_id: 'nope' })).status).toBe(404);
    expect((await post(router, '/route', {})).status).toBe(422);
    expect((await post(router, '/route', { api_key: ADMIN }, null)).status).toBe(401);
  });

  it('remove_session keeps the HITL binding, removes ordinary sessions, unknown → removed:false', async () => {
    const hitl = await post(router, '/remove_session', { session_id: '__hitl__' });
    expect(hitl.json).toEqual({ status: 'ok', removed: false, persistent: true });
    expect((await post(router, '/route', { api_key: ADMIN })).json.worker_addr).toBe(workers[0].url);
    expect((await post(router, '/remove_session', { session_id: 'task-2-0' })).json).toEqual({
      status: 'ok',
      removed: true,
      persistent: false,
    });
    expect((await post(router, '/route', { api_key: 'sess-2' })).status).toBe(404);
    expect((await post(router, '/remove_session', { session_id: 'nope' })).json).toEqual({
      status: 'ok',
      removed: false,
      persistent: false,
    });
  });

  it('resolve_worker: known id → address, unknown → 404', async () => {
    const id = await register(router, workers[1].url);
    expect((await get(router, `/resolve_worker/${id}`)).json).toEqual({ worker_id: id, worker_addr: workers[1].url });
    const missing = await get(router, '/resolve_worker/nope');
    expect(missing.status).toBe(404);
    expect(missing.json.detail).toBe('Worker ID nope not found');
  });

  it('models: register (explicit and default addresses), list, route, remove', async () => {
    expect((await get(router, '/models')).json).toEqual({ models: [] });
    expect((await post(router, '/route', { model: 'nope' })).status).toBe(404);
    expect((await post(router, '/register_model', { model: 'ext-1', url: 'http://ext-api' }, null)).status).toBe(401);
    const explicit = await post(router, '/register_model', {
      model: 'ext-1',
      url: 'http://ext-api',
      data_proxy_addrs: [workers[1].url],
    });
    expect(explicit.json).toEqual({ status: 'ok', model: 'ext-1', data_proxy_addrs: [workers[1].url] });
    const routed = await post(router, '/route', { model: 'ext-1' });
    expect(routed.json).toEqual(expect.objectContaining({ worker_addr: workers[1].url, url: 'http://ext-api' }));
    const all = await post(router, '/register_model', { model: 'internal' });
    expect(all.json.data_proxy_addrs).toEqual([workers[0].url, workers[1].url]);
    expect((await get(router, '/models')).json).toEqual({ models: ['ext-1', 'internal'] });
    expect((await post(router, '/route', { model: 'unknown' })).status).toBe(404);
    expect((await post(router, '/route', { session_id: 'unknown' })).status).toBe(404);
    expect((await post(router, '/remove_model', { name: 'ext-1' })).json).toEqual({ status: 'ok', name: 'ext-1' });
    const again = await post(router, '/remove_model', { name: 'ext-1' });
    expect(again.status).toBe(404);
    expect(again.json.detail).toBe("External model 'ext-1' not found");
  });

  it('unregister by address cascades to sessions (the HITL pin too) and the admin key re-pins', async () => {
    await post(router, '/grant_capacity');
    await post(router, '/register_session', {
      session_api_key: 'sess-9',
      session_id: 'task-9-0',
      worker_addr: workers[0].url,
    });
    const res = await post(router, '/unregister', { worker_addr: workers[0].url });
    expect(res.json).toEqual({ status: 'ok', sessions_revoked: 2 });
    expect((await post(router, '/route', { api_key: 'sess-9' })).status).toBe(404);
    expect((await post(router, '/route', { api_key: ADMIN })).json.worker_addr).toBe(workers[1].url);
    expect((await post(router, '/unregister', { worker_addr: workers[0].url })).json).toEqual({
      status: 'ok',
      sessions_revoked: 0,
    });
  });

  it('unregister: an unknown id is 404 even with a valid address; {} is 422; by id removes the worker', async () => {
    expect((await post(router, '/unregister', { worker_id: 'bad', worker_addr: workers[1].url })).status).toBe(404);
    expect((await post(router, '/unregister', {})).status).toBe(422);
    const id = await register(router, workers[1].url);
    expect((await post(router, '/unregister', { worker_id: id })).json.status).toBe('ok');
    expect((await get(router, '/health', null)).json.workers).toBe(0);
    // Re-registering the same address later gives a new id.
    expect(await register(router, workers[1].url)).not.toBe(id);
  });

  it('serves Swagger UI, the OpenAPI document and Prometheus metrics', async () => {
    const docs = await get(router, '/docs', null);
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger');
    const openapi = await get(router, '/openapi.json', null);
    expect(Object.keys(openapi.json.paths)).toEqual(
      expect.arrayContaining(['/route', '/register', '/register_session', '/workers']),
    );
    const metrics = await get(router, '/metrics', null);
    expect(metrics.text).toContain('http_requests_total{method="POST",route="/route"');
    expect(metrics.text).toContain('router_workers');
    expect((await get(router, '/health/ready', null)).status).toBe(200);
  });
});

describe('router process: health polling', () => {
  let router: SpawnedApp;
  let a: FakeWorker;
  let b: FakeWorker;

  beforeAll(async () => {
    router = await startRouter(FAST_POLL);
  });

  afterAll(async () => {
    await router.stop();
  });

  afterEach(async () => {
    await a?.stop();
    await b?.stop();
    for (const addr of [a?.url, b?.url]) if (addr) await post(router, '/unregister', { worker_addr: addr });
  });

  it('marks a worker unhealthy after consecutive failures, never routes to it, and restores it after one success', async () => {
    a = await new FakeWorker().start();
    b = await new FakeWorker().start();
    await register(router, a.url);
    await register(router, b.url);
    a.healthStatus = 500;
    await waitFor(async () => (await healthOf(router, a.url)) === false);
    const listed = (await get(router, '/workers')).json.workers.find((w: { addr: string }) => w.addr === a.url);
    expect(listed.consecutive_failures).toBeGreaterThanOrEqual(2);
    expect(listed.last_error).toBe('HTTP 500');
    for (let i = 0; i < 6; i++) {
      expect((await post(router, '/route', { api_key: ADMIN, path: '/rl/start_session' })).json.worker_addr).toBe(
        b.url,
      );
    }
    a.healthStatus = 200;
    await waitFor(async () => (await healthOf(router, a.url)) === true);
  });

  it('a dead worker turns unhealthy; its pinned session answers 503; it recovers when it comes back', async () => {
    a = await new FakeWorker().start();
    b = await new FakeWorker().start();
    await register(router, a.url);
    await register(router, b.url);
    await post(router, '/grant_capacity');
    await post(router, '/register_session', { session_api_key: 'pinned-a', session_id: 'sa', worker_addr: a.url });
    await a.stop();
    await waitFor(async () => (await healthOf(router, a.url)) === false);
    const pinned = await post(router, '/route', { api_key: 'pinned-a' });
    expect(pinned.status).toBe(503);
    expect(pinned.json.detail).toBe('Pinned worker unhealthy');
    expect((await post(router, '/route', { api_key: ADMIN, path: '/rl/start_session' })).json.worker_addr).toBe(b.url);
    await a.restart();
    await waitFor(async () => (await healthOf(router, a.url)) === true);
    expect((await post(router, '/route', { api_key: 'pinned-a' })).json.worker_addr).toBe(a.url);
  });

  it('a stuck worker times out on its own without delaying the others', async () => {
    a = await new FakeWorker().start();
    b = await new FakeWorker().start();
    a.healthDelayMs = 5000;
    await register(router, a.url);
    await register(router, b.url);
    await waitFor(async () => (await healthOf(router, a.url)) === false, 4000);
    const before = b.healthChecks;
    await waitFor(() => b.healthChecks >= before + 3, 3000);
  });

  it('does not flap on a single failure (threshold 2)', async () => {
    a = await new FakeWorker().start();
    await register(router, a.url);
    await waitFor(() => a.healthChecks >= 2);
    a.healthStatus = 503;
    const start = a.healthChecks;
    await waitFor(() => a.healthChecks >= start + 1);
    a.healthStatus = 200;
    // The one failure alone never marks it unhealthy.
    const seen: (boolean | undefined)[] = [];
    for (let i = 0; i < 5; i++) seen.push(await healthOf(router, a.url));
    expect(seen.every((h) => h === true)).toBe(true);
  });
});

describe('router process: least_busy strategy', () => {
  it('sends new sessions to the worker reporting the fewest active requests', async () => {
    const router = await startRouter(['--routing-strategy', 'least_busy', ...FAST_POLL]);
    const busy = await new FakeWorker().start();
    const idle = await new FakeWorker().start();
    try {
      busy.healthBody = { status: 'ok', active_requests: 50 };
      idle.healthBody = { status: 'ok', active_requests: 0 };
      await register(router, busy.url);
      await register(router, idle.url);
      await waitFor(() => busy.healthChecks >= 1 && idle.healthChecks >= 1);
      await waitFor(async () => {
        const list = (await get(router, '/workers')).json.workers as { addr: string; active_requests: number }[];
        return list.find((w) => w.addr === busy.url)?.active_requests === 50;
      });
      for (let i = 0; i < 5; i++) {
        expect((await post(router, '/route', { api_key: ADMIN, path: '/rl/start_session' })).json.worker_addr).toBe(
          idle.url,
        );
      }
      expect((await get(router, '/health', null)).json.strategy).toBe('least_busy');
    } finally {
      await router.stop();
      await busy.stop();
      await idle.stop();
    }
  });
});

describe('router process: self-registration, heartbeats and eviction', () => {
  it('evicts a silent worker with its sessions, keeps a heartbeating one', async () => {
    const router = await startRouter([...FAST_POLL, '--evict-after-polls', '3']);
    const dying = await new FakeWorker().start();
    try {
      await register(router, dying.url);
      // A worker that only heartbeats (its /health is not reachable at that address).
      const heartbeatOnly = 'http://127.0.0.1:1';
      await register(router, heartbeatOnly);
      await post(router, '/grant_capacity');
      await post(router, '/register_session', {
        session_api_key: 'k-dying',
        session_id: 's-dying',
        worker_addr: dying.url,
      });
      await dying.stop();
      const beat = setInterval(() => void post(router, '/register', { worker_addr: heartbeatOnly }), 50);
      try {
        await waitFor(async () => (await healthOf(router, dying.url)) === undefined, 5000);
        expect((await post(router, '/route', { api_key: 'k-dying' })).status).toBe(404);
        expect(await healthOf(router, heartbeatOnly)).toBeDefined();
      } finally {
        clearInterval(beat);
      }
    } finally {
      await router.stop();
      await dying.stop();
    }
  });

  it('keeps unreachable workers registered when eviction is off (the reference behaviour)', async () => {
    const router = await startRouter(FAST_POLL);
    try {
      await register(router, 'http://127.0.0.1:1');
      await waitFor(async () => (await healthOf(router, 'http://127.0.0.1:1')) === false);
      await sleep(500);
      expect(await healthOf(router, 'http://127.0.0.1:1')).toBe(false);
    } finally {
      await router.stop();
    }
  });
});

describe('router process: command line and lifecycle', () => {
  it('exits non-zero naming the flag on an invalid value', async () => {
    const bad = await runApp('router', ['--poll-interval', 'soon']);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain('--poll-interval');
    const strategy = await runApp('router', ['--routing-strategy', 'random']);
    expect(strategy.code).not.toBe(0);
    expect(strategy.output).toContain('--routing-strategy');
  });

  it('refuses the default admin key on a non-loopback bind', async () => {
    const res = await runApp('router', ['--host', '0.0.0.0', '--port', '0']);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('--admin-api-key');
  });

  it('prints --help', async () => {
    const res = await runApp('router', ['--help']);
    expect(res.code).toBe(0);
    expect(res.output).toContain('--routing-strategy');
  });

  it('never logs the admin key and exits 0 on SIGTERM', async () => {
    const router = await startRouter(['--access-log']);
    await post(router, '/route', { api_key: ADMIN });
    await post(router, '/register', { worker_addr: 'http://127.0.0.1:1' });
    expect(await router.stop('SIGTERM')).toBe(0);
    expect(router.logs.join('\n')).not.toContain(ADMIN);
  });
});

describe('router process: pin-change stream for gateway pin caches', () => {
  it('GET /pins/events needs the admin key, says hello with the current seq, and reports every pin change before /route shows it', async () => {
    const router = await startRouter(['--poll-interval', '30']);
    const a = await new FakeWorker().start();
    const b = await new FakeWorker().start();
    const abort = new AbortController();
    try {
      expect((await get(router, '/pins/events', null)).status).toBe(401);
      expect((await get(router, '/pins/events', 'wrong')).status).toBe(403);
      await register(router, a.url);
      await register(router, b.url);
      for (let i = 0; i < 2; i++) await post(router, '/grant_capacity');

      const res = await request(`${router.url}/pins/events`, {
        headers: { authorization: `Bearer ${ADMIN}` },
        signal: abort.signal,
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/event-stream');
      const events: { type: string; seq: number; keys?: string[] }[] = [];
      let buffer = '';
      res.body.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (frame.startsWith('data: ')) events.push(JSON.parse(frame.slice(6)));
        }
      });
      res.body.on('error', () => undefined);
      await waitFor(() => events.length === 1);
      expect(events[0].type).toBe('hello');

      // A new pin changes nothing a cache holds; the /route answer carries the seq the stream is at.
      await post(router, '/register_session', { session_api_key: 'k1', session_id: 's1', worker_addr: a.url });
      const routed = await post(router, '/route', { api_key: 'k1' });
      expect(routed.json.worker_addr).toBe(a.url);
      expect(routed.json.session_id).toBe('s1');
      expect(routed.json.pin_seq).toBe(events[0].seq);

      // Moved to another worker: invalidated before /route answers with the new pin.
      await post(router, '/register_session', { session_api_key: 'k1', session_id: 's1', worker_addr: b.url });
      const moved = await post(router, '/route', { api_key: 'k1' });
      expect(moved.json.worker_addr).toBe(b.url);
      expect(moved.json.pin_seq).toBeGreaterThan(routed.json.pin_seq);
      await waitFor(() => events.at(-1)?.seq === moved.json.pin_seq);
      expect(events.at(-1)).toEqual({ type: 'invalidate', seq: moved.json.pin_seq, keys: ['k1'] });

      // Revoked, then the worker leaves: both reach the stream.
      await post(router, '/remove_session', { session_id: 's1' });
      await waitFor(() => events.some((e) => e.type === 'invalidate' && e.seq > moved.json.pin_seq));
      await post(router, '/unregister', { worker_addr: b.url });
      await waitFor(() => events.at(-1)?.type === 'flush');
      expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((x, y) => x - y));
    } finally {
      // Shutdown ends open pin streams instead of waiting out its grace period on them.
      const stopping = Date.now();
      expect(await router.stop()).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(2000);
      abort.abort();
      await a.stop();
      await b.stop();
    }
  });
});

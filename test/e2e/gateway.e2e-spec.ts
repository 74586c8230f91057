// One suite over 300 lines: the gateway process with a real router and fake data proxies, shared by
// its cases.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { scrapeMetric } from '../support/metrics.js';
import { sleep, waitFor } from '../support/wait.js';
import { call } from '../support/http.js';
import { json, Listener, type RecordedRequest } from '../support/listener.js';
import { postSse } from '../support/sse.js';
import { spawnApp, type SpawnedApp } from '../support/spawn-app.js';

const ADMIN = 'gw-admin-key';

/** A fake data proxy: scripted answers per path, every request recorded. */
function fakeDataProxy(): Listener {
  return new Listener((req, res) => {
    if (req.path === '/health') return json(res, 200, { status: 'ok', active_requests: 0 });
    if (req.path === '/rl/start_session')
      return json(res, 201, { session_id: `${req.json.task_id}-0`, api_key: `key-${req.json.task_id}` });
    if (req.path === '/chat/completions' && req.json?.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"id":"chatcmpl-s","choices":[{"delta":{"content":"Hel"}}]}\n\n');
      res.end('data: {"id":"chatcmpl-s","choices":[{"delta":{"content":"lo"}}]}\n\ndata: [DONE]\n\n');
      return;
    }
    if (req.path === '/chat/completions')
      return json(
        res,
        200,
        { id: 'chatcmpl-1', object: 'chat.completion', seen_auth: req.headers.authorization },
        { 'x-internal': 'secret', 'retry-after': '3' },
      );
    if (req.path === '/rl/set_reward')
      return json(res, 200, { message: 'success', ready_transition: true, trajectory_ready: true });
    if (req.path === '/export_trajectories') return json(res, 200, { interactions: {} });
    if (
      req.path === '/pause_generation' ||
      req.path === '/continue_generation' ||
      req.path === '/release_memory_occupation' ||
      req.path === '/resume_memory_occupation'
    )
      return json(res, 200, { status: 'ok' });
    if (req.path === '/set_version') return json(res, 200, { status: 'ok', version: req.json.version });
    if (req.path === '/get_version') return json(res, 200, { version: 7 });
    if (req.path === '/register_model' || req.path === '/unregister_model' || req.path === '/rl/remove_session')
      return json(res, 200, { status: 'ok' });
    json(res, 404, { detail: 'Not Found' });
  });
}

describe('gateway process with a real router and fake data proxies', () => {
  let router: SpawnedApp;
  let gateway: SpawnedApp;
  let proxyA: Listener;
  let proxyB: Listener;
  let workerIdA: string;

  const rt = (method: string, path: string, body?: unknown) =>
    call(method, `${router.url}${path}`, { body, token: ADMIN });
  /** Registers `worker` and pins the session `<name>-0` (key `<name>-key`) to it. */
  const pinSession = async (worker: Listener, name: string): Promise<void> => {
    await rt('POST', '/register', { worker_addr: worker.url });
    await rt('POST', '/grant_capacity');
    await rt('POST', '/register_session', {
      session_api_key: `${name}-key`,
      session_id: `${name}-0`,
      worker_addr: worker.url,
    });
  };
  const gw = (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = ADMIN,
    headers?: Record<string, string>,
  ) => call(method, `${gateway.url}${path}`, { body, token, headers });

  beforeAll(async () => {
    proxyA = await fakeDataProxy().start();
    proxyB = await fakeDataProxy().start();
    router = await spawnApp('router', ['--admin-api-key', ADMIN, '--poll-interval', '30']);
    gateway = await spawnApp('gateway', [
      '--admin-api-key',
      ADMIN,
      '--router-addr',
      router.url,
      '--sse-keepalive',
      '0.3',
    ]);
    workerIdA = (await rt('POST', '/register', { worker_addr: proxyA.url })).json.worker_id;
    await rt('POST', '/register', { worker_addr: proxyB.url });
  });

  afterAll(async () => {
    await gateway.stop();
    await router.stop();
    await proxyA.stop();
    await proxyB.stop();
  });

  beforeEach(() => {
    proxyA.requests.length = 0;
    proxyB.requests.length = 0;
  });

  const allRequests = (): RecordedRequest[] => [...proxyA.requests, ...proxyB.requests];

  it('GET /health answers without auth with the router address; readiness checks the router', async () => {
    expect((await gw('GET', '/health', undefined, null)).json).toEqual({ status: 'ok', router_addr: router.url });
    expect((await gw('GET', '/health/ready', undefined, null)).status).toBe(200);
  });

  it('chat: 401 without a bearer, 401 Unknown API key for an unknown one, in OpenAI’s error shape (detail kept)', async () => {
    const none = await gw('POST', '/chat/completions', { messages: [] }, null);
    expect(none.status).toBe(401);
    expect(none.json.error).toEqual(
      expect.objectContaining({ type: 'authentication_error', message: expect.stringContaining('Bearer') }),
    );
    expect(none.json.detail).toContain('Bearer');
    const unknown = await gw('POST', '/v1/chat/completions', { messages: [] }, 'who-is-this');
    expect(unknown.status).toBe(401);
    expect(unknown.json).toEqual({
      error: { message: 'Unknown API key', type: 'authentication_error', param: null, code: 'UNKNOWN_API_KEY' },
      detail: 'Unknown API key',
      code: 'UNKNOWN_API_KEY',
    });
    // Off the OpenAI paths the reference gateway's shape stays.
    const reward = await gw('POST', '/rl/set_reward', { reward: 1 }, 'who-is-this');
    expect(reward.json.error).toBe('Unknown API key');
  });

  it('admin chat: forwards the original bytes and Authorization, relays status, body and content type only', async () => {
    const raw = '{"model": null,   "messages": [{"role": "user", "content": "hi"}], "extra": [1,2,3]}';
    const res = await gw('POST', '/v1/chat/completions', raw, ADMIN, {
      'x-custom': 'keep me',
      'proxy-authorization': 'x',
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: 'chatcmpl-1', object: 'chat.completion', seen_auth: `Bearer ${ADMIN}` });
    expect(res.headers['x-internal']).toBeUndefined();
    expect(res.headers['retry-after']).toBe('3');
    const forwarded = allRequests().find((r) => r.path === '/chat/completions')!;
    expect(forwarded.body).toBe(raw);
    expect(forwarded.headers['x-custom']).toBe('keep me');
    expect(forwarded.headers['proxy-authorization']).toBeUndefined();
    expect(forwarded.headers['x-request-id']).toBeDefined();
  });

  it('streams SSE through with no-cache headers and the upstream bytes unchanged', async () => {
    const stream = await postSse(
      `${gateway.url}/chat/completions`,
      { messages: [{ role: 'user', content: 'hi' }], stream: true },
      { authorization: `Bearer ${ADMIN}` },
    );
    expect(stream.status).toBe(200);
    expect(String(stream.headers['content-type'])).toContain('text/event-stream');
    expect(stream.headers['cache-control']).toBe('no-cache');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    const events = await stream.done;
    expect(events).toEqual([
      { id: 'chatcmpl-s', choices: [{ delta: { content: 'Hel' } }] },
      { id: 'chatcmpl-s', choices: [{ delta: { content: 'lo' } }] },
      '[DONE]',
    ]);
  });

  it('start_session: spreads sessions over the data proxies and pins each in the router; 403 for non-admin', async () => {
    expect((await gw('POST', '/rl/start_session', { task_id: 't' }, 'not-admin')).status).toBe(403);
    await gw('POST', '/grant_capacity');
    await gw('POST', '/grant_capacity');
    const one = await gw('POST', '/rl/start_session', { task_id: 'spread1' });
    const two = await gw('POST', '/rl/start_session', { task_id: 'spread2' });
    expect(one.status).toBe(201);
    expect(one.json).toEqual({ session_id: 'spread1-0', api_key: 'key-spread1' });
    const workers = new Set([
      (await rt('POST', '/route', { session_id: 'spread1-0' })).json.worker_addr,
      (await rt('POST', '/route', { session_id: 'spread2-0' })).json.worker_addr,
    ]);
    expect(workers).toEqual(new Set([proxyA.url, proxyB.url]));
    expect((await rt('POST', '/route', { api_key: 'key-spread1' })).json.worker_addr).toBeDefined();
    expect(two.status).toBe(201);
  });

  it('start_session without capacity: 429 reaches the caller and the orphaned session is removed from the data proxy', async () => {
    const capacity = (await rt('GET', '/capacity')).json.capacity;
    for (let i = 0; i < capacity; i++)
      await rt('POST', '/register_session', {
        session_api_key: `drain-${i}`,
        session_id: `drain-${i}`,
        worker_addr: proxyA.url,
      });
    const res = await gw('POST', '/rl/start_session', { task_id: 'nocap' });
    expect(res.status).toBe(429);
    expect(res.json.error).toContain('No available capacity');
    const removal = allRequests().find((r) => r.path === '/rl/remove_session');
    expect(removal?.json).toEqual({ session_ids: ['nocap-0'] });
  });

  it('session key: chat and set_reward reach the pinned worker; export routes by session id and unpins after 200', async () => {
    await gw('POST', '/grant_capacity');
    await gw('POST', '/rl/start_session', { task_id: 'life' });
    const worker = (await rt('POST', '/route', { session_id: 'life-0' })).json.worker_addr;
    const chat = await gw('POST', '/chat/completions', { messages: [{ role: 'user', content: 'x' }] }, 'key-life');
    expect(chat.json.id).toBe('chatcmpl-1');
    const reward = await gw('POST', '/rl/set_reward', { reward: 1.0 }, 'key-life');
    expect(reward.json.ready_transition).toBe(true);
    const target = worker === proxyA.url ? proxyA : proxyB;
    expect(target.paths().slice(-2)).toEqual(['POST /chat/completions', 'POST /rl/set_reward']);
    expect((await gw('POST', '/export_trajectories', { session_id: 'life-0', trajectory_id: 0 })).status).toBe(200);
    expect(target.paths().at(-1)).toBe('POST /export_trajectories');
    expect((await rt('POST', '/route', { session_id: 'life-0' })).status).toBe(404);
  });

  it('export: 400 without session_id or with invalid JSON, 422 for a non-object, 404 for an unknown session, the HITL pin survives', async () => {
    expect((await gw('POST', '/export_trajectories', { discount: 1.0 })).json.error).toBe('session_id is required');
    expect((await gw('POST', '/export_trajectories', '{bad json')).status).toBe(400);
    // Not a JSON object: 422, as on every service (one status per fault).
    expect((await gw('POST', '/export_trajectories', [1])).status).toBe(422);
    const unknown = await gw('POST', '/export_trajectories', { session_id: 'never-0' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toBe('Session not found');
    await gw('POST', '/chat/completions', { messages: [] }, ADMIN);
    expect((await gw('POST', '/export_trajectories', { session_id: '__hitl__', trajectory_id: 0 })).status).toBe(200);
    expect((await rt('POST', '/route', { session_id: '__hitl__' })).status).toBe(200);
    expect(allRequests().filter((r) => r.path === '/export_trajectories')).toHaveLength(1);
  });

  it('pause/continue/set_version/get_version by worker id; unknown ids are 404, bad keys 403 first', async () => {
    const pause = await gw('POST', `/pause_generation/${workerIdA}`, {});
    expect(pause.json).toEqual({ results: [{ worker_addr: proxyA.url, status: 200, ok: true, error: null }] });
    expect((await gw('POST', `/callback/continue_generation/${workerIdA}`)).json.results[0].ok).toBe(true);
    expect((await gw('POST', `/set_version/${workerIdA}`, { version: 3 })).json).toEqual({ status: 'ok', version: 3 });
    expect((await gw('GET', `/get_version/${workerIdA}`)).json).toEqual({ version: 7 });
    const unknown = await gw('POST', '/pause_generation/fake-worker-id', {});
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toBe('Worker ID fake-worker-id not found');
    expect((await gw('POST', '/pause_generation/fake-worker-id', {}, 'not-admin')).status).toBe(403);
    expect((await gw('POST', '/pause_generation/..%2Fworkers', {})).status).toBe(404);
  });

  it('release/resume_memory_occupation by worker id reach that data proxy with the body', async () => {
    const released = await gw('POST', `/release_memory_occupation/${workerIdA}`);
    expect(released.json).toEqual({ results: [{ worker_addr: proxyA.url, status: 200, ok: true, error: null }] });
    const resumed = await gw('POST', `/resume_memory_occupation/${workerIdA}`, { tags: ['weights'] });
    expect(resumed.json.results[0].ok).toBe(true);
    expect(proxyA.requests.filter((r) => r.path === '/resume_memory_occupation').at(-1)?.json).toEqual({
      tags: ['weights'],
    });
    expect((await gw('POST', '/release_memory_occupation/nope')).status).toBe(404);
    expect((await gw('POST', `/release_memory_occupation/${workerIdA}`, undefined, 'wrong')).status).toBe(403);
  });

  it('a failing worker is reported in the results, still 200', async () => {
    const dead = await spawnApp('router', ['--admin-api-key', ADMIN, '--poll-interval', '30']);
    await dead.stop();
    const id = (await rt('POST', '/register', { worker_addr: dead.url })).json.worker_id;
    const res = await gw('POST', `/pause_generation/${id}`, {});
    expect(res.status).toBe(200);
    expect(res.json.results[0]).toEqual(
      expect.objectContaining({ worker_addr: dead.url, status: 502, ok: false, error: expect.any(String) }),
    );
    await rt('POST', '/unregister', { worker_id: id });
  });

  it('grant_capacity: router answer passed through; 401/403 without or with a wrong key', async () => {
    const res = await gw('POST', '/grant_capacity');
    expect(res.json).toEqual({ status: 'ok', capacity: expect.any(Number) });
    expect((await gw('POST', '/grant_capacity', undefined, null)).status).toBe(401);
    expect((await gw('POST', '/grant_capacity', undefined, 'wrong')).status).toBe(403);
  });

  it('register_model: router first, then every data proxy in parallel; models lists; /v1/models is OpenAI-shaped', async () => {
    const res = await gw('POST', '/register_model', {
      model: 'ext-1',
      url: 'http://ext-api',
      data_proxy_addrs: [proxyA.url, proxyB.url],
    });
    expect(res.json).toEqual({ status: 'ok', model: 'ext-1', data_proxy_addrs: [proxyA.url, proxyB.url] });
    expect(
      allRequests()
        .filter((r) => r.path === '/register_model')
        .map((r) => r.json),
    ).toEqual([
      { name: 'ext-1', url: 'http://ext-api', model: 'ext-1', api_key: null },
      { name: 'ext-1', url: 'http://ext-api', model: 'ext-1', api_key: null },
    ]);
    expect((await gw('GET', '/models')).json.models).toContain('ext-1');
    const openai = await gw('GET', '/v1/models');
    expect(openai.json.object).toBe('list');
    expect(openai.json.data).toContainEqual(expect.objectContaining({ id: 'ext-1', object: 'model' }));
    expect((await gw('POST', '/register_model', { url: 'x' })).json.error).toBe(
      'model is required; url must be an http(s) URL or empty',
    );
    expect((await gw('POST', '/register_model', '{oops')).status).toBe(400);
  });

  it('register_model rollback restores the previous registration and touches only what it changed', async () => {
    const broken = new Listener((req, res) => json(res, 500, { detail: 'no' }));
    await broken.start();
    try {
      await gw('POST', '/register_model', { model: 'keep', url: 'http://old', data_proxy_addrs: [proxyA.url] });
      proxyA.requests.length = 0;
      const res = await gw('POST', '/register_model', {
        model: 'keep',
        url: 'http://new',
        data_proxy_addrs: [proxyA.url, broken.url],
      });
      expect(res.status).toBe(502);
      expect(res.json.error).toBe('Data proxy registration failed');
      expect(res.json.details[0]).toContain(broken.url);
      expect((await rt('GET', '/models/keep')).json).toEqual(
        expect.objectContaining({ url: 'http://old', data_proxy_addrs: [proxyA.url] }),
      );
      expect(proxyA.requests.map((r) => r.json.url)).toEqual(['http://new', 'http://old']);
    } finally {
      await broken.stop();
    }
  });

  it('a data proxy error before the first streamed byte keeps its real status', async () => {
    const failing = new Listener((req, res) =>
      req.path === '/chat/completions' ? json(res, 400, { detail: 'bad request body' }) : json(res, 200, {}),
    );
    await failing.start();
    try {
      await rt('POST', '/register_model', { model: 'failing', data_proxy_addrs: [failing.url] });
      await pinSession(failing, 'fail');
      const res = await call('POST', `${gateway.url}/chat/completions`, {
        body: { messages: [], stream: true },
        token: 'fail-key',
      });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ detail: 'bad request body' });
    } finally {
      await failing.stop();
      await rt('POST', '/unregister', { worker_addr: failing.url });
      await rt('POST', '/remove_model', { name: 'failing' });
    }
  });

  it('an upstream that dies mid-stream ends the stream with an error event; a client that leaves cancels the upstream', async () => {
    const dying = new Listener((req, res) => {
      if (req.path !== '/chat/completions') return json(res, 200, {});
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
      if (req.json?.die) setTimeout(() => res.destroy(), 50);
    });
    await dying.start();
    try {
      await pinSession(dying, 'dying');
      const stream = await postSse(
        `${gateway.url}/chat/completions`,
        { stream: true, die: true },
        { authorization: 'Bearer dying-key' },
      );
      const events = await stream.done;
      expect(events[0]).toEqual({ n: 1 });
      expect(events.at(-1)).toEqual({
        error: expect.objectContaining({ message: expect.stringContaining('upstream stream failed') }),
      });

      const idle = await postSse(
        `${gateway.url}/chat/completions`,
        { stream: true },
        { authorization: 'Bearer dying-key' },
      );
      await sleep(200);
      idle.abort();
      await waitFor(() => dying.disconnects >= 1, 3000);
    } finally {
      await dying.stop();
      await rt('POST', '/unregister', { worker_addr: dying.url });
    }
  });

  it('idle streams get keep-alive comments between events', async () => {
    const slow = new Listener((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
      setTimeout(() => res.end('data: [DONE]\n\n'), 1200);
    });
    await slow.start();
    try {
      await pinSession(slow, 'slow');
      const res = await request(`${gateway.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer slow-key', 'content-type': 'application/json' },
        body: '{"stream": true}',
      });
      const text = await res.body.text();
      expect(text).toContain(': keep-alive');
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    } finally {
      await slow.stop();
      await rt('POST', '/unregister', { worker_addr: slow.url });
    }
  });
});

describe('gateway pin cache', () => {
  it('serves pinned sessions from the cache and never after the router moved, revoked or unhealthied the pin', async () => {
    const proxy = await fakeDataProxy().start();
    const other = await fakeDataProxy().start();
    const router = await spawnApp('router', ['--admin-api-key', ADMIN, '--poll-interval', '30']);
    const gateway = await spawnApp('gateway', ['--admin-api-key', ADMIN, '--router-addr', router.url]);
    const rt = (path: string, body?: unknown) => call('POST', `${router.url}${path}`, { body, token: ADMIN });
    const chat = () => call('POST', `${gateway.url}/chat/completions`, { body: { messages: [] }, token: 'cached-key' });
    const hits = () => scrapeMetric(gateway.url, 'gateway_pin_cache_hits_total', { app: 'gateway' });
    try {
      await rt('/register', { worker_addr: proxy.url });
      await rt('/grant_capacity');
      await rt('/register_session', { session_api_key: 'cached-key', session_id: 'cached-0', worker_addr: proxy.url });
      expect((await chat()).status).toBe(200);
      const before = await hits();
      expect((await chat()).status).toBe(200);
      expect(await hits()).toBe(before + 1);

      // Moved to another data proxy while cached: the next turn goes to the new one.
      await rt('/register', { worker_addr: other.url });
      await rt('/grant_capacity');
      await rt('/register_session', { session_api_key: 'cached-key', session_id: 'cached-0', worker_addr: other.url });
      await sleep(50);
      const onOther = other.requests.length;
      expect((await chat()).status).toBe(200);
      expect(other.requests.length).toBe(onOther + 1);
      await rt('/grant_capacity');
      await rt('/register_session', { session_api_key: 'cached-key', session_id: 'cached-0', worker_addr: proxy.url });

      // The worker leaves: its sessions are revoked, so the key is unknown, not the cached worker.
      await rt('/unregister', { worker_addr: proxy.url });
      await sleep(50);
      expect((await chat()).status).toBe(401);

      // Re-pinned elsewhere and revoked: never served from the cache.
      await rt('/register', { worker_addr: proxy.url });
      await rt('/grant_capacity');
      await rt('/register_session', { session_api_key: 'cached-key', session_id: 'cached-1', worker_addr: proxy.url });
      expect((await chat()).status).toBe(200);
      expect((await chat()).status).toBe(200);
      await rt('/remove_session', { session_id: 'cached-1' });
      await sleep(50);
      expect((await chat()).json.error.message).toBe('Unknown API key');

      // Export through this gateway drops the pin at once (no event needed).
      await rt('/grant_capacity');
      await rt('/register_session', { session_api_key: 'cached-key', session_id: 'cached-2', worker_addr: proxy.url });
      expect((await chat()).status).toBe(200);
      expect((await chat()).status).toBe(200);
      expect(
        (await call('POST', `${gateway.url}/export_trajectories`, { body: { session_id: 'cached-2' }, token: ADMIN }))
          .status,
      ).toBe(200);
      expect((await chat()).status).toBe(401);

      // Router gone: the cache is off, so the gateway reports the router instead of guessing.
      await rt('/grant_capacity');
      await rt('/register_session', { session_api_key: 'cached-key', session_id: 'cached-3', worker_addr: proxy.url });
      expect((await chat()).status).toBe(200);
      await router.stop();
      await sleep(100);
      expect((await chat()).status).toBe(502);
    } finally {
      await gateway.stop();
      await router.stop();
      await proxy.stop();
      await other.stop();
    }
  });
});

describe('gateway process: router and data proxy failures', () => {
  it('answers JSON 502 while the router is down and recovers when it returns; an unreachable data proxy is a JSON 502', async () => {
    const router = await spawnApp('router', ['--admin-api-key', ADMIN]);
    const routerPort = router.port;
    const gateway = await spawnApp('gateway', [
      '--admin-api-key',
      ADMIN,
      '--router-addr',
      router.url,
      '--router-timeout',
      '1',
    ]);
    try {
      await router.stop();
      const down = await call('POST', `${gateway.url}/chat/completions`, { body: { messages: [] }, token: ADMIN });
      expect(down.status).toBe(502);
      expect(down.json.error.message).toContain('Router unreachable');
      expect((await call('POST', `${gateway.url}/pause_generation/x`, { token: ADMIN })).status).toBe(502);
      expect((await call('GET', `${gateway.url}/health/ready`)).status).toBe(503);
      const back = await spawnApp(
        'router',
        ['--admin-api-key', ADMIN, '--port', String(routerPort)].filter(
          (a, i, all) => !(a === '--port' && all[i + 1] === '0'),
        ),
      );
      try {
        expect((await call('GET', `${gateway.url}/health/ready`)).status).toBe(200);
        const none = await call('POST', `${gateway.url}/chat/completions`, { body: { messages: [] }, token: ADMIN });
        expect(none.status).toBe(503);
        expect(none.json.error.message).toBe('No healthy workers');
        await call('POST', `${back.url}/register`, { body: { worker_addr: 'http://127.0.0.1:1' }, token: ADMIN });
        const unreachable = await call('POST', `${gateway.url}/chat/completions`, {
          body: { messages: [] },
          token: ADMIN,
        });
        expect(unreachable.status).toBe(502);
        expect(unreachable.json.code).toBe('UPSTREAM_UNAVAILABLE');
      } finally {
        await back.stop();
      }
    } finally {
      await gateway.stop();
    }
  });

  it('bad input never reaches a 5xx', async () => {
    const router = await spawnApp('router', ['--admin-api-key', ADMIN]);
    const gateway = await spawnApp('gateway', [
      '--admin-api-key',
      ADMIN,
      '--router-addr',
      router.url,
      '--max-body-bytes',
      '4096',
    ]);
    try {
      const nonAscii = Buffer.from(`Bearer ${ADMIN}é`, 'utf8').toString('latin1');
      const cases: [string, string, unknown, Record<string, string>][] = [
        ['POST', '/chat/completions', 'x'.repeat(10_000), { authorization: `Bearer ${ADMIN}` }],
        ['POST', '/chat/completions', {}, { authorization: 'Basic x' }],
        ['POST', '/rl/start_session', {}, { authorization: nonAscii }],
        ['POST', '/register_model', { model: 5 }, { authorization: `Bearer ${ADMIN}` }],
        ['POST', '/set_version/x', { version: 'a' }, { authorization: `Bearer ${ADMIN}` }],
        ['GET', '/get_version/%00', undefined, { authorization: `Bearer ${ADMIN}` }],
        ['GET', '/chat/completions', undefined, { authorization: `Bearer ${ADMIN}` }],
        ['POST', '/export_trajectories', 'null', { authorization: `Bearer ${ADMIN}` }],
        ['POST', '/v1/models', undefined, {}],
      ];
      for (const [method, path, body, headers] of cases) {
        const res = await call(method, `${gateway.url}${path}`, { body, headers });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }
      expect((await call('GET', `${gateway.url}/health`)).status).toBe(200);
    } finally {
      await gateway.stop();
      await router.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { call } from '../support/http.js';
import { spawnApp, type SpawnedApp } from '../support/spawn-app.js';

const ADMIN = 'bad-input-admin-key';
const MAX_BODY = 16 * 1024;

/** Every router endpoint that takes a JSON body, with one valid body each. */
const BODY_ENDPOINTS: Record<string, Record<string, unknown>> = {
  '/register': { worker_addr: 'http://127.0.0.1:1' },
  '/unregister': { worker_addr: 'http://127.0.0.1:1' },
  '/route': { api_key: 'x' },
  '/register_session': { session_api_key: 'k', session_id: 's', worker_addr: 'http://127.0.0.1:1' },
  '/remove_session': { session_id: 's' },
  '/register_model': { model: 'm', data_proxy_addrs: ['http://127.0.0.1:1'] },
  '/remove_model': { name: 'm' },
};
const NO_BODY_POSTS = ['/grant_capacity', '/release_capacity'];
const GETS = ['/workers', '/models', '/resolve_worker/x', '/capacity'];

/** Per endpoint, fields with values of the wrong type. */
const WRONG_TYPES: [string, Record<string, unknown>][] = [
  ['/register', { worker_addr: 42 }],
  ['/register', { worker_addr: 'not a url' }],
  ['/register', { worker_addr: 'ftp://x' }],
  ['/register', { worker_addr: 'http://x', active_requests: -1 }],
  ['/register', { worker_addr: ['http://x'] }],
  ['/register', { worker_addr: 'http://' + 'x'.repeat(3000) }],
  ['/unregister', { worker_id: 5 }],
  ['/unregister', { worker_addr: {} }],
  ['/unregister', { worker_id: null, worker_addr: null }],
  ['/route', { api_key: 1 }],
  ['/route', { session_id: ['a'] }],
  ['/route', { model: {} }],
  ['/route', { path: true }],
  ['/register_session', { session_api_key: 'k', session_id: 's' }],
  ['/register_session', { session_api_key: 1, session_id: 's', worker_addr: 'http://x' }],
  ['/register_session', { session_api_key: '', session_id: 's', worker_addr: 'http://x' }],
  ['/register_session', { sessions: 'all', worker_addr: 'http://x', group_id: 'g' }],
  ['/register_session', { sessions: [], worker_addr: 'http://x', group_id: 'g' }],
  ['/register_session', { sessions: [{ session_id: 's' }], worker_addr: 'http://x', group_id: 'g' }],
  ['/register_session', { sessions: [{ session_api_key: 'k', session_id: 's' }], worker_addr: 'http://x' }],
  ['/remove_session', {}],
  ['/remove_session', { session_id: 3 }],
  ['/remove_session', { group_id: false }],
  ['/register_model', {}],
  ['/register_model', { model: '' }],
  ['/register_model', { model: 'm', data_proxy_addrs: 'http://x' }],
  ['/register_model', { model: 'm', data_proxy_addrs: [1] }],
  ['/register_model', { model: 'm', url: 'nota url' }],
  ['/register_model', { model: 'm', api_key: 7 }],
  ['/remove_model', {}],
  ['/remove_model', { name: 1 }],
];

function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

describe('router process: bad input never causes a 5xx or a state change', () => {
  let router: SpawnedApp;

  beforeAll(async () => {
    router = await spawnApp('router', [
      '--admin-api-key',
      ADMIN,
      '--max-body-bytes',
      String(MAX_BODY),
      '--poll-interval',
      '30',
    ]);
  });

  afterAll(async () => {
    expect(await router.stop()).toBe(0);
  });

  const post = (
    path: string,
    body: unknown,
    options: { token?: string | null; headers?: Record<string, string> } = {},
  ) =>
    call('POST', `${router.url}${path}`, {
      body,
      token: options.token === undefined ? ADMIN : options.token,
      headers: options.headers,
    });

  async function expectStateUntouched(): Promise<void> {
    const health = await call('GET', `${router.url}/health`);
    expect(health.status).toBe(200);
    expect(health.json).toEqual(expect.objectContaining({ workers: 0, sessions: 0, capacity: 0 }));
    expect((await call('GET', `${router.url}/models`, { token: ADMIN })).json).toEqual({ models: [] });
  }

  function expectClientError(res: { status: number; json: any }, allowed: number[]): void {
    expect(allowed).toContain(res.status);
    expect(res.json).toEqual(expect.objectContaining({ detail: expect.anything(), code: expect.any(String) }));
  }

  it.each(Object.keys(BODY_ENDPOINTS))(
    '%s: missing, malformed, non-object and deeply nested bodies are 4xx',
    async (path) => {
      expectClientError(await post(path, undefined), [422]);
      expectClientError(await post(path, '{"worker_addr": '), [400]);
      expectClientError(await post(path, 'null'), [422]);
      expectClientError(await post(path, '[1,2,3]'), [422]);
      expectClientError(await post(path, '"text"'), [422]);
      expectClientError(await post(path, '12'), [422]);
      expectClientError(await post(path, nested(2000)), [400, 413, 422]);
      expectClientError(await post(path, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), [400]);
      expectClientError(await post(path, '<xml/>', { headers: { 'content-type': 'application/xml' } }), [415]);
    },
  );

  it.each(WRONG_TYPES)('%s with %j → 422 naming the field', async (path, body) => {
    const res = await post(path, body);
    expectClientError(res, [422]);
  });

  it.each(Object.keys(BODY_ENDPOINTS))('%s: a body over --max-body-bytes is 413', async (path) => {
    const res = await post(path, { ...BODY_ENDPOINTS[path], padding: 'x'.repeat(MAX_BODY * 2) });
    expectClientError(res, [413]);
  });

  it.each([...Object.keys(BODY_ENDPOINTS), ...NO_BODY_POSTS])(
    '%s: auth failures are 401/403, never 500',
    async (path) => {
      const body = BODY_ENDPOINTS[path];
      expectClientError(await post(path, body, { token: null }), [401]);
      expectClientError(await post(path, body, { token: null, headers: { authorization: 'Basic abc' } }), [401]);
      expectClientError(await post(path, body, { token: null, headers: { authorization: 'Bearer' } }), [401]);
      expectClientError(await post(path, body, { token: 'wrong' }), [403]);
      // `Bearer ` with an empty token: HTTP strips the trailing space, so it arrives as `Bearer`.
      expectClientError(await post(path, body, { token: '' }), [401, 403]);
      const nonAscii = Buffer.from(`Bearer ${ADMIN}é`, 'utf8').toString('latin1');
      expectClientError(await post(path, body, { token: null, headers: { authorization: nonAscii } }), [403]);
      const nonAsciiLatin1 = `Bearer ${'ÿ'.repeat(ADMIN.length)}`;
      expectClientError(await post(path, body, { token: null, headers: { authorization: nonAsciiLatin1 } }), [403]);
    },
  );

  it.each(GETS)('GET %s: auth failures are 401/403', async (path) => {
    expectClientError(await call('GET', `${router.url}${path}`), [401]);
    expectClientError(await call('GET', `${router.url}${path}`, { token: 'wrong' }), [403]);
  });

  it('wrong methods are 405 with Allow, unknown paths 404', async () => {
    const wrong = await call('GET', `${router.url}/route`, { token: ADMIN });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    expect((await call('DELETE', `${router.url}/workers`, { token: ADMIN })).status).toBe(405);
    expect((await call('POST', `${router.url}/health`)).status).toBe(405);
    const missing = await call('GET', `${router.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.json.detail).toBe('Not Found');
  });

  it('path traversal and odd ids in resolve_worker are plain 404s (414 when absurdly long)', async () => {
    for (const id of ['..%2F..%2Fetc%2Fpasswd', '%00', '%E2%98%83', '%ZZ']) {
      const res = await call('GET', `${router.url}/resolve_worker/${id}`, { token: ADMIN });
      expect([400, 404]).toContain(res.status);
    }
    expect((await call('GET', `${router.url}/resolve_worker/${'a'.repeat(2000)}`, { token: ADMIN })).status).toBe(414);
  });

  it('a header injection attempt in x-request-id is replaced, not echoed', async () => {
    const res = await request(`${router.url}/health`, { headers: { 'x-request-id': 'abc def<script>' } });
    await res.body.dump();
    expect(res.headers['x-request-id']).not.toContain('<');
  });

  it('after all of it the process still serves and nothing changed', async () => {
    await expectStateUntouched();
    const metrics = await call('GET', `${router.url}/metrics`);
    expect(metrics.text).not.toMatch(/status="5\d\d"/);
  });
});

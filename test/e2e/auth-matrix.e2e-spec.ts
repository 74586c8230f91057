import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { call } from '../support/http.js';
import { spawnApp, spawnAttachedController, type SpawnedApp } from '../support/spawn-app.js';

/**
 * The auth matrix: every endpoint of every service (from its /openapi.json) called with no key, a
 * malformed header, a wrong key, a session key, another session's key and the admin key. The
 * expected outcome of each endpoint's class is the table in docs/SECURITY.md; an endpoint missing
 * from that table fails the test, so a new endpoint must be classified before it ships.
 */
const ADMIN = 'matrix-admin-key';
const ENGINE_KEY = 'matrix-engine-key';
const CREDENTIALS = ['none', 'malformed', 'wrong', 'session', 'other session', 'admin'] as const;
type Credential = (typeof CREDENTIALS)[number];

/** What each class answers per credential: `deny401`, `deny403` or `allow` (anything but 401/403). */
const EVERYONE: Record<Credential, 'allow'> = {
  none: 'allow',
  malformed: 'allow',
  wrong: 'allow',
  session: 'allow',
  'other session': 'allow',
  admin: 'allow',
};
const CLASS_OUTCOMES: Record<string, Record<Credential, 'allow' | 401 | 403>> = {
  open: EVERYONE,
  admin: { none: 401, malformed: 401, wrong: 403, session: 403, 'other session': 403, admin: 'allow' },
  session: { none: 401, malformed: 401, wrong: 401, session: 'allow', 'other session': 'allow', admin: 'allow' },
  // Anyone gets in; a session key, when given, picks the session (the HITL session otherwise).
  'optional-session': EVERYONE,
  // The admin key; no key only from a --control-allow-from network, and these services have none
  // (the default; test/e2e/areal-v2-trainer.e2e-spec.ts calls them from allowed and other networks).
  control: { none: 401, malformed: 401, wrong: 403, session: 403, 'other session': 403, admin: 'allow' },
};

/** The status only; the body is dropped unread (some endpoints stream for as long as one listens). */
async function statusOf(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<number> {
  const res = await request(url, {
    method: method as 'GET',
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body,
  });
  res.body.on('error', () => undefined);
  res.body.destroy();
  return res.statusCode;
}

function securityTable(): Map<string, string> {
  const text = readFileSync(fileURLToPath(new URL('../../docs/SECURITY.md', import.meta.url)), 'utf8');
  const table = new Map<string, string>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | service | `METHOD /path` | class | ...
    const endpoint = /^`([A-Z]+ \/[^`]*)`$/.exec(cells[2] ?? '');
    if (endpoint && cells[3]) table.set(`${cells[1]} ${endpoint[1]}`, cells[3].replace(/`/g, ''));
  }
  return table;
}

describe('auth matrix (docs/SECURITY.md), every endpoint of every service', () => {
  const apps: Record<string, SpawnedApp> = {};
  let sessionKey: string;
  let otherSessionKey: string;

  beforeAll(async () => {
    const engine = await spawnApp('engine-sim', [
      '--api-key',
      ENGINE_KEY,
      '--decode-ms-per-token',
      '0',
      '--enable-memory-saver',
    ]);
    const proxy = await spawnApp('data-proxy', [
      '--admin-api-key',
      ADMIN,
      '--backend-addr',
      engine.url,
      '--backend-api-key',
      ENGINE_KEY,
    ]);
    const router = await spawnApp('router', ['--admin-api-key', ADMIN]);
    const gateway = await spawnApp('gateway', ['--admin-api-key', ADMIN, '--router-addr', router.url]);
    await call('POST', `${router.url}/register`, { body: { worker_addr: proxy.url }, token: ADMIN });
    const keys: string[] = [];
    for (const task of ['a', 'b']) {
      await call('POST', `${router.url}/grant_capacity`, { token: ADMIN });
      keys.push(
        (await call('POST', `${gateway.url}/rl/start_session`, { body: { task_id: task }, token: ADMIN })).json.api_key,
      );
    }
    [sessionKey, otherSessionKey] = keys;
    const controller = await spawnAttachedController(ADMIN, { gateway, router, dataProxies: [proxy] });
    Object.assign(apps, { 'data-proxy': proxy, router, gateway, controller, 'engine-sim': engine });
  }, 60_000);

  afterAll(async () => {
    for (const name of ['controller', 'gateway', 'router', 'data-proxy', 'engine-sim']) await apps[name]?.stop();
    // No key of any kind in any line any service wrote during the whole run.
    const logs = Object.values(apps)
      .flatMap((a) => a.logs)
      .join('\n');
    for (const secret of [ADMIN, ENGINE_KEY, sessionKey, otherSessionKey]) expect(logs).not.toContain(secret);
  });

  const header = (credential: Credential): Record<string, string> => {
    switch (credential) {
      case 'none':
        return {};
      case 'malformed':
        return { authorization: 'Basic bWF0cml4' };
      case 'wrong':
        return { authorization: 'Bearer not-a-key' };
      case 'session':
        return { authorization: `Bearer ${sessionKey}` };
      case 'other session':
        return { authorization: `Bearer ${otherSessionKey}` };
      case 'admin':
        return { authorization: `Bearer ${ADMIN}` };
    }
  };

  for (const service of ['router', 'data-proxy', 'gateway', 'controller']) {
    it(`${service}: every endpoint is in the table and answers as its class says`, async () => {
      const app = apps[service];
      const table = securityTable();
      const doc = (await call('GET', `${app.url}/openapi.json`)).json as { paths: Record<string, object> };
      const endpoints = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
      );
      const missing = endpoints.filter((e) => !table.has(`${service} ${e}`));
      expect(missing).toEqual([]);
      const mismatches: string[] = [];
      for (const endpoint of [...endpoints, 'GET /metrics']) {
        const klass = table.get(`${service} ${endpoint}`) ?? 'open';
        const outcomes = CLASS_OUTCOMES[klass];
        expect([endpoint, outcomes !== undefined]).toEqual([endpoint, true]);
        const [method, path] = endpoint.split(' ');
        for (const credential of CREDENTIALS) {
          // The admin key really stops the controller: that cell is checked by the controller suite.
          if (endpoint === 'POST /shutdown' && credential === 'admin') continue;
          const status = await statusOf(
            method,
            `${app.url}${path.replace(/\{[^}]+\}/g, 'x')}`,
            header(credential),
            method === 'POST' || method === 'PUT' ? '{"timeout_s":0,"count":1}' : undefined,
          );
          const res = { status };
          const expected = outcomes[credential];
          const ok = expected === 'allow' ? res.status !== 401 && res.status !== 403 : res.status === expected;
          if (!ok) mismatches.push(`${endpoint} [${credential}] expected ${expected}, got ${res.status}`);
          expect(res.status).toBeLessThan(500);
        }
      }
      expect(mismatches).toEqual([]);
    }, 60_000);
  }

  it('a session key reaches only its own session', async () => {
    const { gateway, 'data-proxy': proxy } = apps;
    // The matrix above called every control endpoint; an offload pauses until onload and continue.
    for (const path of ['/resume_memory_occupation', '/continue_generation'])
      expect((await call('POST', `${proxy.url}${path}`, { body: {}, token: ADMIN })).status).toBe(200);
    const sessions = async () =>
      Promise.all(
        ['a-0', 'b-0'].map(async (id) => (await call('GET', `${proxy.url}/rl/sessions/${id}`, { token: ADMIN })).json),
      );
    const chat = await call('POST', `${gateway.url}/v1/chat/completions`, {
      body: { messages: [{ role: 'user', content: 'mine' }], max_tokens: 2 },
      token: otherSessionKey,
    });
    expect(chat.status).toBe(200);
    const [a, b] = await sessions();
    expect(JSON.stringify(a)).not.toContain(chat.json.id);
    expect(JSON.stringify(b)).toContain(chat.json.id);
    // Another session's data is admin-only, and a reward lands in the caller's own session.
    expect((await call('GET', `${proxy.url}/rl/sessions/a-0`, { token: otherSessionKey })).status).toBe(403);
    expect(
      (await call('POST', `${gateway.url}/rl/set_reward`, { body: { reward: 1 }, token: otherSessionKey })).status,
    ).toBe(200);
    expect(JSON.stringify((await sessions())[0])).not.toContain('"reward":1');
  });
});

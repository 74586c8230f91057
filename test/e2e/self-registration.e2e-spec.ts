import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '../support/wait.js';
import { call } from '../support/http.js';
import { spawnApp, type SpawnedApp } from '../support/spawn-app.js';

const ADMIN = 'self-registration-admin-key';

/** A data proxy that registers itself with `router` and heartbeats every 0.2 s. */
function selfRegisteringProxy(engine: SpawnedApp, router: SpawnedApp): Promise<SpawnedApp> {
  return spawnApp('data-proxy', [
    ...['--admin-api-key', ADMIN, '--backend-addr', engine.url],
    ...['--router-addr', router.url, '--heartbeat-interval', '0.2'],
  ]);
}

/**
 * Data proxies started with --router-addr register themselves and heartbeat; the router evicts
 * the ones that go silent; the gateway routes to whatever is registered; a controller in attach
 * mode without --data-proxy-addrs follows the router's list. No controller launches anything.
 */
describe('self-registering data proxies (no controller), scaled by starting and killing processes', () => {
  let engine: SpawnedApp;
  let router: SpawnedApp;
  let gateway: SpawnedApp;
  let controller: SpawnedApp | undefined;
  const proxies: SpawnedApp[] = [];

  const startProxy = async (): Promise<SpawnedApp> => {
    const proxy = await selfRegisteringProxy(engine, router);
    proxies.push(proxy);
    return proxy;
  };
  const registered = async (): Promise<string[]> =>
    ((await call('GET', `${router.url}/workers`, { token: ADMIN })).json.workers as { addr: string }[])
      .map((w) => w.addr)
      .sort();
  /** The router's permits gate session starts: one grant per session. */
  const startSession = async (taskId: string) => {
    await call('POST', `${gateway.url}/grant_capacity`, { token: ADMIN });
    return call('POST', `${gateway.url}/rl/start_session`, { body: { task_id: taskId }, token: ADMIN });
  };
  const sessionsOn = async (proxy: SpawnedApp): Promise<number> =>
    (await call('GET', `${proxy.url}/health`)).json.sessions as number;

  beforeAll(async () => {
    engine = await spawnApp('engine-sim', ['--decode-ms-per-token', '0']);
    router = await spawnApp('router', ['--admin-api-key', ADMIN, '--poll-interval', '0.2', '--evict-after-polls', '3']);
    gateway = await spawnApp('gateway', ['--admin-api-key', ADMIN, '--router-addr', router.url]);
  }, 30_000);

  afterAll(async () => {
    for (const app of [controller, gateway, ...proxies, router, engine])
      if (app && app.process.exitCode === null) await app.stop();
  });

  it('two data proxies register themselves and new sessions are spread over both', async () => {
    const [a, b] = [await startProxy(), await startProxy()];
    await waitFor(async () => (await registered()).length === 2, 5_000, 50);
    expect(await registered()).toEqual([a.url, b.url].sort());
    for (let i = 0; i < 4; i++) {
      const started = await startSession(`t${i}`);
      expect(started.status).toBe(201);
    }
    expect([await sessionsOn(a), await sessionsOn(b)]).toEqual([2, 2]);
  });

  it('a data proxy killed with -9 is evicted (its sessions revoked) and routing follows the survivors', async () => {
    const [a, b] = proxies;
    const keyOnA = await (async () => {
      for (let i = 0; i < 4; i++) {
        const s = await startSession(`k${i}`);
        const resolved = await call('POST', `${router.url}/route`, { body: { api_key: s.json.api_key }, token: ADMIN });
        if (resolved.json.worker_addr === a.url) return s.json.api_key as string;
      }
      throw new Error('no session landed on the first data proxy');
    })();
    await a.stop('SIGKILL');
    await waitFor(async () => (await registered()).length === 1, 5_000, 50);
    expect(await registered()).toEqual([b.url]);
    // The dead proxy's sessions are gone with it: a clean 4xx, not a hang.
    const orphan = await call('POST', `${gateway.url}/v1/chat/completions`, {
      body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 },
      token: keyOnA,
    });
    expect(orphan.status).toBeGreaterThanOrEqual(400);
    expect(orphan.status).toBeLessThan(500);
    const before = await sessionsOn(b);
    for (let i = 0; i < 3; i++) expect((await startSession(`s${i}`)).status).toBe(201);
    expect(await sessionsOn(b)).toBe(before + 3);
  });

  it('a new data proxy joins without anyone registering it; an orderly stop unregisters at once', async () => {
    const c = await startProxy();
    await waitFor(async () => (await registered()).includes(c.url), 5_000, 50);
    const before = await sessionsOn(c);
    for (let i = 0; i < 4; i++) await startSession(`n${i}`);
    expect(await sessionsOn(c)).toBe(before + 2);
    const started = Date.now();
    await c.stop('SIGTERM');
    expect(await registered()).not.toContain(c.url);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a controller in attach mode without --data-proxy-addrs follows the router: scaling needs no action', async () => {
    controller = await spawnApp('controller', [
      '--admin-api-key',
      ADMIN,
      '--mode',
      'attach',
      '--gateway-addr',
      gateway.url,
      '--router-addr',
      router.url,
      '--poll-interval',
      '0.2',
    ]);
    await waitFor(async () => (await call('GET', `${controller!.url}/health/ready`)).status === 200, 10_000, 50);
    const listed = async (): Promise<string[]> =>
      ((await call('GET', `${controller!.url}/status`, { token: ADMIN })).json.data_proxies as { addr: string }[])
        .map((d) => d.addr)
        .sort();
    expect(await listed()).toEqual(await registered());
    const d = await startProxy();
    await waitFor(async () => (await listed()).includes(d.url), 5_000, 50);
    // Broadcasts reach the newcomer too.
    const set = await call('POST', `${controller.url}/set_version`, { body: { version: 7 }, token: ADMIN });
    expect(set.status).toBe(200);
    expect((await call('GET', `${d.url}/health`)).json.version).toBe(7);
    // The model follows the worker set: a chat naming it can land on the newcomer.
    await waitFor(
      async () =>
        (
          (await call('GET', `${router.url}/models/engine-sim`, { token: ADMIN })).json?.data_proxy_addrs ?? []
        ).includes(d.url),
      5_000,
      50,
    );
  });
});

describe('a router restart loses nothing: the data proxies restore their sessions (kill -9, same port)', () => {
  it('session keys, groups and the HITL session route again within a heartbeat; rewards and exports work', async () => {
    const engine = await spawnApp('engine-sim', ['--decode-ms-per-token', '0']);
    let router = await spawnApp('router', ['--admin-api-key', ADMIN, '--poll-interval', '0.2']);
    const routerPort = router.port;
    const proxy = await selfRegisteringProxy(engine, router);
    const gateway = await spawnApp('gateway', ['--admin-api-key', ADMIN, '--router-addr', router.url]);
    const gw = (path: string, body: unknown, token: string = ADMIN) =>
      call('POST', `${gateway.url}${path}`, { body, token });
    const chat = (key: string, content: string) =>
      gw('/v1/chat/completions', { messages: [{ role: 'user', content }], max_tokens: 4 }, key);
    try {
      await waitFor(
        async () => ((await call('GET', `${router.url}/workers`, { token: ADMIN })).json.workers ?? []).length === 1,
        5_000,
        50,
      );
      for (let i = 0; i < 3; i++) expect((await gw('/grant_capacity', {})).status).toBe(200);
      const single = (await gw('/rl/start_session', { task_id: 'solo' })).json as {
        session_id: string;
        api_key: string;
      };
      const group = (await gw('/rl/start_session', { task_id: 'pair', group_size: 2 })).json as {
        group_id: string;
        sessions: { session_id: string; session_api_key: string }[];
      };
      const keys = [single.api_key, ...group.sessions.map((s) => s.session_api_key)];
      for (const key of keys) expect((await chat(key, 'first turn')).status).toBe(200);
      expect((await chat(ADMIN, 'hitl turn')).status).toBe(200);

      router.process.kill('SIGKILL');
      await router.stop();
      const killedAt = Date.now();
      router = await spawnApp('router', [
        '--admin-api-key',
        ADMIN,
        '--poll-interval',
        '0.2',
        '--port',
        String(routerPort),
      ]);
      // Within a heartbeat or two every key routes again, to the same data proxy, with its history.
      await waitFor(async () => (await chat(single.api_key, 'second turn')).status === 200, 10_000, 100);
      const recoveredMs = Date.now() - killedAt;
      process.stderr.write(`router restart: every session routes again after ${recoveredMs} ms\n`);
      expect(recoveredMs).toBeLessThan(10_000);
      for (const key of keys.slice(1)) expect((await chat(key, 'second turn')).status).toBe(200);
      expect((await chat(ADMIN, 'hitl again')).status).toBe(200);
      const interactions = async (id: string) =>
        (await call('GET', `${proxy.url}/rl/sessions/${id}`, { token: ADMIN })).json.interactions as unknown[];
      expect(await interactions(single.session_id)).toHaveLength(2);
      expect(await interactions('__hitl__')).toHaveLength(2);
      // Rewards, and a group export that revokes the group's pins on the restored router.
      for (const key of keys) expect((await gw('/rl/set_reward', { reward: 1 }, key)).status).toBe(200);
      const exported = await gw('/export_trajectories', {
        session_ids: group.sessions.map((s) => s.session_id),
        group_id: group.group_id,
        format: 'json',
      });
      expect(exported.status).toBe(200);
      expect(Object.keys(exported.json.interactions)).toHaveLength(4);
      const solo = await gw('/export_trajectories', { session_id: single.session_id, format: 'json' });
      expect(Object.keys(solo.json.interactions)).toHaveLength(2);
      expect((await chat(group.sessions[0].session_api_key, 'after export')).status).toBe(401);
    } finally {
      for (const app of [gateway, proxy, router, engine]) if (app.process.exitCode === null) await app.stop();
    }
  }, 60_000);
});

describe('a data proxy restart loses nothing: sessions and interactions come back from its journal (--state-dir)', () => {
  it('kill -9 between turns: the key still works, the next turn continues the conversation, the export has every turn', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dp-state-'));
    const engine = await spawnApp('engine-sim', ['--decode-ms-per-token', '0']);
    const router = await spawnApp('router', ['--admin-api-key', ADMIN, '--poll-interval', '0.2']);
    const proxyArgs = [
      '--admin-api-key',
      ADMIN,
      '--backend-addr',
      engine.url,
      '--router-addr',
      router.url,
      '--heartbeat-interval',
      '0.2',
      '--state-dir',
      stateDir,
    ];
    let proxy = await spawnApp('data-proxy', proxyArgs);
    const gateway = await spawnApp('gateway', ['--admin-api-key', ADMIN, '--router-addr', router.url]);
    const gw = (path: string, body: unknown, token: string = ADMIN) =>
      call('POST', `${gateway.url}${path}`, { body, token });
    try {
      await waitFor(
        async () => ((await call('GET', `${router.url}/workers`, { token: ADMIN })).json.workers ?? []).length === 1,
        5_000,
        50,
      );
      expect((await gw('/grant_capacity', {})).status).toBe(200);
      const { session_id, api_key } = (await gw('/rl/start_session', { task_id: 'durable' })).json as {
        session_id: string;
        api_key: string;
      };
      const first = [{ role: 'user', content: 'What is 2 + 2?' }];
      const turn1 = await gw('/v1/chat/completions', { messages: first, max_tokens: 6 }, api_key);
      expect(turn1.status).toBe(200);
      const before = (await call('GET', `${proxy.url}/rl/sessions/${session_id}`, { token: ADMIN })).json.interactions;

      const port = proxy.port;
      proxy.process.kill('SIGKILL');
      await proxy.stop();
      const killedAt = Date.now();
      proxy = await spawnApp('data-proxy', [...proxyArgs, '--port', String(port)]);
      const second = [...first, turn1.json.choices[0].message, { role: 'user', content: 'And 3 + 3?' }];
      await waitFor(
        async () => (await gw('/v1/chat/completions', { messages: second, max_tokens: 6 }, api_key)).status === 200,
        10_000,
        100,
      );
      process.stderr.write(`data proxy restart: the session answers again after ${Date.now() - killedAt} ms\n`);
      const after = (await call('GET', `${proxy.url}/rl/sessions/${session_id}`, { token: ADMIN })).json.interactions;
      expect(after).toHaveLength(2);
      // The recovered turn is exactly what was recorded, and the new turn continues it.
      expect(after[0]).toEqual(before[0]);
      expect(after[1].parent_id).toBe(after[0].interaction_id);
      expect((await gw('/rl/set_reward', { reward: 1 }, api_key)).status).toBe(200);
      const exported = await gw('/export_trajectories', { session_id, format: 'json' });
      expect(exported.status).toBe(200);
      expect(Object.keys(exported.json.interactions)).toEqual([after[0].interaction_id, after[1].interaction_id]);
    } finally {
      for (const app of [gateway, proxy, router, engine]) if (app.process.exitCode === null) await app.stop();
    }
  }, 60_000);
});

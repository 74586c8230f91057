// One suite over 300 lines: the controller's control API against one launched stack, started once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'undici';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, waitFor } from '../support/wait.js';
import { call } from '../support/http.js';
import { json, Listener } from '../support/listener.js';
import { runApp, spawnApp, spawnAttachedController, spawnLocalStack, type SpawnedApp } from '../support/spawn-app.js';
import { metricValue } from '../support/metrics.js';

const ADMIN = 'controller-admin-key';

interface Status {
  state: string;
  version: number;
  paused: boolean;
  gateway: { addr: string };
  router: { addr: string; health: { healthy_workers: number } };
  data_proxies: { addr: string; worker_id: string; health: { ok: boolean; version?: number; paused?: boolean } }[];
  processes: { name: string; state: string; pid: number | null; restarts: number }[];
  ready_queue: { queued: number; duplicates: number };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('controller, local mode: launches and supervises engine-sim, router, two data proxies, gateway', () => {
  let controller: SpawnedApp;
  const ctl = (method: string, path: string, body?: unknown, token: string | null = ADMIN) =>
    call(method, `${controller.url}${path}`, { body, token });
  const status = async (): Promise<Status> => (await ctl('GET', '/status')).json as Status;

  beforeAll(async () => {
    controller = await spawnLocalStack(ADMIN, ['--backend', 'sim:d2', '--engine-sim-args', '--decode-ms-per-token 0']);
  }, 70_000);

  afterAll(async () => {
    if (controller.process.exitCode === null) await controller.stop();
  });

  it('every service is up and registered; a chat through the gateway works', async () => {
    const s = await status();
    expect(s.state).toBe('ready');
    expect(s.data_proxies).toHaveLength(2);
    for (const proxy of s.data_proxies) {
      expect(proxy.worker_id).toEqual(expect.any(String));
      expect(proxy.health.ok).toBe(true);
    }
    expect(s.router.health.healthy_workers).toBe(2);
    expect(s.processes.map((p) => p.name).sort()).toEqual(
      ['data-proxy-0', 'data-proxy-1', 'engine-0', 'engine-1', 'gateway-0', 'router-0'].sort(),
    );
    expect(s.processes.every((p) => p.state === 'running')).toBe(true);
    const chat = await call('POST', `${s.gateway.addr}/v1/chat/completions`, {
      body: { model: 'engine-sim', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 },
      token: ADMIN,
    });
    expect(chat.status).toBe(200);
    expect(chat.json.choices[0].message.role).toBe('assistant');
  });

  it('set_version, pause and continue reach every data proxy, with per-target results', async () => {
    const set = await ctl('POST', '/set_version', { version: 7 });
    expect(set.status).toBe(200);
    expect(set.json.results).toHaveLength(2);
    expect(set.json.results.every((r: { ok: boolean }) => r.ok)).toBe(true);
    expect((await ctl('GET', '/get_version')).json).toEqual({ version: 7 });
    expect((await ctl('POST', '/pause')).status).toBe(200);
    let s = await status();
    expect(s.paused).toBe(true);
    expect(s.data_proxies.map((d) => [d.health.version, d.health.paused])).toEqual([
      [7, true],
      [7, true],
    ]);
    expect((await ctl('POST', '/resume')).status).toBe(200);
    s = await status();
    expect(s.data_proxies.every((d) => d.health.paused === false)).toBe(true);
  });

  it('offload and onload reach every engine through gateway and data proxies', async () => {
    const engines = (await ctl('GET', '/status')).json.engines as { addr: string }[];
    const memoryReleased = async () =>
      Promise.all(
        engines.map(async (e) => metricValue((await call('GET', `${e.addr}/metrics`)).text, 'engine_memory_released')),
      );
    const off = await ctl('POST', '/offload');
    expect(off.status).toBe(200);
    expect(off.json.results.every((r: { ok: boolean }) => r.ok)).toBe(true);
    expect(await memoryReleased()).toEqual([1, 1]);
    expect((await status()) as unknown as { offloaded: boolean }).toEqual(expect.objectContaining({ offloaded: true }));
    expect((await ctl('POST', '/onload', { tags: [5] })).status).toBe(400);
    const on = await ctl('POST', '/onload', { tags: ['weights', 'kv_cache'] });
    expect(on.status).toBe(200);
    expect(await memoryReleased()).toEqual([0, 0]);
    // An offload pauses: generation resumes only once the trainer continues too.
    expect((await status()).data_proxies.every((d) => d.health.paused === true)).toBe(true);
    expect((await ctl('POST', '/resume')).status).toBe(200);
    expect((await status()).data_proxies.every((d) => d.health.paused === false)).toBe(true);
    // The data proxy endpoint itself is admin-only and validates tags.
    const proxy = (await status()).data_proxies[0].addr;
    expect((await call('POST', `${proxy}/release_memory_occupation`, { body: {} })).status).toBe(401);
    expect(
      (await call('POST', `${proxy}/resume_memory_occupation`, { body: { tags: 'x' }, token: ADMIN })).status,
    ).toBe(400);
  });

  it('online flow: HITL chat with the admin key, reward, callback, /trajectories/wait returns it exactly once', async () => {
    const { gateway } = await status();
    const chat = await call('POST', `${gateway.addr}/v1/chat/completions`, {
      body: { model: 'engine-sim', messages: [{ role: 'user', content: 'Online turn' }], max_tokens: 6 },
      token: ADMIN,
    });
    expect(chat.status).toBe(200);
    const reward = await call('POST', `${gateway.addr}/rl/set_reward`, { body: { reward: 1.5 }, token: ADMIN });
    expect(reward.status).toBe(200);
    const waited = await ctl('POST', '/trajectories/wait', { count: 1, timeout_s: 10 });
    expect(waited.status).toBe(200);
    expect(waited.json.timed_out).toBe(false);
    expect(waited.json.trajectories).toHaveLength(1);
    const [trajectory] = waited.json.trajectories;
    expect(trajectory.ok).toBe(true);
    expect(trajectory.session_id).toBe('__hitl__');
    const interaction = trajectory.interactions[chat.json.id];
    expect(interaction.reward).toBe(1.5);
    // A repeated callback is dropped; nothing more to take.
    const repeat = await ctl('POST', '/callback/online_ready', {
      session_id: '__hitl__',
      trajectory_id: trajectory.trajectory_id,
    });
    expect(repeat.json.queued).toBe(false);
    const again = await ctl('POST', '/trajectories/wait', { count: 1, timeout_s: 0.3 });
    expect(again.json).toEqual({ trajectories: [], timed_out: true });

    // A trainer that gives up waiting loses nothing: the next trajectory goes to the next waiter.
    const impatient = new AbortController();
    const abandoned = request(`${controller.url}/trajectories/wait`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ count: 1, timeout_s: 30 }),
      signal: impatient.signal,
    }).catch(() => null);
    await sleep(100);
    impatient.abort();
    await abandoned;
    await sleep(100);
    await call('POST', `${gateway.addr}/v1/chat/completions`, {
      body: { model: 'engine-sim', messages: [{ role: 'user', content: 'Second turn' }], max_tokens: 4 },
      token: ADMIN,
    });
    await call('POST', `${gateway.addr}/rl/set_reward`, { body: { reward: 2 }, token: ADMIN });
    const next = await ctl('POST', '/trajectories/wait', { count: 1, timeout_s: 10 });
    expect(next.json.trajectories).toHaveLength(1);
    expect(next.json.trajectories[0].ok).toBe(true);
  });

  it('bad input: 401/403 without the admin key, 400 for bad bodies, nothing broadcast, no 5xx', async () => {
    expect((await ctl('GET', '/status', undefined, null)).status).toBe(401);
    expect((await ctl('POST', '/pause', undefined, 'wrong')).status).toBe(403);
    const cases: [string, string, unknown][] = [
      ['POST', '/set_version', { version: 'a' }],
      ['POST', '/set_version', { version: -1 }],
      ['POST', '/set_version', {}],
      ['POST', '/set_version', '[1]'],
      ['POST', '/set_version', '{"version":'],
      ['POST', '/pause', { strict: 'yes' }],
      ['POST', '/trajectories/wait', { count: 0 }],
      ['POST', '/trajectories/wait', { timeout_s: -1 }],
      ['POST', '/trajectories/wait', { style: 'weird' }],
      ['POST', '/callback/online_ready', { session_id: '', trajectory_id: 1 }],
      ['POST', '/callback/online_ready', { session_id: 's', trajectory_id: 1.5 }],
      ['POST', '/register_model', { url: 'x' }],
      ['GET', '/set_version', undefined],
    ];
    for (const [method, path, body] of cases) {
      const res = await ctl(method, path, body);
      expect([path, res.status >= 400 && res.status < 500]).toEqual([path, true]);
    }
    expect((await ctl('GET', '/get_version')).json).toEqual({ version: 7 });
  });

  it('a data proxy killed with SIGKILL shows in /status, is restarted on its address and re-registered', async () => {
    const before = await status();
    const victim = before.processes.find((p) => p.name === 'data-proxy-1')!;
    process.kill(victim.pid!, 'SIGKILL');
    await waitFor(async () => {
      const p = (await status()).processes.find((x) => x.name === 'data-proxy-1')!;
      return p.restarts === 1 && p.state === 'running';
    }, 30_000);
    await waitFor(async () => (await status()).router.health.healthy_workers === 2, 10_000);
    const after = await status();
    expect(after.data_proxies.map((d) => d.addr)).toEqual(before.data_proxies.map((d) => d.addr));
    expect(after.data_proxies.map((d) => d.worker_id)).toEqual(before.data_proxies.map((d) => d.worker_id));
    const set = await ctl('POST', '/set_version', { version: 8, strict: true });
    expect(set.status).toBe(200);
  });

  it('POST /shutdown stops everything in order and leaves no child process', async () => {
    const pids = (await status()).processes.map((p) => p.pid!);
    expect((await ctl('POST', '/shutdown')).status).toBe(200);
    await new Promise((resolve) => controller.process.once('exit', resolve));
    expect(controller.process.exitCode).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('controller, attach mode and configuration', () => {
  it('drives services it did not launch', async () => {
    const engine = await spawnApp('engine-sim', []);
    const router = await spawnApp('router', ['--admin-api-key', ADMIN]);
    const proxy = await spawnApp('data-proxy', ['--admin-api-key', ADMIN, '--backend-addr', engine.url]);
    const gateway = await spawnApp('gateway', ['--admin-api-key', ADMIN, '--router-addr', router.url]);
    const controller = await spawnAttachedController(ADMIN, { gateway, router, dataProxies: [proxy] });
    try {
      await waitFor(async () => (await call('GET', `${controller.url}/health/ready`)).status === 200, 20_000);
      const set = await call('POST', `${controller.url}/set_version`, { body: { version: 4 }, token: ADMIN });
      expect(set.status).toBe(200);
      expect((await call('GET', `${proxy.url}/get_version`)).json.version).toBe(4);
      const s = (await call('GET', `${controller.url}/status`, { token: ADMIN })).json as Status;
      expect(s.processes).toEqual([]);
      expect(s.data_proxies[0].worker_id).toEqual(expect.any(String));
    } finally {
      await controller.stop();
      // Attach mode launches nothing, so it stops nothing.
      expect((await call('GET', `${gateway.url}/health`)).status).toBe(200);
      await gateway.stop();
      await proxy.stop();
      await router.stop();
      await engine.stop();
    }
  });

  it('external model mode: no engines, one data proxy forwarding to the provider with its key (never logged)', async () => {
    const provider = await new Listener((req, res) =>
      json(res, 200, {
        id: 'chatcmpl-provider',
        object: 'chat.completion',
        model: req.json?.model,
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'from the provider' } }],
      }),
    ).start();
    const controller = await spawnLocalStack(ADMIN, [
      '--api-url',
      `${provider.url}/v1`,
      '--provider-api-key',
      'provider-secret-123',
      '--model',
      'gpt-test',
    ]);
    try {
      const s = (await call('GET', `${controller.url}/status`, { token: ADMIN })).json as Status;
      expect(s.processes.map((p) => p.name).sort()).toEqual(['data-proxy-0', 'gateway-0', 'router-0']);
      const chat = await call('POST', `${s.gateway.addr}/v1/chat/completions`, {
        body: { model: 'gpt-test', messages: [{ role: 'user', content: 'Hi' }] },
        token: ADMIN,
      });
      expect(chat.status).toBe(200);
      expect(chat.json.choices[0].message.content).toBe('from the provider');
      const forwarded = provider.requests.find((r) => r.path === '/v1/chat/completions');
      expect(forwarded?.headers.authorization).toBe('Bearer provider-secret-123');
    } finally {
      await controller.stop();
      await provider.stop();
    }
    expect(controller.logs.join('\n')).not.toContain('provider-secret-123');
  });

  it('reads a YAML config; an unknown key or a bad backend exits 2 naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'controller-config-'));
    writeFileSync(join(dir, 'typo.yaml'), 'backend: sim:d1\nsetup_timout: 5\n');
    let res = await runApp('controller', ['--config', join(dir, 'typo.yaml')]);
    expect(res.code).toBe(2);
    expect(res.output).toContain('setup_timout');
    writeFileSync(join(dir, 'bad.yaml'), 'backend: gpu:d1\n');
    res = await runApp('controller', ['--config', join(dir, 'bad.yaml'), '--log-dir', dir]);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('backend');
    res = await runApp('controller', ['--config', join(dir, 'missing.yaml')]);
    expect(res.code).toBe(2);
    expect(res.output).toContain('missing.yaml');
  });

  it('a controller killed with SIGKILL leaves no service behind', async () => {
    const controller = await spawnLocalStack(ADMIN);
    const pids = ((await call('GET', `${controller.url}/status`, { token: ADMIN })).json as Status).processes.map(
      (p) => p.pid!,
    );
    expect(pids).toHaveLength(4);
    await controller.stop('SIGKILL');
    // Each service reads its stdin from the controller; the pipe closing shuts it down.
    await waitFor(() => pids.filter(alive).length === 0, 15_000);
  }, 45_000);

  it('a service that fails to start stops everything and exits non-zero with its last lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'controller-fail-'));
    const res = await runApp('controller', [
      '--port',
      '0',
      '--gateway-port',
      '0',
      '--log-dir',
      dir,
      '--backend',
      'sglang:d1',
      '--engine-command',
      'echo "CUDA out of memory (simulated)"; exit 3',
    ]);
    expect(res.code).toBe(1);
    expect(res.output).toContain('engine-0');
    expect(res.output).toContain('CUDA out of memory (simulated)');
    expect(res.output).toContain('stack failed to start');
  });
});

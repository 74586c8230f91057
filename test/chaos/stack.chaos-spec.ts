// One suite over 300 lines: chaos against one launched stack (kills, restarts, load); the cases
// share the stack and its load generators, started once.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'undici';
import { startSessions, steadyLoad as startSteadyLoad, type ChatResult, type Session } from '../support/chat-load.js';
import { sleep, waitFor } from '../support/wait.js';
import { call } from '../support/http.js';
import { spawnLocalStack, type SpawnedApp } from '../support/spawn-app.js';
import { COLLECT_GARBAGE_ON_SIGNAL, liveHeapMb } from '../support/metrics.js';

const ADMIN = 'chaos-admin-key';
/** The data proxy → engine and gateway → data proxy timeouts: no request may hang past them. */
const TIMEOUT_S = 4;
const CLIENT_DEADLINE_MS = (TIMEOUT_S + 3) * 1000;

interface Proc {
  name: string;
  state: string;
  pid: number | null;
  port: number;
  restarts: number;
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(/\d+/.exec(line)![0]) / 1024;
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if the app has not exited within `graceMs`; resolves once it has exited. */
async function stopWithin(app: SpawnedApp, graceMs: number): Promise<void> {
  const killer = setTimeout(() => void app.stop('SIGKILL'), graceMs);
  try {
    await app.stop();
  } finally {
    clearTimeout(killer);
  }
}

/**
 * Fault injection under steady load through the whole stack, launched and supervised by the
 * controller: kill -9 of each kind of process, pause/continue storms with version changes,
 * and peers that stop answering. Every failure must be clean (an HTTP status or an SSE error
 * event, never a hang past the configured timeouts) and limited to what the fault touched.
 */
describe('chaos: faults under load through the full stack', () => {
  let controller: SpawnedApp;
  let gateway = '';
  let router = '';
  /**
   * Whatever a test runs in the background (load generators, samplers) is stopped after it,
   * whether it passed, failed or timed out; a test that timed out keeps running in Jest, so it
   * also stops killing processes once its end is signalled.
   */
  const background = new Set<() => Promise<unknown>>();
  let testEnded = new AbortController();
  beforeEach(() => {
    testEnded = new AbortController();
  });
  afterEach(async () => {
    testEnded.abort(new Error('the test has ended'));
    const stops = [...background];
    background.clear();
    await Promise.allSettled(stops.map((stop) => stop()));
  });
  /** Steady load through the gateway (see steadyLoad), stopped after the test if it has not been. */
  const steadyLoad: typeof startSteadyLoad = (...args) => {
    const load = startSteadyLoad(...args);
    background.add(load.stop);
    return {
      results: load.results,
      stop: () => {
        background.delete(load.stop);
        return load.stop();
      },
    };
  };
  const ctl = (method: string, path: string, body?: unknown) =>
    call(method, `${controller.url}${path}`, { body, token: ADMIN });
  const processes = async (): Promise<Proc[]> => (await ctl('GET', '/status')).json.processes as Proc[];
  const proc = async (name: string): Promise<Proc> => (await processes()).find((p) => p.name === name)!;
  const dataProxyAddr = async (index: number): Promise<string> =>
    ((await ctl('GET', '/status')).json.data_proxies as { addr: string }[])[index].addr;
  /** Which data proxy serves a session (its pin in the router). */
  const pinnedTo = async (session: Session): Promise<string> =>
    (await call('POST', `${router}/route`, { body: { api_key: session.apiKey }, token: ADMIN })).json.worker_addr;

  /** The sessions pinned to a data proxy, and the others (by their pins in the router). */
  async function splitByPin(sessions: Session[], victim: string) {
    const pins = await Promise.all(sessions.map(pinnedTo));
    const victims = sessions.filter((_, i) => pins[i] === victim);
    return {
      victims,
      others: sessions.filter((_, i) => pins[i] !== victim),
      onVictim: new Set(victims.map((v) => v.index)),
    };
  }

  /** Kills a launched service with SIGKILL and waits until the controller has it running again. */
  async function killAndAwaitRestart(name: string, whileDown?: () => Promise<void>): Promise<void> {
    testEnded.signal.throwIfAborted();
    const before = await proc(name);
    process.kill(before.pid!, 'SIGKILL');
    await whileDown?.();
    let now = before;
    await waitFor(
      async () => {
        now = await proc(name);
        return now.restarts === before.restarts + 1 && now.state === 'running' && now.pid !== before.pid;
      },
      20_000,
      50,
    ).catch((err: unknown) => {
      const seen = (p: Proc) => `pid ${p.pid}, ${p.state}, ${p.restarts} restarts`;
      throw new Error(`${name} not running again after kill -9 (before: ${seen(before)}; last seen: ${seen(now)})`, {
        cause: err,
      });
    });
  }

  async function healthyWorkers(): Promise<number> {
    const res = await call('GET', `${router}/health`).catch(() => null);
    return res?.status === 200 ? (res.json.healthy_workers as number) : -1;
  }

  /** Steady load for a while on sessions that must all be served. */
  async function expectServed(sessions: Session[], ms: number): Promise<void> {
    const load = steadyLoad(gateway, sessions);
    await sleep(ms);
    const results = await load.stop();
    expect(results.length).toBeGreaterThan(sessions.length);
    expect(
      results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.error ?? ''} ${r.detail ?? ''}`),
    ).toEqual([]);
  }

  function expectClean(results: ChatResult[]): void {
    for (const r of results) {
      expect(r.ms).toBeLessThan(CLIENT_DEADLINE_MS);
      // A status, or a refused/reset connection while the process was down: never a timeout.
      if (r.status === 0) expect(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(r.error);
    }
  }

  beforeAll(async () => {
    controller = await spawnLocalStack(
      ADMIN,
      [
        '--backend',
        'sim:d2',
        '--request-timeout',
        String(TIMEOUT_S),
        '--gateway-forward-timeout',
        String(TIMEOUT_S),
        '--restart-backoff-max',
        '0.5',
        '--engine-sim-args',
        '--decode-ms-per-token 1',
      ],
      // SIGUSR2 makes each process collect its garbage in full, for the leak check.
      COLLECT_GARBAGE_ON_SIGNAL,
    );
    const status = (await ctl('GET', '/status')).json;
    gateway = status.gateway.addr;
    router = status.router.addr;
  }, 70_000);

  afterAll(async () => {
    if (!controller || controller.process.exitCode !== null) return;
    // Stopping the controller stops all it launched: nothing may outlive the suite.
    const launched = await processes().catch(() => [] as Proc[]);
    await stopWithin(controller, 15_000);
    const survivors = launched.filter((p) => p.pid !== null && isAlive(p.pid));
    for (const p of survivors) process.kill(p.pid!, 'SIGKILL');
    expect(survivors.map((p) => p.name)).toEqual([]);
  }, 30_000);

  it('kill -9 a data proxy: only its sessions fail, cleanly, while it is down; restarted, it recovers them from its journal; nothing else restarts', async () => {
    const sessions = await startSessions(gateway, ADMIN, 8, 'dp-kill');
    const victim = await dataProxyAddr(0);
    const { onVictim } = await splitByPin(sessions, victim);
    expect(onVictim.size).toBeGreaterThan(0);
    expect(onVictim.size).toBeLessThan(sessions.length);
    const before = await processes();
    const load = steadyLoad(gateway, sessions, { deadlineMs: CLIENT_DEADLINE_MS });
    await sleep(300);
    const killedAt = Date.now();
    let markedUnhealthyAfterMs = -1;
    let sessionWhileDown = '';
    await killAndAwaitRestart('data-proxy-0', async () => {
      // The router stops routing to it within its unhealthy threshold (2 failed polls of 0.2 s).
      await waitFor(
        async () => {
          const workers = (await call('GET', `${router}/workers`, { token: ADMIN })).json.workers as {
            addr: string;
            healthy: boolean;
          }[];
          return workers.find((w) => w.addr === victim)?.healthy === false;
        },
        5_000,
        20,
      );
      markedUnhealthyAfterMs = Date.now() - killedAt;
      const [session] = await startSessions(gateway, ADMIN, 1, 'dp-kill-while-down');
      sessionWhileDown = await pinnedTo(session);
    });
    expect(markedUnhealthyAfterMs).toBeLessThan(1_500);
    expect(sessionWhileDown).not.toBe(victim);
    await sleep(500);
    const results = await load.stop();
    expectClean(results);
    const survivors = results.filter((r) => !onVictim.has(r.session));
    expect(survivors.length).toBeGreaterThan(20);
    expect(survivors.every((r) => r.status === 200)).toBe(true);
    // The victim's sessions fail cleanly while it is down.
    expect(results.some((r) => onVictim.has(r.session) && r.at > killedAt && r.status !== 200)).toBe(true);
    const after = await processes();
    for (const p of after)
      if (p.name !== 'data-proxy-0') expect(p.restarts).toBe(before.find((b) => b.name === p.name)!.restarts);
    // New sessions reach the restarted data proxy again.
    await waitFor(async () => (await healthyWorkers()) === 2, 10_000, 50);
    const fresh = await startSessions(gateway, ADMIN, 4, 'dp-kill-after');
    const pins = await Promise.all(fresh.map(pinnedTo));
    expect(pins).toContain(victim);
    await expectServed(fresh, 300);
    // The restarted data proxy recovered its sessions from its journal (--state-dir): their keys work again.
    await expectServed(
      sessions.filter((s) => onVictim.has(s.index)),
      300,
    );
  }, 60_000);

  it('kill -9 an engine: its data proxy answers cleanly until the engine is back; the other engine is untouched', async () => {
    const sessions = await startSessions(gateway, ADMIN, 8, 'engine-kill');
    const victim = await dataProxyAddr(1);
    const { onVictim } = await splitByPin(sessions, victim);
    const load = steadyLoad(gateway, sessions, { deadlineMs: CLIENT_DEADLINE_MS });
    await sleep(300);
    await killAndAwaitRestart('engine-1');
    await sleep(800);
    const results = await load.stop();
    expectClean(results);
    expect(results.filter((r) => !onVictim.has(r.session)).every((r) => r.status === 200)).toBe(true);
    // Once the engine is back, its sessions work again (sessions live in the data proxy).
    const tail = steadyLoad(
      gateway,
      sessions.filter((s) => onVictim.has(s.index)),
    );
    await sleep(500);
    const recovered = await tail.stop();
    expect(recovered.length).toBeGreaterThan(0);
    expect(recovered.every((r) => r.status === 200)).toBe(true);
  }, 60_000);

  it('kill -9 the router: failures are clean while it is down; restarted, it rebuilds its registry from the data proxies: old and new sessions are served', async () => {
    const sessions = await startSessions(gateway, ADMIN, 4, 'router-kill');
    const load = steadyLoad(gateway, sessions, { deadlineMs: CLIENT_DEADLINE_MS });
    await sleep(300);
    await killAndAwaitRestart('router-0');
    const results = await load.stop();
    expectClean(results);
    await waitFor(
      async () => ((await call('GET', `${router}/workers`, { token: ADMIN })).json?.workers?.length ?? 0) === 2,
      10_000,
      50,
    );
    await waitFor(async () => (await healthyWorkers()) === 2, 10_000, 50);
    const fresh = await startSessions(gateway, ADMIN, 4, 'router-kill-after');
    await expectServed(fresh, 400);
    // Sessions started before the kill were announced again by their data proxies
    // (/restore_sessions), each data proxy within one heartbeat of the router's return.
    await waitFor(
      async () =>
        (
          await Promise.all(
            sessions.map((session) =>
              call('POST', `${gateway}/v1/chat/completions`, {
                body: { messages: [{ role: 'user', content: 'still there?' }], max_tokens: 2 },
                token: session.apiKey,
              }),
            ),
          )
        ).every((res) => res.status === 200),
      10_000,
      100,
    );
    await expectServed(sessions, 400);
    // The control path follows the new worker ids.
    expect((await ctl('POST', '/set_version', { version: 1, strict: true })).status).toBe(200);
  }, 60_000);

  it('kill -9 the router in the middle of 50 multi-turn episodes under load: every episode completes and exports all its turns', async () => {
    const EPISODES = 50;
    const TURNS = 4;
    const DEADLINE_MS = 30_000;
    let killedAt = 0;
    let turnsDone = 0;
    let failedAttempts = 0;
    /** When the last turn that failed because of the kill was served at last. */
    let lastRecoveredAt = 0;
    const headers = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
    /** An agent retries what fails, as a real one would: every attempt must end cleanly, and one must succeed. */
    async function retried<T>(what: string, attempt: () => Promise<{ ok: boolean; value?: T; detail: string }>) {
      const started = Date.now();
      let failed = false;
      for (;;) {
        const outcome = await attempt().catch((err: unknown) => ({
          ok: false,
          value: undefined,
          detail: (err as { code?: string }).code ?? String(err),
        }));
        if (outcome.ok) {
          if (failed && killedAt > 0) lastRecoveredAt = Math.max(lastRecoveredAt, Date.now());
          return outcome.value as T;
        }
        failed = true;
        failedAttempts++;
        testEnded.signal.throwIfAborted();
        if (Date.now() - started > DEADLINE_MS) throw new Error(`${what} kept failing: ${outcome.detail}`);
        await sleep(50);
      }
    }
    const post = async (path: string, key: string, body: unknown) => {
      const res = await request(`${gateway}${path}`, {
        method: 'POST',
        headers: headers(key),
        body: JSON.stringify(body),
        headersTimeout: CLIENT_DEADLINE_MS,
        bodyTimeout: CLIENT_DEADLINE_MS,
      });
      const text = await res.body.text();
      return { status: res.statusCode, json: res.statusCode < 300 ? JSON.parse(text) : undefined, text };
    };
    async function episode(index: number): Promise<number> {
      const session = await retried<{ session_id: string; api_key: string }>('start_session', async () => {
        await post('/grant_capacity', ADMIN, {});
        const res = await post('/rl/start_session', ADMIN, { task_id: `episodes-${index}` });
        return { ok: res.status === 201, value: res.json, detail: res.text };
      });
      const messages: { role: string; content: string }[] = [];
      for (let turn = 0; turn < TURNS; turn++) {
        messages.push({ role: 'user', content: `episode ${index} turn ${turn}` });
        const reply = await retried<string>(`turn ${turn} of episode ${index}`, async () => {
          const res = await post('/v1/chat/completions', session.api_key, { messages, max_tokens: 6 });
          return { ok: res.status === 200, value: res.json?.choices[0].message.content, detail: res.text };
        });
        messages.push({ role: 'assistant', content: reply });
        turnsDone++;
      }
      await retried('set_reward', async () => {
        const res = await post('/rl/set_reward', session.api_key, { reward: index });
        return { ok: res.status === 200, detail: res.text };
      });
      const exported = await retried<{ interactions: Record<string, { reward: number }> }>('export', async () => {
        const res = await post('/export_trajectories', ADMIN, {
          session_id: session.session_id,
          trajectory_id: 0,
          format: 'json',
        });
        return { ok: res.status === 200, value: res.json, detail: res.text };
      });
      const rows = Object.values(exported.interactions);
      expect(rows.every((row) => row.reward === index)).toBe(true);
      return rows.length;
    }

    const episodes = Promise.all(Array.from({ length: EPISODES }, (_, i) => episode(i)));
    // The kill lands mid-run: about half of all turns served.
    await waitFor(() => turnsDone >= (EPISODES * TURNS) / 2, 30_000, 5);
    killedAt = Date.now();
    const turnsAtKill = turnsDone;
    await killAndAwaitRestart('router-0');
    const exportedTurns = await episodes;
    expect(turnsAtKill).toBeLessThan(EPISODES * TURNS);
    // 0 lost: every episode exported every one of its turns, none twice.
    expect(exportedTurns).toEqual(Array.from({ length: EPISODES }, () => TURNS));
    process.stderr.write(
      `router kill -9 mid ${EPISODES} episodes × ${TURNS} turns (${turnsAtKill} turns done at the kill): ` +
        `${failedAttempts} failed attempts retried, every turn served again ${lastRecoveredAt > 0 ? lastRecoveredAt - killedAt : 0} ms after the kill, 0 lost\n`,
    );
  }, 90_000);

  it('kill -9 the gateway: in-flight requests fail cleanly; restarted on its port, existing sessions continue', async () => {
    const sessions = await startSessions(gateway, ADMIN, 4, 'gateway-kill');
    const load = steadyLoad(gateway, sessions, { deadlineMs: CLIENT_DEADLINE_MS });
    await sleep(300);
    await killAndAwaitRestart('gateway-0');
    await sleep(300);
    const results = await load.stop();
    expectClean(results);
    await expectServed(sessions, 400);
  }, 60_000);

  it('10 kill -9 cycles of a data proxy under load: no other process leaks sockets or memory', async () => {
    const sessions = await startSessions(gateway, ADMIN, 8, 'cycles');
    const warm = steadyLoad(gateway, sessions);
    await sleep(500);
    await warm.stop();
    // Every process the cycles do not kill: the gateway, the router, the other data proxy, both engines.
    const status = (await ctl('GET', '/status')).json;
    const urls: Record<string, string> = {
      'gateway-0': gateway,
      'router-0': router,
      'data-proxy-0': status.data_proxies[0].addr,
      'engine-0': status.engines[0].addr,
      'engine-1': status.engines[1].addr,
    };
    const watched = await Promise.all(Object.keys(urls).map(proc));
    const fdsBefore = watched.map((p) => openFds(p.pid!));
    const rssBefore = watched.map((p) => rssMb(p.pid!));
    const heapOf = () => liveHeapMb(watched.map((p) => ({ pid: p.pid!, url: urls[p.name] })));
    const heapBefore = await heapOf();
    const load = steadyLoad(gateway, sessions, { deadlineMs: CLIENT_DEADLINE_MS });
    for (let cycle = 0; cycle < 10; cycle++) {
      try {
        await killAndAwaitRestart('data-proxy-1');
        await waitFor(async () => (await healthyWorkers()) === 2, 10_000, 50);
      } catch (err) {
        throw new Error(`cycle ${cycle + 1} of 10: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
    }
    const results = await load.stop();
    expectClean(results);
    const fdsAfter = watched.map((p) => openFds(p.pid!));
    const rssAfter = watched.map((p) => rssMb(p.pid!));
    const heapAfter = await heapOf();
    const problems: string[] = [];
    for (let i = 0; i < watched.length; i++) {
      const [early, late] = [heapBefore[i], heapAfter[i]];
      const name = watched[i].name;
      // The surviving data proxy keeps every chat of its sessions until they are rewarded and
      // exported (by design: the load never exports), so its heap grows with the data; its
      // sockets and RSS are still checked.
      const growthAllowed = name.startsWith('data-proxy') ? Infinity : 32;
      if (!(late - early < growthAllowed))
        problems.push(`${name}: live heap ${early.toFixed(1)} → ${late.toFixed(1)} MB`);
      if (!(fdsAfter[i] - fdsBefore[i] < 24)) problems.push(`${name}: fds ${fdsBefore[i]} → ${fdsAfter[i]}`);
      // RSS only grows while V8 sizes its heap; a bound that a leak of this load would break.
      if (!(rssAfter[i] - rssBefore[i] < 160))
        problems.push(`${name}: RSS ${rssBefore[i].toFixed(0)} → ${rssAfter[i].toFixed(0)} MB`);
    }
    expect(problems).toEqual([]);
    // None of them was restarted by the cycles.
    for (const p of watched) expect([p.name, (await proc(p.name)).pid]).toEqual([p.name, p.pid]);
  }, 120_000);

  it('100 pause/continue cycles with set_version between, under load: no request lost, versions only move forward', async () => {
    await waitFor(async () => (await healthyWorkers()) === 2, 10_000, 50);
    const sessions = await startSessions(gateway, ADMIN, 6, 'pause-storm');
    const load = steadyLoad(gateway, sessions, { maxTokens: 24, deadlineMs: 30_000 });
    const base = (await ctl('GET', '/get_version')).json.version as number;
    for (let i = 1; i <= 100; i++) {
      expect((await ctl('POST', '/pause', { strict: true })).status).toBe(200);
      expect((await ctl('POST', '/set_version', { version: base + i, strict: true })).status).toBe(200);
      expect((await ctl('POST', '/continue', { strict: true })).status).toBe(200);
    }
    const results = await load.stop();
    expect(results.length).toBeGreaterThan(30);
    expect(
      results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.error ?? ''} ${r.detail ?? ''} ${r.ms}ms`),
    ).toEqual([]);
    // Every recorded completion: one contiguous block of generated tokens, stamped with
    // versions that never go back, all of them versions the trainer set.
    for (const session of sessions) {
      const rewarded = await call('POST', `${gateway}/rl/set_reward`, { body: { reward: 1 }, token: session.apiKey });
      expect(rewarded.status).toBe(200);
      const exported = await call('POST', `${gateway}/export_trajectories`, {
        body: { session_id: session.sessionId, format: 'json', remove_session: true },
        token: ADMIN,
      });
      expect(exported.status).toBe(200);
      const interactions: { loss_mask: number[]; versions: number[] }[] = Object.values(exported.json.interactions);
      for (const interaction of interactions) {
        const firstGenerated = interaction.loss_mask.indexOf(1);
        expect(firstGenerated).toBeGreaterThan(0);
        expect(interaction.loss_mask.slice(firstGenerated).every((m) => m === 1)).toBe(true);
        const versions = interaction.versions.slice(firstGenerated);
        for (let k = 1; k < versions.length; k++) expect(versions[k]).toBeGreaterThanOrEqual(versions[k - 1]);
        expect(versions[0]).toBeGreaterThanOrEqual(0);
        expect(versions[versions.length - 1]).toBeLessThanOrEqual(base + 100);
      }
    }
  }, 120_000);

  it('an engine that stops answering mid-stream: the stream ends with an error within the timeout; others are unaffected', async () => {
    const sessions = await startSessions(gateway, ADMIN, 8, 'stuck-engine');
    const victim = await dataProxyAddr(1);
    const {
      victims: [stuckSession],
      others,
    } = await splitByPin(sessions, victim);
    const engine = await proc('engine-1');
    const started = Date.now();
    const res = await request(`${gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stuckSession.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'long' }], max_tokens: 4000, stream: true }),
    });
    expect(res.statusCode).toBe(200);
    let text = '';
    let stopped = false;
    const reading = (async () => {
      for await (const chunk of res.body) {
        text += (chunk as Buffer).toString();
        if (!stopped && text.length > 2000) {
          stopped = true;
          process.kill(engine.pid!, 'SIGSTOP');
        }
      }
    })();
    const load = steadyLoad(gateway, others, { deadlineMs: CLIENT_DEADLINE_MS });
    try {
      await reading;
    } finally {
      process.kill(engine.pid!, 'SIGCONT');
    }
    const elapsed = Date.now() - started;
    const results = await load.stop();
    expect(stopped).toBe(true);
    expect(elapsed).toBeLessThan((TIMEOUT_S + 3) * 1000);
    expect(text).toMatch(/"error"/);
    expect(results.length).toBeGreaterThan(10);
    expect(results.every((r) => r.status === 200)).toBe(true);
  }, 60_000);

  it('a data proxy that accepts connections but never answers: the gateway times out cleanly; others are unaffected', async () => {
    const sessions = await startSessions(gateway, ADMIN, 8, 'stuck-proxy');
    const victim = await dataProxyAddr(0);
    const {
      victims: [stuckSession],
      others,
    } = await splitByPin(sessions, victim);
    const proxy = await proc('data-proxy-0');
    process.kill(proxy.pid!, 'SIGSTOP');
    try {
      const load = steadyLoad(gateway, others, { deadlineMs: CLIENT_DEADLINE_MS });
      const started = Date.now();
      const res = await call('POST', `${gateway}/v1/chat/completions`, {
        body: { messages: [{ role: 'user', content: 'anyone?' }], max_tokens: 4 },
        token: stuckSession.apiKey,
      });
      const elapsed = Date.now() - started;
      const results = await load.stop();
      expect(res.status).toBe(504);
      expect(elapsed).toBeLessThan((TIMEOUT_S + 2) * 1000);
      expect(results.length).toBeGreaterThan(10);
      expect(results.every((r) => r.status === 200)).toBe(true);
    } finally {
      process.kill(proxy.pid!, 'SIGCONT');
    }
    await waitFor(async () => (await healthyWorkers()) === 2, 10_000, 50);
  }, 60_000);

  it('a client that reads its stream very slowly: the gateway applies backpressure, memory stays bounded, others unaffected', async () => {
    const [slow, ...others] = await startSessions(gateway, ADMIN, 5, 'slow-reader');
    const gatewayPid = (await proc('gateway-0')).pid!;
    const rssBefore = rssMb(gatewayPid);
    const res = await request(`${gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${slow.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'a long story' }], max_tokens: 6000, stream: true }),
    });
    expect(res.statusCode).toBe(200);
    // Read a little, then nothing for a while, then a little: the gateway must not buffer the rest.
    const iterator = res.body[Symbol.asyncIterator]();
    await iterator.next();
    const load = steadyLoad(gateway, others, { deadlineMs: CLIENT_DEADLINE_MS });
    await sleep(1500);
    const rssDuring = rssMb(gatewayPid);
    const results = await load.stop();
    let received = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      received += (next.value as Buffer).length;
      await sleep(1);
    }
    expect(received).toBeGreaterThan(0);
    expect(rssDuring - rssBefore).toBeLessThan(64);
    expect(results.length).toBeGreaterThan(10);
    expect(results.every((r) => r.status === 200)).toBe(true);
  }, 60_000);
});

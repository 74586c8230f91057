import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, request } from 'undici';
import { call } from '../support/http.js';
import { COLLECT_GARBAGE_ON_SIGNAL, liveHeapMb } from '../support/metrics.js';
import { spawnApp, spawnAttachedController, type SpawnedApp } from '../support/spawn-app.js';
import { fuzzRequest, seeded } from './requests.js';

/**
 * Every endpoint of every service (read from its own /openapi.json) gets 1,000 generated malformed
 * requests with a fixed seed. Nothing may answer 500 (an unhandled error), no process may die,
 * and each service must still be healthy afterwards. 502/503/504 are allowed: a fuzzed request
 * that happens to be valid can point a service at a dead peer (e.g. `configure_backend` to
 * 127.0.0.1:1), and then saying "upstream unavailable" is the right answer.
 */
const ADMIN = 'fuzz-admin-key';
const REQUESTS_PER_SERVICE = 1000;
const CONCURRENCY = 8;
/** The first requests run one at a time, each between two snapshots of the service's state. */
const STATE_CHECKED = 200;
const SEED = 20261127;

/** Endpoints that stop the process; fuzzed separately below without the admin key. */
const NEVER_WITH_ADMIN = new Set(['/shutdown']);

interface Outcome {
  statuses: Record<number, number>;
  serverErrors: string[];
  timeouts: number;
  /** Rejected requests (4xx) after which the service's state was not what it was before. */
  stateChanges: string[];
  /** The live heap (MiB) before and after the run. */
  liveHeap: { before: number; after: number };
}

/** A service's observable state, as a string: what a rejected request must leave untouched. */
type Snapshot = () => Promise<string>;

async function getJson(url: string): Promise<unknown> {
  return (await call('GET', url, { token: ADMIN })).json;
}

/** Drops the fields that change on their own (load counters, clocks). */
function stable(value: unknown, volatile: string[]): unknown {
  return JSON.parse(JSON.stringify(value ?? null, (key, v: unknown) => (volatile.includes(key) ? undefined : v)));
}

async function operationsOf(app: SpawnedApp): Promise<{ method: string; path: string }[]> {
  const doc = (await call('GET', `${app.url}/openapi.json`)).json as { paths: Record<string, Record<string, unknown>> };
  const ops: { method: string; path: string }[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (NEVER_WITH_ADMIN.has(path)) continue;
    for (const method of Object.keys(methods)) ops.push({ method: method.toUpperCase(), path });
  }
  expect(ops.length).toBeGreaterThan(3);
  return ops;
}

async function fuzz(
  app: SpawnedApp,
  seed: number,
  otherKeys: string[],
  snapshot: Snapshot,
  restore?: (path: string) => Promise<void>,
): Promise<Outcome> {
  const random = seeded(seed);
  const operations = await operationsOf(app);
  const heap = () => liveHeapMb([{ pid: app.process.pid!, url: app.url }]).then(([mb]) => mb);
  const outcome: Outcome = {
    statuses: {},
    serverErrors: [],
    timeouts: 0,
    stateChanges: [],
    liveHeap: { before: await heap(), after: 0 },
  };
  // Its own connections, closed at the end: a request the server answered early (401 before a
  // 70 MiB body) leaves a half-read connection that would otherwise hold the server's shutdown.
  const dispatcher = new Agent();
  let sent = 0;
  const worker = async (checkState: boolean): Promise<void> => {
    while (sent < (checkState ? STATE_CHECKED : REQUESTS_PER_SERVICE)) {
      sent++;
      const before = checkState ? await snapshot() : '';
      // Generated one at a time, in order: the same seed gives the same sequence.
      const r = fuzzRequest(random, operations, { admin: ADMIN, others: otherKeys });
      try {
        const res = await request(`${app.url}${r.path}`, {
          method: r.method as 'POST',
          dispatcher,
          headers: r.headers,
          body: r.body,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
          // An endpoint that streams forever (the router's /pins/events) ends here.
          signal: AbortSignal.timeout(5_000),
        });
        const text = await res.body.text();
        outcome.statuses[res.statusCode] = (outcome.statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode === 500 || res.statusCode > 504)
          outcome.serverErrors.push(`${r.method} ${r.path.slice(0, 80)} → ${res.statusCode} ${text.slice(0, 200)}`);
        if (res.statusCode < 300 && restore) await restore(r.path);
        if (checkState && res.statusCode >= 400 && res.statusCode < 500) {
          const after = await snapshot();
          if (after !== before)
            outcome.stateChanges.push(`${r.method} ${r.path.slice(0, 80)} → ${res.statusCode}: ${before} ⇒ ${after}`);
        }
      } catch (err) {
        const code = (err as { code?: string }).code;
        const name = (err as { name?: string }).name;
        if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || name === 'TimeoutError')
          outcome.timeouts++;
        // A server that refuses an oversized body answers 413 and closes while the client is
        // still writing: the client sees EPIPE or a reset. The health check afterwards decides.
        else if (!['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'].includes(code ?? ''))
          outcome.serverErrors.push(`${r.method} ${r.path.slice(0, 80)} → ${String(err)}`);
      }
    }
  };
  await worker(true);
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(false)));
  await dispatcher.destroy();
  outcome.liveHeap.after = await heap();
  return outcome;
}

async function expectSurvived(app: SpawnedApp, outcome: Outcome): Promise<void> {
  process.stdout.write(`fuzz ${app.name}: ${JSON.stringify(outcome.statuses)}, ${outcome.timeouts} timeouts\n`);
  expect(outcome.serverErrors).toEqual([]);
  expect(outcome.stateChanges).toEqual([]);
  // Memory flat: the live heap after the run (a full collection's leftover) is not far above the
  // one before it. A leak of 16 KB per request would add 16 MB over the run; the state valid
  // fuzzed requests create (sessions, registered models) took 0.2–1.6 MB.
  const { before, after } = outcome.liveHeap;
  process.stdout.write(`fuzz ${app.name}: live heap ${before.toFixed(1)} → ${after.toFixed(1)} MB\n`);
  expect([app.name, before, after - before < 16]).toEqual([app.name, before, true]);
  expect(app.process.exitCode).toBeNull();
  expect((await call('GET', `${app.url}/health`)).status).toBe(200);
  const total = Object.values(outcome.statuses).reduce((a, b) => a + b, 0) + outcome.timeouts;
  expect(total).toBeGreaterThan(REQUESTS_PER_SERVICE * 0.9);
}

describe('fuzz: 1,000 malformed requests per service, fixed seed', () => {
  let engine: SpawnedApp;
  let proxy: SpawnedApp;
  let router: SpawnedApp;
  let gateway: SpawnedApp;
  let controller: SpawnedApp;
  let sessionKey: string;
  const admin = { authorization: `Bearer ${ADMIN}` };

  // A fuzzed request that happens to be valid may pause or offload a service: undo it at once so
  // the rest of the run still reaches every code path.
  const undo = (base: () => string, pairs: [string, string][]) => async (path: string) => {
    for (const [done, undoPath] of pairs) {
      if (path.startsWith(done)) await call('POST', `${base()}${undoPath}`, { body: {}, token: ADMIN });
    }
  };

  beforeAll(async () => {
    // SIGUSR2 makes each collect its garbage in full, for the live-heap check.
    const options = { env: COLLECT_GARBAGE_ON_SIGNAL };
    engine = await spawnApp('engine-sim', ['--decode-ms-per-token', '0', '--max-output-tokens', '16'], options);
    proxy = await spawnApp('data-proxy', ['--admin-api-key', ADMIN, '--backend-addr', engine.url], options);
    router = await spawnApp('router', ['--admin-api-key', ADMIN, '--poll-interval', '0.5'], options);
    gateway = await spawnApp('gateway', ['--admin-api-key', ADMIN, '--router-addr', router.url], options);
    await call('POST', `${router.url}/register`, { body: { worker_addr: proxy.url }, token: ADMIN });
    const session = await call('POST', `${proxy.url}/rl/start_session`, { body: { task_id: 'fuzz' }, token: ADMIN });
    sessionKey = session.json.api_key as string;
    controller = await spawnAttachedController(ADMIN, { gateway, router, dataProxies: [proxy] }, options);
  }, 60_000);

  afterAll(async () => {
    for (const app of [controller, gateway, router, proxy, engine]) await app?.stop();
  });

  const routerState = async (): Promise<string> => {
    const workers = (await getJson(`${router.url}/workers`)) as { workers?: { worker_id: string; addr: string }[] };
    return JSON.stringify([
      workers.workers?.map((w) => [w.worker_id, w.addr]),
      await getJson(`${router.url}/models`),
      await getJson(`${router.url}/capacity`),
    ]);
  };
  const proxyState = async (): Promise<string> =>
    JSON.stringify([
      stable(await getJson(`${proxy.url}/health`), ['active_requests']),
      stable(await getJson(`${proxy.url}/rl/sessions/fuzz-0`), ['last_access']),
    ]);

  it('engine-sim', async () => {
    const restore = undo(
      () => engine.url,
      [
        ['/pause_generation', '/continue_generation'],
        ['/areal_pause_generation', '/areal_continue_generation'],
        ['/release_memory_occupation', '/resume_memory_occupation'],
        ['/sleep', '/wake_up'],
      ],
    );
    const snapshot = async () =>
      JSON.stringify([
        stable(await getJson(`${engine.url}/get_server_info`), ['running_requests', 'waiting_requests']),
        await getJson(`${engine.url}/get_weight_version`),
      ]);
    await expectSurvived(engine, await fuzz(engine, SEED, ['x'], snapshot, restore));
  }, 180_000);

  it('router', async () => {
    await expectSurvived(router, await fuzz(router, SEED + 1, [sessionKey, 'wrong'], routerState));
  }, 180_000);

  it('data proxy', async () => {
    const restore = async (path: string): Promise<void> => {
      await undo(
        () => proxy.url,
        [
          ['/pause_generation', '/continue_generation'],
          ['/release_memory_occupation', '/resume_memory_occupation'],
        ],
      )(path);
      if (path.startsWith('/configure_backend'))
        await call('POST', `${proxy.url}/configure_backend`, { body: { backend_addr: engine.url }, token: ADMIN });
    };
    await expectSurvived(proxy, await fuzz(proxy, SEED + 2, [sessionKey, 'wrong'], proxyState, restore));
  }, 180_000);

  it('gateway', async () => {
    const restore = async (path: string): Promise<void> => {
      const [, op, id] = path.split('/');
      if (op === 'pause_generation' || op === 'release_memory_occupation') {
        const back = op === 'pause_generation' ? 'continue_generation' : 'resume_memory_occupation';
        await call('POST', `${gateway.url}/${back}/${id}`, { body: {}, token: ADMIN });
      }
      // A fuzzed unregister can drop the data proxy: put it back.
      await call('POST', `${router.url}/register`, { body: { worker_addr: proxy.url }, token: ADMIN });
    };
    const snapshot = async () => `${await routerState()} ${await proxyState()}`;
    await expectSurvived(gateway, await fuzz(gateway, SEED + 3, [sessionKey, 'wrong'], snapshot, restore));
  }, 180_000);

  it('controller (attach mode), /shutdown only without the admin key', async () => {
    const restore = undo(
      () => controller.url,
      [
        ['/pause', '/continue'],
        ['/offload', '/onload'],
      ],
    );
    const snapshot = async () => {
      const status = (await getJson(`${controller.url}/status`)) as Record<string, unknown>;
      return JSON.stringify([
        [status.version, status.paused, status.offloaded, status.ready_queue],
        stable(await getJson(`${controller.url}/rollout/status`), ['capacity']),
        stable(await getJson(`${controller.url}/capacity`), ['router_permits']),
      ]);
    };
    await expectSurvived(controller, await fuzz(controller, SEED + 4, [sessionKey, 'wrong'], snapshot, restore));
    for (const token of [null, 'wrong', sessionKey]) {
      expect((await call('POST', `${controller.url}/shutdown`, { token })).status).toBeGreaterThanOrEqual(401);
    }
    expect(controller.process.exitCode).toBeNull();
    void admin;
  }, 180_000);
});

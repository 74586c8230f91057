// The whole path gateway → router → data proxy → engine-sim (0 ms per token, 64-token answers),
// started for the scenarios that compare agent APIs on it (apis, generate): one place for the
// flags, the registration and the per-API sessions, so both scenarios measure the same stack.
import { processStats, runClient, startService } from './processes.mjs';

/**
 * Starts the four services (`proxyArgs`: extra data-proxy flags) and registers the data proxy
 * with the router. `startSession(task)`
 * grants one capacity permit and starts a session through the gateway (its JSON answer, with
 * the session's `api_key`); `stop()` stops the services, gateway first.
 */
export async function startWholePath(adminKey, { proxyArgs = [] } = {}) {
  const engine = await startService('engine-sim', [
    '--decode-ms-per-token',
    '0',
    '--prefill-us-per-token',
    '0',
    '--min-output-tokens',
    '64',
    '--max-output-tokens',
    '64',
    '--max-running',
    '1024',
  ]);
  const proxy = await startService('data-proxy', [
    '--admin-api-key',
    adminKey,
    '--backend-addr',
    engine.url,
    ...proxyArgs,
  ]);
  const router = await startService('router', ['--admin-api-key', adminKey, '--poll-interval', '60']);
  const gateway = await startService('gateway', ['--admin-api-key', adminKey, '--router-addr', router.url]);
  const stop = async () => {
    await gateway.stop();
    await router.stop();
    await proxy.stop();
    await engine.stop();
  };
  const admin = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  try {
    await fetch(`${router.url}/register`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ worker_addr: proxy.url }),
    }).then((r) => r.arrayBuffer());
  } catch (error) {
    await stop();
    throw error;
  }
  const startSession = async (task) => {
    await fetch(`${router.url}/grant_capacity`, { method: 'POST', headers: admin }).then((r) => r.arrayBuffer());
    return fetch(`${gateway.url}/rl/start_session`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ task_id: task }),
    }).then((r) => r.json());
  };
  return { engine, proxy, router, gateway, startSession, stop };
}

export const BENCH_ADMIN_KEY = 'bench-admin-key';
export const SYSTEM_PROMPT = 'You are a helpful assistant.';
const WORDS = 'reinforcement learning agents run many episodes while a trainer updates weights underneath them';
/** The ≈200-token question of the whole-path scenarios. */
export const QUESTION = Array.from({ length: 14 }, () => WORDS).join(' ');

/** The turn as a chat completion: system prompt, `question`, 32-token answer. */
export function chatTurn(question) {
  return {
    path: '/v1/chat/completions',
    body: {
      model: 'sim',
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: question },
      ],
      max_completion_tokens: 32,
    },
  };
}

/**
 * Each of `turns` ({ path, body } by name) through the gateway of a whole path started for them, in
 * a session of its own, at 32 connections: all warmed up (JIT) before any is measured, else the
 * first pays for it. By name: the load's figures and the CPU per request of each process.
 */
export async function measureTurns(turns, { quick }) {
  const path = await startWholePath(BENCH_ADMIN_KEY);
  const processes = { gateway: path.gateway, router: path.router, proxy: path.proxy, engine: path.engine };
  const load = async ({ path: url, body }, task, durationS) => {
    const session = await path.startSession(task);
    return runClient('http-load.mjs', {
      url: `${path.gateway.url}${url}`,
      headers: { authorization: `Bearer ${session.api_key}` },
      body,
      connections: 32,
      durationS,
      vary: true,
    });
  };
  try {
    for (const [name, turn] of Object.entries(turns)) await load(turn, `warm-${name}`, quick ? 0.5 : 3);
    const results = {};
    for (const [name, turn] of Object.entries(turns)) {
      const before = Object.fromEntries(Object.entries(processes).map(([n, p]) => [n, processStats(p.pid)]));
      const measured = await load(turn, `bench-${name}`, quick ? 2 : 10);
      const cpu = Object.fromEntries(
        Object.entries(processes).map(([n, p]) => [
          n,
          (processStats(p.pid).cpuUs - before[n].cpuUs) / measured.requests,
        ]),
      );
      results[name] = { load: measured, cpu };
    }
    return results;
  } finally {
    await path.stop();
  }
}

/** Checks that every turn of `results` was served, with no non-2xx answer and no error. */
export function checkAllServed(report, results) {
  const loads = Object.values(results).map((result) => result.load);
  const failures = loads.reduce((n, load) => n + load.non2xx + load.errors, 0);
  report.check('non-2xx and errors', failures, failures === 0 && loads.every((load) => load.requests > 0));
}

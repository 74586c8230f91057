// router: POST /route for a pinned session key, the call the gateway makes on every chat turn.
import { processStats, runClient, startService } from '../lib/processes.mjs';

export const description = 'router: /route throughput at 32 connections and latency at 1 connection';

const ADMIN = 'bench-admin-key';

export async function run({ quick, report }) {
  const router = await startService('router', ['--admin-api-key', ADMIN, '--poll-interval', '60']);
  const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  const post = (path, body) => fetch(`${router.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  try {
    for (let i = 0; i < 4; i++) await post('/register', { worker_addr: `http://127.0.0.1:${20000 + i}` });
    await post('/grant_capacity');
    await post('/register_session', {
      session_api_key: 'bench-session-key',
      session_id: 'bench-0',
      worker_addr: 'http://127.0.0.1:20000',
    });
    const durationS = quick ? 2 : 10;
    const load = {
      url: `${router.url}/route`,
      headers,
      body: { api_key: 'bench-session-key', path: '/chat/completions' },
      durationS,
    };
    const before = processStats(router.pid);
    const wide = await runClient('http-load.mjs', { ...load, connections: 32 });
    const after = processStats(router.pid);
    const single = await runClient('http-load.mjs', { ...load, connections: 1 });
    const cpuPerRequest = (after.cpuUs - before.cpuUs) / wide.requests;
    report.figure('req/s at 32 connections', wide.rps.toFixed(0));
    report.figure('p50 / p99 at 32 connections (ms)', `${wide.latencyP50Ms} / ${wide.latencyP99Ms}`);
    report.figure('p50 / p99 at 1 connection (ms)', `${single.latencyP50Ms} / ${single.latencyP99Ms}`);
    report.figure('router CPU per request (µs)', cpuPerRequest.toFixed(0));
    const failures = wide.non2xx + single.non2xx + wide.errors + single.errors;
    report.check('non-2xx and errors', failures, failures === 0 && wide.requests > 0);
    return { wide, single, routerCpuUsPerRequest: cpuPerRequest, routerRssBytes: after.rssBytes };
  } finally {
    await router.stop();
  }
}

// edge: gateway + router in front of the stub data proxy, against the stub direct, in one run
// (docs/BENCHMARKS.md, edge): throughput at 32 connections, latency at 1 connection.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { processStats, runClient, startService } from '../lib/processes.mjs';

export const description = 'gateway + router → stub data proxy, vs the stub direct';

const ADMIN = 'bench-admin-key';
const CHAT = { model: 'stub', messages: [{ role: 'user', content: 'Hello' }] };

function startStub() {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../stub-data-proxy.mjs', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      const { port } = JSON.parse(line);
      resolve({
        url: `http://127.0.0.1:${port}`,
        pid: child.pid,
        stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
      });
    });
    child.once('exit', (code) => reject(new Error(`stub exited with ${code}`)));
  });
}

export async function run({ quick }) {
  const stub = await startStub();
  const router = await startService('router', ['--admin-api-key', ADMIN, '--poll-interval', '60']);
  const gateway = await startService('gateway', ['--admin-api-key', ADMIN, '--router-addr', router.url]);
  const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  try {
    await fetch(`${router.url}/register`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ worker_addr: stub.url }),
    });
    await fetch(`${router.url}/grant_capacity`, { method: 'POST', headers: admin });
    await fetch(`${router.url}/register_session`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ session_api_key: 'bench-session', session_id: 'bench-0', worker_addr: stub.url }),
    });
    const session = { authorization: 'Bearer bench-session' };
    const durationS = quick ? 2 : 10;
    const count = quick ? 500 : 3000;

    const directWide = await runClient('http-load.mjs', {
      url: `${stub.url}/chat/completions`,
      body: CHAT,
      connections: 32,
      durationS,
    });
    const before = { gateway: processStats(gateway.pid), router: processStats(router.pid) };
    const edgeWide = await runClient('http-load.mjs', {
      url: `${gateway.url}/v1/chat/completions`,
      body: CHAT,
      headers: session,
      connections: 32,
      durationS,
    });
    const after = { gateway: processStats(gateway.pid), router: processStats(router.pid) };
    const directOne = await runClient('latency.mjs', {
      url: `${stub.url}/chat/completions`,
      body: CHAT,
      count,
      warmup: 200,
    });
    const edgeOne = await runClient('latency.mjs', {
      url: `${gateway.url}/v1/chat/completions`,
      body: CHAT,
      headers: session,
      count,
      warmup: 200,
    });
    const ratio = edgeWide.rps / directWide.rps;
    const addedP50 = (edgeOne.p50Us - directOne.p50Us) / 1000;
    const addedP99 = (edgeOne.p99Us - directOne.p99Us) / 1000;
    return {
      rows: [
        ['stub direct req/s (32 conn)', directWide.rps.toFixed(0)],
        ['gateway+router req/s (32 conn)', edgeWide.rps.toFixed(0)],
        ['ratio (bar ≥ 10 %, goal ≥ 20 %)', `${(ratio * 100).toFixed(1)} %`],
        [
          'stub direct p50 / p99 at 1 conn (ms)',
          `${(directOne.p50Us / 1000).toFixed(3)} / ${(directOne.p99Us / 1000).toFixed(3)}`,
        ],
        [
          'gateway+router p50 / p99 at 1 conn (ms)',
          `${(edgeOne.p50Us / 1000).toFixed(3)} / ${(edgeOne.p99Us / 1000).toFixed(3)}`,
        ],
        ['added p50 / p99 (bar ≤ 0.5 / 2 ms)', `${addedP50.toFixed(3)} / ${addedP99.toFixed(3)}`],
        ['gateway CPU per request (µs)', ((after.gateway.cpuUs - before.gateway.cpuUs) / edgeWide.requests).toFixed(0)],
        ['router CPU per request (µs)', ((after.router.cpuUs - before.router.cpuUs) / edgeWide.requests).toFixed(0)],
        ['gateway RSS (MB)', (after.gateway.rssBytes / 1e6).toFixed(0)],
        ['non-2xx / errors', `${edgeWide.non2xx + edgeOne.errors} / ${edgeWide.errors}`],
      ],
      result: { directWide, edgeWide, directOne, edgeOne, ratio, addedP50Ms: addedP50, addedP99Ms: addedP99 },
      ok: edgeWide.non2xx + edgeWide.errors + edgeOne.errors === 0 && edgeWide.requests > 0,
    };
  } finally {
    await gateway.stop();
    await router.stop();
    await stub.stop();
  }
}

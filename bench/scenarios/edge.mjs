// edge: gateway + router in front of the stub data proxy, against the stub direct, in one run
// (docs/BENCHMARKS.md, edge): throughput at 32 connections, latency at 1 connection.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EXIT_WITH_STDIN, spawnOwned, stopChild } from '../../scripts/lib/child-processes.mjs';
import { processStats, runClient, startService } from '../lib/processes.mjs';

export const description = 'gateway + router → stub data proxy, vs the stub direct';

const ADMIN = 'bench-admin-key';
const CHAT = { model: 'stub', messages: [{ role: 'user', content: 'Hello' }] };

function startStub() {
  const child = spawnOwned(
    process.execPath,
    [fileURLToPath(new URL('../stub-data-proxy.mjs', import.meta.url)), EXIT_WITH_STDIN],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      const { port } = JSON.parse(line);
      resolve({
        url: `http://127.0.0.1:${port}`,
        pid: child.pid,
        stop: () => stopChild(child),
      });
    });
    child.once('exit', (code) => reject(new Error(`stub exited with ${code}`)));
  });
}

export async function run({ quick, report }) {
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
    const ratio = (edgeWide.rps / directWide.rps) * 100;
    const addedP50 = (edgeOne.p50Us - directOne.p50Us) / 1000;
    const addedP99 = (edgeOne.p99Us - directOne.p99Us) / 1000;
    const ms = (us) => (us / 1000).toFixed(3);
    report.figure('stub direct req/s (32 conn)', directWide.rps.toFixed(0));
    report.figure('gateway+router req/s (32 conn)', edgeWide.rps.toFixed(0));
    report.bar("gateway+router share of the stub's req/s", ratio, { atLeast: 10, goal: 20, unit: '%', digits: 1 });
    report.figure('stub direct p50 / p99 at 1 conn (ms)', `${ms(directOne.p50Us)} / ${ms(directOne.p99Us)}`);
    report.figure('gateway+router p50 / p99 at 1 conn (ms)', `${ms(edgeOne.p50Us)} / ${ms(edgeOne.p99Us)}`);
    report.bar('added p50 at 1 conn', addedP50, { atMost: 0.5, goal: 0.3, unit: 'ms', digits: 3 });
    report.bar('added p99 at 1 conn', addedP99, { atMost: 2, unit: 'ms', digits: 3 });
    report.figure(
      'gateway CPU per request (µs)',
      ((after.gateway.cpuUs - before.gateway.cpuUs) / edgeWide.requests).toFixed(0),
    );
    report.figure(
      'router CPU per request (µs)',
      ((after.router.cpuUs - before.router.cpuUs) / edgeWide.requests).toFixed(0),
    );
    report.figure('gateway RSS (MB)', (after.gateway.rssBytes / 1e6).toFixed(0));
    const failures = edgeWide.non2xx + edgeWide.errors + edgeOne.errors;
    report.check('non-2xx and errors through the gateway', failures, failures === 0 && edgeWide.requests > 0);
    return { directWide, edgeWide, directOne, edgeOne, ratio: ratio / 100, addedP50Ms: addedP50, addedP99Ms: addedP99 };
  } finally {
    await gateway.stop();
    await router.stop();
    await stub.stop();
  }
}

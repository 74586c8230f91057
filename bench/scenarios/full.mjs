// full: a short non-streaming chat (≈200-token prompt, 32-token answer) to engine-sim at zero
// simulated latency, three ways in one run: engine-sim direct, data proxy → engine, and the whole
// path gateway → router → data proxy → engine with a session key (docs/BENCHMARKS.md, full).
// CPU time per request of every process on the whole path.
import { processStats, runClient } from '../lib/processes.mjs';
import { BENCH_ADMIN_KEY, chatTurn, QUESTION, startWholePath } from '../lib/whole-path.mjs';

export const description =
  'gateway → router → data proxy → engine-sim (0 ms), and data proxy → engine, vs engine direct; 200-token prompt, 32-token answer';

const PATH = ['gateway', 'router', 'proxy', 'engine'];

export async function run({ quick, report }) {
  // BENCH_DATA_PROXY_ARGS adds data-proxy flags (e.g. "--state-dir /tmp/x" to measure the journal).
  const proxyArgs = (process.env.BENCH_DATA_PROXY_ARGS ?? '').split(/\s+/).filter(Boolean);
  const path = await startWholePath(BENCH_ADMIN_KEY, { proxyArgs });
  const { engine, proxy, router, gateway } = path;
  try {
    const session = await path.startSession('bench');
    const content = QUESTION;
    // Each request's user turn is new ({{n}} varies), so nothing about it is cached; the system
    // prompt repeats, as it does across an RL batch.
    const chatBody = { ...chatTurn(`Episode {{n}}: ${content}`).body, temperature: 1 };
    // The same prompt as ids, for the engine-direct baseline.
    const prompt = await fetch(`${engine.url}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: content, sampling_params: { max_new_tokens: 0 } }),
    }).then((r) => r.json());
    const durationS = quick ? 2 : 10;
    const direct = await runClient('http-load.mjs', {
      url: `${engine.url}/generate`,
      body: { text: content, sampling_params: { max_new_tokens: 32 }, return_logprob: true },
      connections: 32,
      durationS,
    });
    const before = { proxy: processStats(proxy.pid), engine: processStats(engine.pid) };
    const through = await runClient('http-load.mjs', {
      url: `${proxy.url}/chat/completions`,
      body: chatBody,
      connections: 32,
      durationS,
      vary: true,
    });
    const after = { proxy: processStats(proxy.pid), engine: processStats(engine.pid) };
    const single = await runClient('http-load.mjs', {
      url: `${proxy.url}/chat/completions`,
      body: chatBody,
      connections: 1,
      durationS: quick ? 1 : 5,
      vary: true,
    });
    const statsOfPath = () => ({
      gateway: processStats(gateway.pid),
      router: processStats(router.pid),
      proxy: processStats(proxy.pid),
      engine: processStats(engine.pid),
    });
    const pathBefore = statsOfPath();
    const whole = await runClient('http-load.mjs', {
      url: `${gateway.url}/v1/chat/completions`,
      headers: { authorization: `Bearer ${session.api_key}` },
      body: chatBody,
      connections: 32,
      durationS,
      vary: true,
    });
    const pathAfter = statsOfPath();
    const perRequest = (name) => (pathAfter[name].cpuUs - pathBefore[name].cpuUs) / whole.requests;
    const proxyCpu = (after.proxy.cpuUs - before.proxy.cpuUs) / through.requests;
    const engineCpu = (after.engine.cpuUs - before.engine.cpuUs) / through.requests;
    const pct = (n) => `${(n * 100).toFixed(0)} %`;
    report.figure('prompt tokens (approx.)', String(prompt?.meta_info?.prompt_tokens ?? '?'));
    report.figure('engine direct req/s (32 conn)', direct.rps.toFixed(0));
    report.figure('data proxy → engine req/s (32 conn)', through.rps.toFixed(0));
    report.figure('ratio', pct(through.rps / direct.rps));
    report.figure('p50 / p99 at 32 conn (ms)', `${through.latencyP50Ms} / ${through.latencyP99Ms}`);
    report.figure('p50 / p99 at 1 conn (ms)', `${single.latencyP50Ms} / ${single.latencyP99Ms}`);
    report.bar('data proxy CPU per request', proxyCpu, { atMost: 800, goal: 400, unit: 'µs', digits: 0 });
    report.figure('engine CPU per request (µs)', engineCpu.toFixed(0));
    report.figure('data proxy RSS (MB)', (after.proxy.rssBytes / 1e6).toFixed(0));
    report.figure('gateway → … → engine req/s (32 conn, session key)', whole.rps.toFixed(0));
    report.figure('whole path vs engine direct', pct(whole.rps / direct.rps));
    report.figure('whole path p50 / p99 at 32 conn (ms)', `${whole.latencyP50Ms} / ${whole.latencyP99Ms}`);
    report.figure(
      'CPU per request on the whole path: gateway / router / data proxy / engine (µs)',
      PATH.map((n) => perRequest(n).toFixed(0)).join(' / '),
    );
    const failures = through.non2xx + direct.non2xx + whole.non2xx + through.errors + direct.errors + whole.errors;
    report.check('non-2xx and errors', failures, failures === 0 && through.requests > 0 && whole.requests > 0);
    return {
      direct,
      through,
      single,
      dataProxyCpuUsPerRequest: proxyCpu,
      engineCpuUsPerRequest: engineCpu,
      dataProxyRssBytes: after.proxy.rssBytes,
      wholePath: whole,
      wholePathCpuUsPerRequest: Object.fromEntries(PATH.map((n) => [n, perRequest(n)])),
    };
  } finally {
    await path.stop();
  }
}

// full: a short non-streaming chat (≈200-token prompt, 32-token answer) through the data proxy to
// engine-sim at zero simulated latency, against engine-sim direct in the same run. The gateway and
// router join this path when they land (PERFORMANCE.md scenario 2).
import { processStats, runClient, startService } from '../lib/processes.mjs';

export const description = 'data proxy → engine-sim (0 ms), 200-token prompt, 32-token answer, vs engine direct';

const PROMPT_WORDS = 'reinforcement learning agents run many episodes while a trainer updates weights underneath them';

export async function run({ quick }) {
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
  const proxy = await startService('data-proxy', ['--backend-addr', engine.url]);
  try {
    const content = Array.from({ length: 14 }, () => PROMPT_WORDS).join(' ');
    // Each request's user turn is new ({{n}} varies), so nothing about it is cached; the system
    // prompt repeats, as it does across an RL batch.
    const chatBody = {
      model: 'sim',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: `Episode {{n}}: ${content}` },
      ],
      max_completion_tokens: 32,
      temperature: 1,
    };
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
    const proxyCpu = (after.proxy.cpuUs - before.proxy.cpuUs) / through.requests;
    const engineCpu = (after.engine.cpuUs - before.engine.cpuUs) / through.requests;
    return {
      rows: [
        ['prompt tokens (approx.)', String(prompt?.meta_info?.prompt_tokens ?? '?')],
        ['engine direct req/s (32 conn)', direct.rps.toFixed(0)],
        ['data proxy → engine req/s (32 conn)', through.rps.toFixed(0)],
        ['ratio', `${((through.rps / direct.rps) * 100).toFixed(0)} %`],
        ['p50 / p99 at 32 conn (ms)', `${through.latencyP50Ms} / ${through.latencyP99Ms}`],
        ['p50 / p99 at 1 conn (ms)', `${single.latencyP50Ms} / ${single.latencyP99Ms}`],
        ['data proxy CPU per request (µs)', proxyCpu.toFixed(0)],
        ['engine CPU per request (µs)', engineCpu.toFixed(0)],
        ['data proxy RSS (MB)', (after.proxy.rssBytes / 1e6).toFixed(0)],
        ['non-2xx / errors', `${through.non2xx + direct.non2xx} / ${through.errors + direct.errors}`],
      ],
      result: {
        direct,
        through,
        single,
        dataProxyCpuUsPerRequest: proxyCpu,
        engineCpuUsPerRequest: engineCpu,
        dataProxyRssBytes: after.proxy.rssBytes,
      },
      ok: through.non2xx + direct.non2xx + through.errors + direct.errors === 0 && through.requests > 0,
    };
  } finally {
    await proxy.stop();
    await engine.stop();
  }
}

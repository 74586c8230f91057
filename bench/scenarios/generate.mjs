// generate: SGLang's token-level /generate (≈200 prompt ids, 32 new tokens, log-probs on, a fresh
// rid each time) through the whole path gateway → router → data proxy → engine-sim (0 ms), beside
// the same turn as a chat completion. The bar: /generate's CPU per request within 10 % of
// chat's (gateway and data proxy; docs/BENCHMARKS.md, generate).
import { HfTokenizer } from '../../dist/libs/tokenizer/src/index.js';
import { processStats, runClient } from '../lib/processes.mjs';
import { startWholePath } from '../lib/whole-path.mjs';

export const description =
  "one turn as SGLang's /generate (token ids in and out) and as chat, through gateway → router → data proxy → engine-sim; CPU per request vs chat";

const ADMIN = 'bench-admin-key';
const SYSTEM = 'You are a helpful assistant.';
const WORDS = 'reinforcement learning agents run many episodes while a trainer updates weights underneath them';

export async function run({ quick, report }) {
  const tokenizer = await HfTokenizer.load();
  const question = Array.from({ length: 14 }, () => WORDS).join(' ');
  const promptIds = await tokenizer.encode(`${SYSTEM}\n\n${question}`);
  const turns = {
    chat: {
      path: '/v1/chat/completions',
      body: {
        model: 'sim',
        messages: [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: `Episode {{n}}: ${question}` },
        ],
        max_completion_tokens: 32,
      },
    },
    generate: {
      path: '/generate',
      // A trainer's request: its own ids, SGLang's sampling params, log-probs on; every rid new.
      body: {
        input_ids: promptIds,
        sampling_params: { max_new_tokens: 32, temperature: 1, top_p: 1 },
        return_logprob: true,
        rid: 'bench-{{n}}',
      },
    },
  };
  const { engine, proxy, router, gateway, startSession, stop } = await startWholePath(ADMIN);
  try {
    const load = async (api, task, durationS) => {
      const session = await startSession(task);
      return runClient('http-load.mjs', {
        url: `${gateway.url}${turns[api].path}`,
        headers: { authorization: `Bearer ${session.api_key}` },
        body: turns[api].body,
        connections: 32,
        durationS,
        vary: true,
      });
    };
    // Both code paths warmed up (JIT) before either is measured.
    for (const api of Object.keys(turns)) await load(api, `warm-${api}`, quick ? 0.5 : 3);
    const results = {};
    for (const api of Object.keys(turns)) {
      const processes = { gateway, router, proxy, engine };
      const before = Object.fromEntries(Object.entries(processes).map(([n, p]) => [n, processStats(p.pid)]));
      const measured = await load(api, `bench-${api}`, quick ? 2 : 10);
      const cpu = Object.fromEntries(
        Object.entries(processes).map(([n, p]) => [
          n,
          (processStats(p.pid).cpuUs - before[n].cpuUs) / measured.requests,
        ]),
      );
      results[api] = { load: measured, cpuUsPerRequest: cpu };
    }
    const chat = results.chat.cpuUsPerRequest;
    for (const [api, { load: measured, cpuUsPerRequest: cpu }] of Object.entries(results))
      report.figure(
        `${api}: req/s · CPU per request gateway / data proxy (µs)`,
        `${measured.rps.toFixed(0)} · ${cpu.gateway.toFixed(0)} / ${cpu.proxy.toFixed(0)}`,
      );
    const ours = results.generate.cpuUsPerRequest;
    for (const [key, name] of [
      ['gateway', 'gateway'],
      ['proxy', 'data proxy'],
    ])
      report.bar(`generate: ${name} CPU per request vs chat's`, (ours[key] / chat[key]) * 100, {
        atMost: 110,
        goal: 100,
        unit: '%',
        digits: 0,
      });
    const failures = Object.values(results).reduce((n, { load: measured }) => n + measured.non2xx + measured.errors, 0);
    report.check(
      'non-2xx and errors',
      failures,
      failures === 0 && Object.values(results).every(({ load: measured }) => measured.requests > 0),
    );
    return results;
  } finally {
    await stop();
  }
}

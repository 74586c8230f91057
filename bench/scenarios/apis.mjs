// apis: the same agent turn (system prompt, ≈200-token question, 32-token answer, non-streaming)
// through the whole path gateway → router → data proxy → engine-sim (0 ms) in each agent API:
// Chat Completions, Responses, Anthropic Messages, legacy completions. The bar: each API's CPU
// per turn within 15 % of chat's, on the gateway and on the data proxy (docs/BENCHMARKS.md, apis).
import { processStats, runClient } from '../lib/processes.mjs';
import { startWholePath } from '../lib/whole-path.mjs';

export const description =
  'one agent turn in each API (chat, responses, messages, completions) through gateway → router → data proxy → engine-sim; CPU per turn vs chat';

const ADMIN = 'bench-admin-key';
const SYSTEM = 'You are a helpful assistant.';
const WORDS = 'reinforcement learning agents run many episodes while a trainer updates weights underneath them';

/** The turn in each API's shape; `{{n}}` makes every question new. */
function bodies(question) {
  return {
    chat: {
      path: '/v1/chat/completions',
      body: {
        model: 'sim',
        messages: [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: question },
        ],
        max_completion_tokens: 32,
      },
    },
    responses: {
      path: '/v1/responses',
      body: { model: 'sim', instructions: SYSTEM, input: question, max_output_tokens: 32 },
    },
    messages: {
      path: '/v1/messages',
      body: { model: 'sim', system: SYSTEM, messages: [{ role: 'user', content: question }], max_tokens: 32 },
    },
    completions: {
      path: '/v1/completions',
      body: { model: 'sim', prompt: `${SYSTEM}\n\n${question}`, max_tokens: 32 },
    },
  };
}

export async function run({ quick, report }) {
  const { engine, proxy, router, gateway, startSession, stop } = await startWholePath(ADMIN);
  try {
    const question = `Episode {{n}}: ${Array.from({ length: 14 }, () => WORDS).join(' ')}`;
    const turns = Object.entries(bodies(question));
    // Every API's code path warmed up (JIT) before any is measured, else the first one pays for it.
    for (const [api, { path, body }] of turns) {
      const session = await startSession(`warm-${api}`);
      await runClient('http-load.mjs', {
        url: `${gateway.url}${path}`,
        headers: { authorization: `Bearer ${session.api_key}` },
        body,
        connections: 32,
        durationS: quick ? 0.5 : 3,
        vary: true,
      });
    }
    const results = {};
    for (const [api, { path, body }] of turns) {
      const session = await startSession(`bench-${api}`);
      const processes = { gateway, router, proxy, engine };
      const before = Object.fromEntries(Object.entries(processes).map(([n, p]) => [n, processStats(p.pid)]));
      const load = await runClient('http-load.mjs', {
        url: `${gateway.url}${path}`,
        headers: { authorization: `Bearer ${session.api_key}` },
        body,
        connections: 32,
        durationS: quick ? 2 : 10,
        vary: true,
      });
      const cpu = Object.fromEntries(
        Object.entries(processes).map(([n, p]) => [n, (processStats(p.pid).cpuUs - before[n].cpuUs) / load.requests]),
      );
      results[api] = { load, cpuUsPerTurn: cpu };
    }
    const chatCpu = results.chat.cpuUsPerTurn;
    for (const [api, { load, cpuUsPerTurn: cpu }] of Object.entries(results))
      report.figure(
        `${api}: req/s · CPU per turn gateway / data proxy (µs)`,
        `${load.rps.toFixed(0)} · ${cpu.gateway.toFixed(0)} / ${cpu.proxy.toFixed(0)}`,
      );
    for (const [api, { cpuUsPerTurn: cpu }] of Object.entries(results)) {
      if (api === 'chat') continue;
      for (const [key, name] of [
        ['gateway', 'gateway'],
        ['proxy', 'data proxy'],
      ])
        report.bar(`${api}: ${name} CPU per turn vs chat's`, (cpu[key] / chatCpu[key]) * 100, {
          atMost: 115,
          goal: 100,
          unit: '%',
          digits: 0,
        });
    }
    const failures = Object.values(results).reduce((n, { load }) => n + load.non2xx + load.errors, 0);
    report.check(
      'non-2xx and errors',
      failures,
      failures === 0 && Object.values(results).every(({ load }) => load.requests > 0),
    );
    return results;
  } finally {
    await stop();
  }
}

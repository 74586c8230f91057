// apis: the same agent turn (system prompt, ≈200-token question, 32-token answer, non-streaming)
// through the whole path gateway → router → data proxy → engine-sim (0 ms) in each agent API:
// Chat Completions, Responses, Anthropic Messages, legacy completions. The bar: each API's CPU
// per turn within 15 % of chat's, on the gateway and on the data proxy (docs/BENCHMARKS.md, apis).
import { chatTurn, checkAllServed, measureTurns, QUESTION, SYSTEM_PROMPT } from '../lib/whole-path.mjs';

export const description =
  'one agent turn in each API (chat, responses, messages, completions) through gateway → router → data proxy → engine-sim; CPU per turn vs chat';

/** The turn in each API's shape; `{{n}}` makes every question new. */
function bodies(question) {
  return {
    chat: chatTurn(question),
    responses: {
      path: '/v1/responses',
      body: { model: 'sim', instructions: SYSTEM_PROMPT, input: question, max_output_tokens: 32 },
    },
    messages: {
      path: '/v1/messages',
      body: { model: 'sim', system: SYSTEM_PROMPT, messages: [{ role: 'user', content: question }], max_tokens: 32 },
    },
    completions: {
      path: '/v1/completions',
      body: { model: 'sim', prompt: `${SYSTEM_PROMPT}\n\n${question}`, max_tokens: 32 },
    },
  };
}

export async function run({ quick, report }) {
  const measured = await measureTurns(bodies(`Episode {{n}}: ${QUESTION}`), { quick });
  const results = Object.fromEntries(
    Object.entries(measured).map(([api, { load, cpu }]) => [api, { load, cpuUsPerTurn: cpu }]),
  );
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
  checkAllServed(report, results);
  return results;
}

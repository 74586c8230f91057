// generate: SGLang's token-level /generate (≈200 prompt ids, 32 new tokens, log-probs on, a fresh
// rid each time) through the whole path gateway → router → data proxy → engine-sim (0 ms), beside
// the same turn as a chat completion. The bar: /generate's CPU per request within 10 % of
// chat's (gateway and data proxy; docs/BENCHMARKS.md, generate).
import { HfTokenizer } from '../../dist/libs/tokenizer/src/index.js';
import { chatTurn, checkAllServed, measureTurns, QUESTION, SYSTEM_PROMPT } from '../lib/whole-path.mjs';

export const description =
  "one turn as SGLang's /generate (token ids in and out) and as chat, through gateway → router → data proxy → engine-sim; CPU per request vs chat";

export async function run({ quick, report }) {
  const tokenizer = await HfTokenizer.load();
  const promptIds = await tokenizer.encode(`${SYSTEM_PROMPT}\n\n${QUESTION}`);
  const turns = {
    chat: chatTurn(`Episode {{n}}: ${QUESTION}`),
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
  const measured = await measureTurns(turns, { quick });
  const results = Object.fromEntries(
    Object.entries(measured).map(([api, { load, cpu }]) => [api, { load, cpuUsPerRequest: cpu }]),
  );
  const chat = results.chat.cpuUsPerRequest;
  for (const [api, { load, cpuUsPerRequest: cpu }] of Object.entries(results))
    report.figure(
      `${api}: req/s · CPU per request gateway / data proxy (µs)`,
      `${load.rps.toFixed(0)} · ${cpu.gateway.toFixed(0)} / ${cpu.proxy.toFixed(0)}`,
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
  checkAllServed(report, results);
  return results;
}

#!/usr/bin/env node
// `node bench/in-process.mjs <checkout> <gateway|data-proxy> [--api chat|responses|messages|completions|generate] [-- service flags]`:
// CPU (and wall) time per agent turn (chat by default; the same question in each API, token ids for generate) of one service, built as its main.ts builds it, driven through Fastify's
// inject with every upstream an undici MockAgent. Far less noisy than the process benchmarks on a
// shared machine, so it is what decides a small hot-path change: run it alternately on two
// checkouts (`git worktree add /tmp/base <rev>`, then `npm run build` in each).
// Example: node bench/in-process.mjs /tmp/base data-proxy; node bench/in-process.mjs . data-proxy
import { resolve } from 'node:path';
import { MockAgent } from 'undici';
import { parseCommandLine } from '../scripts/lib/command-line.mjs';

const API_PATHS = {
  chat: '/v1/chat/completions',
  responses: '/v1/responses',
  messages: '/v1/messages',
  completions: '/v1/completions',
  generate: '/generate',
};
// Flags after `--` go to the service as they are (e.g. `-- --state-dir /tmp/x`).
const dashDash = process.argv.indexOf('--');
const extra = dashDash >= 0 ? process.argv.slice(dashDash + 1) : [];
const { flags, positionals } = parseCommandLine(
  {
    usage: 'node bench/in-process.mjs <checkout> <gateway|data-proxy> [--api <api>] [-- service flags]',
    description:
      "CPU (and wall) time per agent turn of one service of a built checkout, in-process through Fastify's inject with every upstream mocked: the low-noise measure for a hot-path change (run it alternately on two checkouts).",
    positionals: [
      { name: 'checkout', description: 'a checkout with a build (dist/)' },
      { name: 'service', description: 'the service to measure', choices: ['gateway', 'data-proxy'] },
    ],
    flags: {
      api: {
        type: 'string',
        value: 'api',
        default: 'chat',
        description: `the agent API of the turn (${Object.keys(API_PATHS).join(', ')})`,
      },
    },
  },
  dashDash >= 0 ? process.argv.slice(2, dashDash) : process.argv.slice(2),
);
const [checkout, which] = positionals;
const api = flags.api;
if (positionals.length < 2 || !API_PATHS[api]) {
  console.error(
    'usage: node bench/in-process.mjs <checkout> <gateway|data-proxy> [--api chat|responses|messages|completions|generate] [-- service flags]',
  );
  process.exit(2);
}
const SYSTEM = 'You are a helpful assistant.';
let generated = 0;
/** One turn's body in `api`'s shape: the same system prompt, question and budget in every API. */
function turnBody(question) {
  switch (api) {
    case 'responses':
      return { model: 'm', instructions: SYSTEM, input: question, max_output_tokens: 32 };
    case 'messages':
      return { model: 'm', system: SYSTEM, messages: [{ role: 'user', content: question }], max_tokens: 32 };
    case 'completions':
      return { model: 'm', prompt: `${SYSTEM}\n\n${question}`, max_tokens: 32 };
    case 'generate':
      // A trainer's own ids (≈200, as long as the chat prompt), log-probs on, a new rid each time.
      return {
        input_ids: Array.from({ length: 200 }, (_, i) => 1000 + ((i * 7 + question.length) % 5000)),
        sampling_params: { max_new_tokens: 32 },
        return_logprob: true,
        rid: `bench-${generated++}`,
      };
    default:
      return {
        model: 'm',
        messages: [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: question },
        ],
        max_tokens: 32,
      };
  }
}
const root = resolve(checkout);
const common = await import(`${root}/dist/libs/common/src/index.js`);
const agent = new MockAgent();
agent.disableNetConnect();
const json = { headers: { 'content-type': 'application/json' } };
let app, payload, url, headers;
if (which === 'gateway') {
  const { GATEWAY_APP } = await import(`${root}/dist/apps/gateway/src/gateway.app.js`);
  agent
    .get('http://router.test')
    .intercept({ path: '/route', method: 'POST' })
    .reply(200, { worker_addr: 'http://dp.test', worker_id: 'w', url: null, api_key: null, pin_seq: 1 }, json)
    .persist();
  agent.get('http://router.test').intercept({ path: '/pins/events', method: 'GET' }).reply(503, '').persist();
  agent
    .get('http://dp.test')
    .intercept({ path: api === 'chat' ? '/chat/completions' : API_PATHS[api], method: 'POST' })
    .reply(200, { id: 'x', object: 'chat.completion', choices: [] }, json)
    .persist();
  ({ app } = await common.createApp(GATEWAY_APP, {
    argv: [
      '--log-level',
      'silent',
      '--router-addr',
      'http://router.test',
      '--pin-cache',
      'false',
      '--no-swagger',
      ...extra,
    ],
    env: {},
    dispatcher: agent,
  }));
  url = API_PATHS[api];
  headers = { authorization: 'Bearer k', 'content-type': 'application/json' };
  payload = JSON.stringify(turnBody('hello '.repeat(100)));
} else {
  const { DATA_PROXY_APP } = await import(`${root}/dist/apps/data-proxy/src/data-proxy.app.js`);
  const out = Array.from({ length: 32 }, (_, i) => 1000 + i);
  agent
    .get('http://engine.test')
    .intercept({ path: '/generate', method: 'POST' })
    .reply(
      200,
      {
        text: '',
        output_ids: out,
        meta_info: {
          id: 'r',
          finish_reason: { type: 'stop' },
          prompt_tokens: 200,
          completion_tokens: 32,
          weight_version: '0',
          output_token_logprobs: out.map((t) => [-0.5, t, null]),
        },
      },
      json,
    )
    .persist();
  agent
    .get('http://engine.test')
    .intercept({ path: '/v1/models', method: 'GET' })
    .reply(200, { data: [{ id: 'm', max_model_len: 32768 }] }, json)
    .persist();
  agent
    .get('http://engine.test')
    .intercept({ path: '/get_server_info', method: 'GET' })
    .reply(200, { enable_memory_saver: true }, json)
    .persist();
  ({ app } = await common.createApp(DATA_PROXY_APP, {
    argv: [
      '--log-level',
      'silent',
      '--backend-addr',
      'http://engine.test',
      '--no-swagger',
      '--context-length',
      '32768',
      '--admin-api-key',
      'bench-admin',
      ...extra,
    ],
    env: {},
    dispatcher: agent,
  }));
  url = API_PATHS[api];
  headers = { 'content-type': 'application/json' };
  let i = 0;
  payload = () =>
    JSON.stringify(turnBody(`question ${i++ % 50}: ` + 'what is the answer to this long question '.repeat(20)));
}
await app.init();
await app.getHttpAdapter().getInstance().ready();
if (which === 'data-proxy') {
  // A session, as agents have: its turns are recorded (and journaled with --state-dir).
  const started = await app.inject({
    method: 'POST',
    url: '/rl/start_session',
    headers: { authorization: 'Bearer bench-admin', 'content-type': 'application/json' },
    payload: JSON.stringify({ task_id: 'bench' }),
  });
  headers = { ...headers, authorization: `Bearer ${JSON.parse(started.body).api_key}` };
}
const body = () => (typeof payload === 'function' ? payload() : payload);
for (let i = 0; i < 2000; i++) {
  const r = await app.inject({ method: 'POST', url, headers, payload: body() });
  if (r.statusCode !== 200) {
    console.log('status', r.statusCode, r.body.slice(0, 200));
    process.exit(1);
  }
}
const N = which === 'gateway' ? 20000 : 5000;
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < N; i++) await app.inject({ method: 'POST', url, headers, payload: body() });
const cpu = process.cpuUsage(c0);
const wall = performance.now() - t0;
console.log(
  `${which} ${api} ${checkout} ${extra.join(' ')}: cpu ${((cpu.user + cpu.system) / N).toFixed(1)} µs/req, wall ${((wall * 1000) / N).toFixed(1)} µs/req`,
);
await app.close();
process.exit(0);

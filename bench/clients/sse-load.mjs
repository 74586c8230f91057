// Load client: opens N concurrent streaming generations and checks that every one completes with
// every token. Reads its settings as JSON on stdin, prints a JSON report on stdout.
import { readSettingsLine } from '../../scripts/lib/child-processes.mjs';
import { Agent, request } from 'undici';
import { readSse } from '../lib/sse.mjs';

const input = await readSettingsLine();
const { url, path, body, streams, expectedTokens } = input;
const agent = new Agent({ connections: streams, pipelining: 1, keepAliveTimeout: 10000 });

async function one() {
  const started = performance.now();
  const res = await request(`${url}${path}`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  let tokenEvents = 0;
  let lastIds = 0;
  let firstTokenAt = null;
  const { done } = await readSse(res, (event) => {
    tokenEvents++;
    firstTokenAt ??= performance.now();
    lastIds = event.output_ids
      ? event.output_ids.length
      : lastIds + (event.choices?.[0]?.logprobs?.tokens?.length ?? 0);
  });
  return {
    status: res.statusCode,
    done,
    tokenEvents,
    tokens: lastIds,
    ms: performance.now() - started,
    ttftMs: firstTokenAt === null ? null : firstTokenAt - started,
  };
}

const started = performance.now();
const results = await Promise.allSettled(Array.from({ length: streams }, () => one()));
const wallMs = performance.now() - started;
const ok = results.filter(
  (r) => r.status === 'fulfilled' && r.value.status === 200 && r.value.done && r.value.tokens === expectedTokens,
);
const tokens = results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value.tokens : 0), 0);
const latencies = results
  .filter((r) => r.status === 'fulfilled')
  .map((r) => r.value.ms)
  .sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? null;
await agent.close();
process.stdout.write(
  JSON.stringify({
    streams,
    completed: ok.length,
    lost: streams - ok.length,
    errors: results
      .filter((r) => r.status === 'rejected')
      .map((r) => String(r.reason))
      .slice(0, 5),
    tokensReceived: tokens,
    tokensExpected: streams * expectedTokens,
    wallMs,
    streamMsP50: pct(50),
    streamMsP99: pct(99),
  }),
);

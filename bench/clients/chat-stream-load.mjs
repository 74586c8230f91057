// Load client: N concurrent streaming chat completions (OpenAI SSE). Checks that every stream
// ends with [DONE] and the expected completion_tokens, and measures the gap between successive
// content chunks of each stream. Reads its settings as JSON on stdin, prints a JSON report.
import { readSettingsLine } from '../../scripts/lib/child-processes.mjs';
import { Agent, request } from 'undici';
import { readSse } from '../lib/sse.mjs';

const input = await readSettingsLine();
const { url, headers, body, streams, expectedTokens } = input;
const agent = new Agent({ connections: null, keepAliveTimeout: 10_000 });
const gaps = [];

async function one(n) {
  const res = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...body, messages: [{ role: 'user', content: `Stream ${n}: tell me a story.` }] }),
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  let chunks = 0;
  let completionTokens = null;
  let last = null;
  const { done, rest } = await readSse(res, (event) => {
    if (event.usage) completionTokens = event.usage.completion_tokens;
    if (event.choices?.[0]?.delta?.content) {
      const now = performance.now();
      if (last !== null) gaps.push(now - last);
      last = now;
      chunks++;
    }
  });
  return { status: res.statusCode, done, chunks, completionTokens, text: res.statusCode === 200 ? '' : rest };
}

const started = performance.now();
const results = await Promise.allSettled(Array.from({ length: streams }, (_, n) => one(n)));
const wallMs = performance.now() - started;
const fulfilled = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
const complete = fulfilled.filter((r) => r.status === 200 && r.done && r.completionTokens === expectedTokens);
gaps.sort((a, b) => a - b);
const pct = (p) => (gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor((p / 100) * gaps.length))] : null);
await agent.close();
process.stdout.write(
  JSON.stringify({
    streams,
    completed: complete.length,
    lost: streams - complete.length,
    errors: [
      ...results.filter((r) => r.status === 'rejected').map((r) => String(r.reason)),
      ...fulfilled.filter((r) => r.status !== 200).map((r) => `HTTP ${r.status}: ${r.text}`),
    ].slice(0, 5),
    tokensReported: fulfilled.reduce((sum, r) => sum + (r.completionTokens ?? 0), 0),
    tokensExpected: streams * expectedTokens,
    contentChunks: fulfilled.reduce((sum, r) => sum + r.chunks, 0),
    gapP50Ms: pct(50),
    gapP99Ms: pct(99),
    wallMs,
  }),
);

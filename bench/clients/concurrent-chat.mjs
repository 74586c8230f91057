// Load client: sends N chat requests at once and reports how each ended. Settings as JSON on stdin.
import { readSettingsLine } from '../../scripts/lib/child-processes.mjs';
import { Agent, request } from 'undici';

const input = await readSettingsLine();
const { url, body, count, expectedContent, headers = {} } = input;
const agent = new Agent({ connections: count, keepAliveTimeout: 10000 });

async function one() {
  const res = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const json = await res.body.json();
  return {
    status: res.statusCode,
    content: json?.choices?.[0]?.message?.content ?? null,
    tokens: json?.usage?.completion_tokens ?? 0,
  };
}

const started = performance.now();
const results = await Promise.allSettled(Array.from({ length: count }, () => one()));
const ok = results.filter(
  (r) =>
    r.status === 'fulfilled' &&
    r.value.status === 200 &&
    (expectedContent === undefined || r.value.content === expectedContent),
);
await agent.close();
process.stdout.write(
  JSON.stringify({
    count,
    completed: ok.length,
    lost: count - ok.length,
    statuses: results
      .map((r) => (r.status === 'fulfilled' ? r.value.status : String(r.reason)))
      .filter((s) => s !== 200)
      .slice(0, 5),
    wallMs: performance.now() - started,
  }),
);

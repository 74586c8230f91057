// Load client: autocannon against one endpoint. Settings as JSON on stdin, report as JSON on stdout.
import { readSettingsLine } from '../../scripts/lib/child-processes.mjs';
import autocannon from 'autocannon';

const input = await readSettingsLine();
// With `vary`, every request gets a different body: `{{n}}` in it becomes a running number, so
// caches keyed by content see each prompt once (the realistic case for new conversation turns).
const bodyText = input.body === undefined ? undefined : JSON.stringify(input.body);
let counter = 0;
const result = await autocannon({
  url: input.url,
  method: input.method ?? 'POST',
  headers: { 'content-type': 'application/json', ...input.headers },
  body: bodyText,
  requests: input.vary
    ? [{ setupRequest: (req) => ({ ...req, body: bodyText.replaceAll('{{n}}', String(counter++)) }) }]
    : undefined,
  connections: input.connections,
  duration: input.durationS,
  pipelining: 1,
});
process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    rps: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }),
);

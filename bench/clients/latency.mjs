// Load client: one connection, N sequential requests, latency percentiles in microseconds
// (autocannon reports whole milliseconds, too coarse for sub-millisecond hops).
import { readSettingsLine } from '../../scripts/lib/child-processes.mjs';
import { Pool } from 'undici';

const input = await readSettingsLine();
const url = new URL(input.url);
const pool = new Pool(url.origin, { connections: 1, pipelining: 1 });
const body = JSON.stringify(input.body);
const headers = { 'content-type': 'application/json', ...input.headers };
const samples = [];
let errors = 0;
for (let i = 0; i < input.warmup + input.count; i++) {
  const started = process.hrtime.bigint();
  const res = await pool.request({ path: url.pathname, method: 'POST', headers, body });
  await res.body.dump();
  if (res.statusCode !== 200) errors++;
  if (i >= input.warmup) samples.push(Number(process.hrtime.bigint() - started) / 1000);
}
await pool.close();
samples.sort((a, b) => a - b);
const pct = (p) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];
process.stdout.write(
  JSON.stringify({
    count: samples.length,
    errors,
    p50Us: pct(50),
    p99Us: pct(99),
    meanUs: samples.reduce((a, b) => a + b, 0) / samples.length,
  }),
);

#!/usr/bin/env node
// `npm run bench [-- scenario ...] [--quick]`: builds, runs each scenario against real processes
// on loopback (load from a separate process), prints a table and writes bench/results/<name>.json.
// --quick shortens every scenario; CI runs it as a smoke test (harness works, nothing lost).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { ROOT } from './lib/processes.mjs';

const SCENARIOS = ['edge', 'router', 'engine', 'full', 'apis', 'stream', 'pause', 'tokenize'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const skipBuild = args.includes('--no-build');
const selected = args.filter((a) => !a.startsWith('--'));
const unknown = selected.filter((s) => !SCENARIOS.includes(s));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
if (!skipBuild) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
mkdirSync(`${ROOT}/bench/results`, { recursive: true });

let failed = 0;
for (const name of selected.length > 0 ? selected : SCENARIOS) {
  const scenario = await import(`./scenarios/${name}.mjs`);
  console.log(`\n== ${name}: ${scenario.description}${quick ? ' (quick)' : ''}`);
  const started = Date.now();
  const outcome = await scenario.run({ quick });
  const width = Math.max(...outcome.rows.map(([label]) => label.length));
  for (const [label, value] of outcome.rows) console.log(`  ${label.padEnd(width)}  ${value}`);
  console.log(`  ${'verdict'.padEnd(width)}  ${outcome.ok ? 'ok' : 'FAILED'}`);
  if (!outcome.ok) failed++;
  writeFileSync(
    `${ROOT}/bench/results/${name}.json`,
    JSON.stringify(
      {
        scenario: name,
        quick,
        at: new Date().toISOString(),
        machine: { cpus: cpus().length, memoryBytes: totalmem(), node: process.version },
        durationMs: Date.now() - started,
        ok: outcome.ok,
        result: outcome.result,
      },
      null,
      2,
    ) + '\n',
  );
}
process.exit(failed === 0 ? 0 : 1);

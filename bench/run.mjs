#!/usr/bin/env node
// `npm run bench [-- scenario ...] [--quick] [--no-build]`: builds, runs each scenario against
// real processes on loopback (load from a separate process), prints a table and writes
// bench/results/<name>.json. Exit status 0 when every scenario's verdict is ok.
//
// How a run is judged:
// - checks (nothing lost, no errors, counts that must agree) decide every run, quick or full;
// - first bars (docs/BENCHMARKS.md, "Scenarios and bars") decide a full run: one missed bar fails
//   its scenario;
// - goals are printed beside their bar as met or not yet and never fail a run;
// - --quick shortens every scenario and judges checks only: its bars are printed with where the
//   figure stands, marked "not judged". A quick run is the smoke test CI runs on a loaded 2-core
//   machine: it shows the harness works and nothing is lost, and fails on nothing else.
//
// A scenario is a file in bench/scenarios/ (found by its name; nothing else to edit):
//   export const description = 'one line';
//   export async function run({ quick, report }) { ...; return resultForTheJsonFile; }
// where `report` (bench/lib/report.mjs) is where it prints and judges: report.figure(label, value),
// report.check(label, value, ok), report.bar(label, value, { atMost | atLeast, goal, unit }).
// Whatever it starts with bench/lib/processes.mjs dies with the bench (Ctrl-C, SIGTERM, a closed
// output pipe, a crash, a kill -9).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { exitScript } from '../scripts/lib/child-processes.mjs';
import { parseCommandLine } from '../scripts/lib/command-line.mjs';
import { Report } from './lib/report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCENARIOS = readdirSync(new URL('./scenarios/', import.meta.url))
  .filter((file) => file.endsWith('.mjs'))
  .map((file) => file.slice(0, -'.mjs'.length))
  .sort();

const { flags, positionals } = parseCommandLine({
  usage: 'node bench/run.mjs [scenario ...] [--quick] [--no-build]   (npm run bench -- ...)',
  description:
    "Runs the benchmark scenarios (all by default) against the built services on loopback, prints each one's table and verdict, and writes bench/results/<scenario>.json.",
  positionals: [{ name: 'scenario...', description: 'scenarios to run', choices: SCENARIOS }],
  flags: {
    quick: { type: 'boolean', description: 'short runs; only correctness is judged (the CI smoke test)' },
    'no-build': { type: 'boolean', description: 'use dist/ as it is instead of running npm run build first' },
  },
});
const quick = flags.quick === true;

if (flags['no-build'] !== true) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
mkdirSync(`${ROOT}/bench/results`, { recursive: true });

let failed = 0;
for (const name of positionals.length > 0 ? positionals : SCENARIOS) {
  const scenario = await import(`./scenarios/${name}.mjs`);
  console.log(`\n== ${name}: ${scenario.description}${quick ? ' (quick)' : ''}`);
  const started = Date.now();
  const report = new Report({ quick });
  const result = await scenario.run({ quick, report });
  // A scenario written for the earlier contract would print nothing and pass: say so instead.
  if (result && typeof result === 'object' && ('rows' in result || 'ok' in result))
    throw new Error(
      `bench/scenarios/${name}.mjs returns { rows, ok }: print and judge through report (top of bench/run.mjs)`,
    );
  // Every scenario judges something: at least one check of what it must not lose.
  if (report.checks.length === 0) report.check('the scenario checks something', 'no check', false);
  for (const line of report.lines()) console.log(line);
  if (!report.ok) failed++;
  writeFileSync(
    `${ROOT}/bench/results/${name}.json`,
    JSON.stringify(
      {
        scenario: name,
        quick,
        at: new Date().toISOString(),
        machine: { cpus: cpus().length, memoryBytes: totalmem(), node: process.version },
        durationMs: Date.now() - started,
        ok: report.ok,
        checks: report.checks,
        bars: report.bars,
        goals: report.goals,
        result,
      },
      null,
      2,
    ) + '\n',
  );
}
exitScript(failed === 0 ? 0 : 1);

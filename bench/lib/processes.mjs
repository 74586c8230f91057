// Starting the project's built services as real processes, and measuring them from outside.
// Every process started here dies with the bench (scripts/lib/child-processes.mjs).
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { listeningPort } from '../../dist/libs/common/src/bootstrap/listening-line.js';
import { EXIT_WITH_STDIN, spawnOwned, stopChild } from '../../scripts/lib/child-processes.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** Starts `node dist/apps/<app>/main.js --port 0 ...` and resolves with its URL once it listens. */
export function startService(app, args = []) {
  // BENCH_CPU_PROF=<dir> profiles every service (node --cpu-prof), for finding what to optimise.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawnOwned(
    process.execPath,
    [...profile, `dist/apps/${app}/main.js`, '--port', '0', '--log-level', 'info', EXIT_WITH_STDIN, ...args],
    { cwd: ROOT },
  );
  const logs = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${app} did not start:\n${logs.join('\n')}`)), 20000);
    const onLine = (line) => {
      logs.push(line);
      if (logs.length > 200) logs.shift();
      const port = listeningPort(line);
      if (port === null) return;
      clearTimeout(timer);
      resolve({ app, url: `http://127.0.0.1:${port}`, pid: child.pid, child, logs, stop: () => stopChild(child) });
    };
    // The services log `listening` at info; ask for it even at warn by reading the startup line.
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`${app} exited with ${code}:\n${logs.join('\n')}`)));
  });
}

/** CPU time (user + system, microseconds) and RSS (bytes) of a process, from /proc. */
export function processStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuUs = ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1e6;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuUs, rssBytes: rssKb * 1024 };
}

/** Runs a load client (a separate Node process) and returns the JSON it prints. */
export function runClient(script, input) {
  return new Promise((resolve, reject) => {
    const child = spawnOwned(process.execPath, [fileURLToPath(new URL(`../clients/${script}`, import.meta.url))], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      try {
        resolve(JSON.parse(out));
      } catch (err) {
        reject(new Error(`${script} printed no JSON: ${out.slice(0, 500)}`, { cause: err }));
      }
    });
    // One line of settings; the pipe stays open so that the client dies with the bench.
    child.stdin.write(`${JSON.stringify(input)}\n`);
  });
}

/** CPU time of a process's main thread (the event loop), nanoseconds, from /proc. */
export function mainThreadCpuNs(pid) {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

/**
 * CPU time of every thread of a process, in nanoseconds (`/proc/<pid>/task/<tid>/schedstat`):
 * nanosecond resolution where `/proc/<pid>/stat` counts 10 ms ticks, so a few turns of a few
 * milliseconds each can be told apart. Threads count while they live (Node's are long-lived: the
 * tokenizer's and libuv's pools).
 */
export function processCpuNs(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

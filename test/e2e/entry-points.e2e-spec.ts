import { describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { commandOf, descendantsOf, expectAllGone, runningSince, startTicksOf } from '../support/process-tree.js';
import { waitFor } from '../support/wait.js';

/**
 * Every entry point of the repository (the scripts, the bench, the CLI, the image's health check,
 * the Python trainer example) answers --help and refuses an unknown flag as the services do, and
 * whatever a script starts dies with it, however the script ends.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_ENTRY_POINTS = [
  ...readdirSync(join(ROOT, 'scripts'))
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => `scripts/${f}`),
  ...readdirSync(join(ROOT, 'bench'))
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => `bench/${f}`),
  'bin/rollout.mjs',
  'deploy/docker/healthcheck.mjs',
];
const PYTHON_ENTRY_POINTS = [
  ...readdirSync(join(ROOT, 'scripts'))
    .filter((f) => f.endsWith('.py'))
    .map((f) => `scripts/${f}`),
  'examples/python/trainer_client.py',
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('every entry point: --help, and an unknown flag is refused', () => {
  it.each(NODE_ENTRY_POINTS)('%s', async (script) => {
    const help = await run(process.execPath, [script, '--help']);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(/Usage/i);
    const refused = await run(process.execPath, [script, '--no-such-flag']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--no-such-flag');
    expect(refused.stdout).toBe('');
  });

  it.each(PYTHON_ENTRY_POINTS)('%s', async (script) => {
    const help = await run('python3', [script, '--help']);
    expect([help.code, help.stdout]).toEqual([0, expect.stringMatching(/usage/i)]);
    const refused = await run('python3', [script, '--no-such-flag']);
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('--no-such-flag')]);
  });

  it('an abbreviated flag is refused too (argparse would take --control for --controller)', async () => {
    const abbreviated = await run('python3', ['examples/python/trainer_client.py', '--control', 'http://127.0.0.1:1']);
    expect(abbreviated.code).toBe(2);
  });

  it('test-prerequisites --check-only names what is missing in one sentence', async () => {
    const withoutPython = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        ['scripts/test-prerequisites.mjs', '--check-only'],
        { cwd: ROOT, env: { PATH: '/nonexistent' } },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
    expect(withoutPython.code).toBe(1);
    expect(withoutPython.stderr.trim().split('\n')).toEqual([expect.stringMatching(/need python3.*install Python 3/)]);
  });
});

/** A script started as a user starts it; `lines` holds its stdout. */
function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  child.stderr.resume();
  return { child, lines };
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** Waits until the script runs a process whose command line contains `marker`; returns every descendant. */
async function childrenOnceRunning(child: ChildProcess, marker: string, timeoutMs: number): Promise<number[]> {
  await waitFor(() => descendantsOf(child.pid!).some((pid) => commandOf(pid).includes(marker)), timeoutMs, 100);
  return descendantsOf(child.pid!);
}

/**
 * After the script is gone: its children are gone, and nothing it started since it began runs.
 * What it left behind was re-parented to init when it died; the processes of the test files Jest
 * runs beside this one (in ROOT too) are the descendants of Jest's runner, this worker's parent.
 */
async function expectNothingLeft(scriptStart: number, children: number[], timeoutMs: number): Promise<void> {
  await expectAllGone(children, timeoutMs);
  await expectAllGone(runningSince(scriptStart, ROOT, [process.pid, ...descendantsOf(process.ppid)]), timeoutMs);
}

describe('what a script starts dies with it', () => {
  const ways: [string, NodeJS.Signals, number | null][] = [
    ['Ctrl-C (SIGINT)', 'SIGINT', 130],
    ['SIGTERM (a timeout)', 'SIGTERM', 143],
    ['SIGHUP (the terminal closed)', 'SIGHUP', 129],
    ['kill -9', 'SIGKILL', null],
  ];
  it.each(ways)(
    'the bench, on %s: the stub, the router, the gateway and the load client go',
    async (_, signal, code) => {
      const { child } = start(['bench/run.mjs', 'edge', '--quick', '--no-build']);
      const since = startTicksOf(child.pid!);
      try {
        const children = await childrenOnceRunning(child, 'dist/apps/gateway/main.js', 30_000);
        expect(children.length).toBeGreaterThanOrEqual(3);
        child.kill(signal);
        const end = await exited(child);
        expect(end).toEqual(code === null ? { code: null, signal: 'SIGKILL' } : { code, signal: null });
        await expectNothingLeft(since, children, 15_000);
      } finally {
        child.kill('SIGKILL');
      }
    },
    60_000,
  );

  it('the demo, when its output pipe closes (| head): the controller and the stack it launched go', async () => {
    const { child, lines } = start(['scripts/demo.mjs', '--items', '2', '--group-size', '1']);
    const since = startTicksOf(child.pid!);
    try {
      await waitFor(() => lines.some((line) => line.startsWith('stack up in')), 60_000, 100);
      const children = descendantsOf(child.pid!);
      expect(children.map(commandOf).filter((c) => c.includes('dist/apps/')).length).toBeGreaterThanOrEqual(5);
      // What `| head -1` does once it has its line: the reading end goes away.
      child.stdout!.destroy();
      expect(await exited(child)).toEqual({ code: 141, signal: null });
      await expectNothingLeft(since, children, 30_000);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);

  it('npm start (rollout up), on kill -9: the controller notices its stdin close and stops the stack', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rollout-kill-'));
    const { child, lines } = start(
      ['bin/rollout.mjs', 'up', '--port', '0', '--gateway-port', '0', '--backend', 'sim:d1'],
      { ROLLOUT_HOME: home },
    );
    const since = startTicksOf(child.pid!);
    try {
      await waitFor(() => lines.some((line) => line.includes('Stack ready')), 60_000, 100);
      const children = descendantsOf(child.pid!);
      expect(children.map(commandOf).filter((c) => c.includes('dist/apps/')).length).toBeGreaterThanOrEqual(5);
      child.kill('SIGKILL');
      await exited(child);
      await expectNothingLeft(since, children, 30_000);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});

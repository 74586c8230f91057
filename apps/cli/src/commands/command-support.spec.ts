import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { CliError } from '../controller-client.js';
import { awaitStartup, spawnLogged } from './command-support.js';

/** Starts a real node process whose script is `source`, as `up` and `register` start the built apps. */
function start(source: string): { child: ChildProcess; logFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cli-startup-'));
  dirs.push(dir);
  const main = join(dir, 'app.mjs');
  writeFileSync(main, source);
  const logFile = join(dir, 'app.log');
  const child = spawnLogged(main, [], logFile);
  children.push(child);
  return { child, logFile };
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const watchOf = (child: ChildProcess, logFile: string, timeoutS = 10) => ({
  child,
  logFile,
  logLines: 2,
  timeoutS,
  intervalMs: 20,
  probe: () => (readFileSync(logFile, 'utf8').includes('listening on 4321') ? 4321 : null),
  exited: (log: string) => new CliError(`exited; its log:\n${log}`),
  timedOut: () => new CliError('not up in time'),
});

describe('awaitStartup', () => {
  it("gives the probe's answer once the started app writes it to its log", async () => {
    const { child, logFile } = start(
      "setTimeout(() => console.log('listening on 4321'), 100); setTimeout(() => {}, 10_000);",
    );
    await expect(awaitStartup(watchOf(child, logFile))).resolves.toBe(4321);
  });

  it('fails with the last lines of the log when the app exits before it is up', async () => {
    const { child, logFile } = start(
      "console.log('one'); console.log('two'); console.error('three'); process.exit(3);",
    );
    await expect(awaitStartup(watchOf(child, logFile))).rejects.toThrow('exited; its log:\ntwo\nthree');
  });

  it('fails with the timeout error when the app is alive but never up', async () => {
    const { child, logFile } = start('setTimeout(() => {}, 10_000);');
    await expect(awaitStartup(watchOf(child, logFile, 0.3))).rejects.toThrow('not up in time');
    expect(child.exitCode).toBeNull();
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import { DEFAULT_ADMIN_API_KEY } from '@app/common/lite';
import type { CliEnvironment } from '../config/cli-environment.js';
import { CliError, ControllerClient } from '../controller-client.js';
import type { Output } from '../output.js';
import { isAlive, StackState } from '../stack-state.js';

/** What every command file gets from main.ts: the global flags, where to write, how to finish. */
export interface CommandContext {
  /** The global flags (`--state-dir`, `--controller`, `--admin-key`), once parsed. */
  global(): GlobalOptions;
  out: Output;
  env: CliEnvironment;
  /** Aborted on Ctrl+C (`logs -f` stops on it). */
  signal: AbortSignal;
  /** Runs a command's action; its promise gives the exit status. */
  run(action: () => Promise<number>): void;
}

export interface GlobalOptions {
  stateDir?: string;
  controller?: string;
  adminKey?: string;
}

/** The built services, in dist/apps beside the CLI. */
export const APPS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The admin key: `--admin-key`, else $ROLLOUT_ADMIN_KEY, else the one `up` recorded, else the default. */
export function adminKeyOf(global: GlobalOptions, env: CliEnvironment, recorded: string | undefined): string {
  return global.adminKey ?? env.adminKey ?? recorded ?? DEFAULT_ADMIN_API_KEY;
}

/** The stack the commands talk to: flags first, then the state `rollout up` wrote. */
export function connect(global: GlobalOptions, env: CliEnvironment): ControllerClient {
  const state = new StackState(global.stateDir, env);
  const record = state.read();
  const url = global.controller ?? record?.controller_url;
  if (!url)
    throw new CliError(
      `no stack recorded in ${state.dir}: start one with "rollout up" (or npm start), or pass --controller`,
    );
  const key = adminKeyOf(global, env, record?.admin_api_key);
  return new ControllerClient(url.replace(/\/$/, ''), key);
}

/** Commander's check of an integer option or argument. */
export function nonNegativeInteger(value: string): string {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer');
  return value;
}

/** A JSON value as a short readable text. */
export const text = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value ?? '');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The last `count` lines of a file. */
export function tail(file: string, count: number): string[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count);
}

/** Starts a built app (`main`, a path under APPS) in the background, its output appended to `logFile`. */
export function spawnLogged(main: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [main, ...args], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  return child;
}

/** How `awaitStartup` watches an app that `spawnLogged` started. */
export interface StartupWatch<T> {
  child: ChildProcess;
  logFile: string;
  /** How many of the log's last lines an early exit shows. */
  logLines: number;
  timeoutS: number;
  intervalMs: number;
  /** The app's answer once it is up; null while it is not yet. */
  probe: () => T | null | Promise<T | null>;
  /** The error for an app that exited before it was up, given its log's last lines. */
  exited: (logTail: string) => CliError;
  timedOut: () => CliError;
}

/** Polls a started app until its probe answers; fails when the app has exited unanswered or the time runs out. */
export async function awaitStartup<T>(watch: StartupWatch<T>): Promise<T> {
  const deadline = Date.now() + watch.timeoutS * 1000;
  let exited = false;
  watch.child.once('exit', () => (exited = true));
  for (;;) {
    const answer = await watch.probe();
    if (answer !== null) return answer;
    if (exited || !isAlive(watch.child.pid!)) throw watch.exited(tail(watch.logFile, watch.logLines).join('\n'));
    if (Date.now() > deadline) throw watch.timedOut();
    await sleep(watch.intervalMs);
  }
}

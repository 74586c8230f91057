import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { freePort } from '@app/common/lite';
import { CliError, ControllerClient } from '../controller-client.js';
import { progressLine } from '../output.js';
import { isAlive, StackState, type StackRecord } from '../stack-state.js';
import {
  adminKeyOf,
  APPS,
  awaitStartup,
  nonNegativeInteger,
  spawnLogged,
  type CommandContext,
  type GlobalOptions,
} from './command-support.js';

const DEFAULT_CONFIG = join(APPS, '..', '..', 'configs', 'local-sim.yaml');
/** The signals that stop a foreground stack (Ctrl+C, kill, the terminal closing). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

interface UpOptions {
  detach?: boolean;
  timeout: string;
}

export function addUpCommand(program: Command, cli: CommandContext): void {
  program
    .command('up')
    .description(
      'start the stack (what npm start runs): foreground, or detached with -d; other flags go to the controller',
    )
    .option('-d, --detach', 'run in the background and return once the stack is ready')
    .option('--timeout <s>', 'how long -d waits for the stack to be ready', nonNegativeInteger, '300')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption('-h, --help', 'show help (controller flags: node dist/apps/controller/main.js --help)')
    .action((options: UpOptions, command: Command) => cli.run(() => up(cli.global(), options, command.args, cli)));
}

/** The value of `--flag` in a list of pass-through controller flags, if given. */
function flagValue(flags: readonly string[], name: string): string | undefined {
  const at = flags.findIndex((f) => f === name || f.startsWith(`${name}=`));
  if (at < 0) return undefined;
  return flags[at].includes('=') ? flags[at].slice(name.length + 1) : flags[at + 1];
}

/**
 * `up`: the controller (which launches and supervises the whole stack) in the foreground, as
 * `npm start` does, or detached (`-d`), logging to the state directory; either way the state
 * directory records where it is. Detached, it waits until the stack is ready, with a progress bar
 * of the services that are up.
 */
async function up(global: GlobalOptions, options: UpOptions, controllerFlags: string[], cli: CommandContext) {
  const { out, env } = cli;
  const state = new StackState(global.stateDir, env);
  const existing = state.read();
  if (existing && isAlive(existing.pid))
    throw new CliError(
      `a stack is already up (controller pid ${existing.pid}, ${existing.controller_url}): rollout down first`,
    );
  // The engine-sim stack of configs/local-sim.yaml unless a config is given.
  const flags =
    flagValue(controllerFlags, '--config') === undefined
      ? ['--config', DEFAULT_CONFIG, ...controllerFlags]
      : [...controllerFlags];
  const requestedPort = flagValue(flags, '--port');
  // The controller's address must be known before it starts: a free port is picked for `--port 0`.
  let port = requestedPort === undefined ? 8090 : Number(requestedPort);
  if (port === 0) {
    port = await freePort();
    const at = flags.indexOf('--port');
    if (at >= 0) flags[at + 1] = String(port);
    else flags.push(`--port=${port}`);
  } else if (requestedPort === undefined) flags.push('--port', String(port));
  const adminKey = global.adminKey ?? flagValue(flags, '--admin-api-key') ?? adminKeyOf(global, env, undefined);
  if (flagValue(flags, '--admin-api-key') === undefined) flags.push('--admin-api-key', adminKey);
  if (flagValue(flags, '--log-dir') === undefined) flags.push('--log-dir', state.logDir);
  const logDir = flagValue(flags, '--log-dir')!;
  mkdirSync(logDir, { recursive: true });
  const host = flagValue(flags, '--host') ?? '127.0.0.1';
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const main = join(APPS, 'controller', 'main.js');
  const record = (pid: number): StackRecord => ({
    controller_url: url,
    pid,
    admin_api_key: adminKey,
    log_dir: logDir,
    detached: options.detach === true,
    started_at: new Date().toISOString(),
  });

  if (!options.detach) {
    // The controller reads its stdin from us and stops when it closes (--exit-with-stdin): it
    // dies with this process even after a kill -9. Its own process group, so that Ctrl+C reaches
    // it once, from us, and not a second time from the terminal (a second SIGINT would cut its
    // orderly shutdown short).
    if (!flags.includes('--exit-with-stdin')) flags.unshift('--exit-with-stdin');
    const child = spawn(process.execPath, [main, ...flags], { stdio: ['pipe', 'inherit', 'inherit'], detached: true });
    state.write(record(child.pid!));
    let forwarded = false;
    for (const signal of STOP_SIGNALS)
      process.on(signal, () => {
        if (forwarded) return;
        forwarded = true;
        child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
      });
    const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
    state.clear();
    return code;
  }

  const logFile = join(logDir, 'controller.log');
  const child = spawnLogged(main, flags, logFile);
  state.write(record(child.pid!));
  const client = new ControllerClient(url, adminKey);
  await awaitStartup({
    child,
    logFile,
    logLines: 30,
    timeoutS: Number(options.timeout),
    intervalMs: 200,
    probe: async () => {
      const status = await client.status().catch(() => null);
      if (!status) return null;
      const running = status.processes.filter((p) => p.state === 'running').length;
      out.progress(progressLine('services up', running, Math.max(status.processes.length, running)));
      if (status.state === 'failed') {
        out.progressDone();
        throw new CliError(`the stack failed to start: ${status.error ?? 'unknown error'} (rollout logs controller)`);
      }
      return status.state === 'ready' ? status : null;
    },
    exited: (log) => {
      state.clear();
      return new CliError(`the controller exited during startup; its log:\n${log}`);
    },
    timedOut: () => {
      out.progressDone();
      return new CliError(`the stack is not ready after ${options.timeout} s (rollout logs controller; rollout down)`);
    },
  });
  out.progressDone();
  const status = await client.status();
  out.line(`stack up: controller ${url} (pid ${child.pid}), gateway ${status.gateway.addr}`);
  out.line(`state in ${state.dir}; logs in ${logDir}; stop it with: rollout down`);
  return 0;
}

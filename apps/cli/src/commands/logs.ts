import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../controller-client.js';
import { StackState } from '../stack-state.js';
import { nonNegativeInteger, sleep, tail, type CommandContext, type GlobalOptions } from './command-support.js';

interface LogsOptions {
  follow?: boolean;
  lines: string;
}

export function addLogsCommand(program: Command, cli: CommandContext): void {
  program
    .command('logs <component>')
    .description("a component's log: controller, gateway, router, data-proxy-<i>, engine-<i>")
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --lines <n>', 'lines to show first', nonNegativeInteger, '200')
    .action((component: string, options: LogsOptions) => cli.run(() => logs(cli.global(), component, options, cli)));
}

/** `logs <component>`: a component's log (`controller`, `gateway`, `router`, `data-proxy-0`, `engine-0`, …). */
async function logs(global: GlobalOptions, component: string, options: LogsOptions, cli: CommandContext) {
  const { out, env, signal } = cli;
  const state = new StackState(global.stateDir, env);
  const dir = state.read()?.log_dir ?? state.logDir;
  const file = join(dir, `${component}.log`);
  if (!existsSync(file)) {
    const known = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.log'))
          .map((f) => f.slice(0, -4))
      : [];
    throw new CliError(`no log for "${component}" in ${dir}; known: ${known.sort().join(', ') || 'none'}`);
  }
  for (const line of tail(file, Number(options.lines))) out.line(line);
  if (!options.follow) return 0;
  let offset = statSync(file).size;
  let partial = '';
  while (!signal.aborted) {
    await sleep(200);
    const size = statSync(file).size;
    if (size < offset) offset = 0;
    if (size === offset) continue;
    const fd = openSync(file, 'r');
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    closeSync(fd);
    offset = size;
    const text = partial + buffer.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) out.line(line);
  }
  return 0;
}

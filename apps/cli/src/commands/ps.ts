import type { Command } from 'commander';
import type { LaunchedProcessDto } from '@app/contracts';
import { table } from '../output.js';
import { connect, type CommandContext, type GlobalOptions } from './command-support.js';

export function addPsCommand(program: Command, cli: CommandContext): void {
  program
    .command('ps')
    .description('the processes the controller launched')
    .option('--json', 'as JSON')
    .action((options: { json?: boolean }) => cli.run(() => ps(cli.global(), options, cli)));
}

/** `ps`: the processes the controller launched, with pids, ports, states and restarts. */
async function ps(global: GlobalOptions, options: { json?: boolean }, { out, env }: CommandContext) {
  const answer = await connect(global, env).status();
  if (options.json) {
    out.json(answer.processes);
    return 0;
  }
  const rows = answer.processes.map((p: LaunchedProcessDto) => [
    p.name,
    String(p.pid ?? '-'),
    p.port ? `127.0.0.1:${p.port}` : '-',
    p.state,
    String(p.restarts),
  ]);
  out.line(table(['name', 'pid', 'address', 'state', 'restarts'], rows));
  return 0;
}

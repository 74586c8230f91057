import type { Command } from 'commander';
import { CliError } from '../controller-client.js';
import { isAlive, StackState } from '../stack-state.js';
import { connect, nonNegativeInteger, sleep, type CommandContext, type GlobalOptions } from './command-support.js';

export function addDownCommand(program: Command, cli: CommandContext): void {
  program
    .command('down')
    .description('stop the stack')
    .option('--timeout <s>', 'wait this long for it to exit', nonNegativeInteger, '60')
    .action((options: { timeout: string }) => cli.run(() => down(cli.global(), options, cli)));
}

/** `down`: asks the controller to stop the stack, then waits for it to exit. */
async function down(global: GlobalOptions, options: { timeout: string }, { out, env }: CommandContext) {
  const state = new StackState(global.stateDir, env);
  const record = state.read();
  const client = connect(global, env);
  await client.call('POST', '/shutdown', {});
  const pid = record?.pid;
  const deadline = Date.now() + Number(options.timeout) * 1000;
  while (pid !== undefined && isAlive(pid)) {
    if (Date.now() > deadline)
      throw new CliError(`the controller (pid ${pid}) is still running after ${options.timeout} s`);
    await sleep(100);
  }
  state.clear();
  out.line('stack stopped');
  return 0;
}

import type { Command } from 'commander';
import { isAlive, StackState } from '../stack-state.js';
import { connect, sleep, type CommandContext, type GlobalOptions } from './command-support.js';

export function addDeregisterCommand(program: Command, cli: CommandContext): void {
  program
    .command('deregister')
    .description('remove a data proxy from the router')
    .requiredOption('--data-proxy <url>', 'the data proxy')
    .action((options: { dataProxy: string }) => cli.run(() => deregister(cli.global(), options, cli)));
}

/** `deregister`: removes a data proxy from the router (its sessions are unpinned). */
async function deregister(global: GlobalOptions, options: { dataProxy: string }, { out, env }: CommandContext) {
  const client = connect(global, env);
  const router = (await client.status()).router.addr;
  await client.call('POST', '/unregister', { worker_addr: options.dataProxy }, router);
  out.line(`deregistered data proxy ${options.dataProxy}`);
  // One that `register --engine` started is ours to stop (it would register itself again).
  const state = new StackState(global.stateDir, env);
  const record = state.read();
  const started = record?.started_proxies?.find((p) => p.addr === options.dataProxy);
  if (record && started) {
    if (isAlive(started.pid)) process.kill(started.pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (isAlive(started.pid) && Date.now() < deadline) await sleep(50);
    state.write({ ...record, started_proxies: record.started_proxies!.filter((p) => p !== started) });
    out.line(`stopped it (pid ${started.pid})`);
  }
  return 0;
}

import type { Command } from 'commander';
import type { ControllerStatusResponseDto } from '@app/contracts';
import { table } from '../output.js';
import { connect, text, type CommandContext, type GlobalOptions } from './command-support.js';

export function addStatusCommand(program: Command, cli: CommandContext): void {
  program
    .command('status')
    .description('every component, its address and health; version, paused, offloaded')
    .option('--json', "the controller's /status answer")
    .action((options: { json?: boolean }) => cli.run(() => status(cli.global(), options, cli)));
}

function healthText(health: unknown): string {
  if (health && typeof health === 'object') {
    const h = health as Record<string, unknown>;
    if (h.ok === false) return `down (${text(h.error)})`;
    if (typeof h.status === 'string') return h.status;
    return 'ok';
  }
  return 'unknown';
}

/** Every component of the stack, one row each. */
function componentRows(status: ControllerStatusResponseDto): string[][] {
  return [
    ['gateway', status.gateway.addr, healthText(status.gateway.health)],
    ['router', status.router.addr, healthText(status.router.health)],
    ...status.data_proxies.map((p, i) => [`data-proxy-${i}`, p.addr, healthText(p.health)]),
    ...status.engines.map((e, i) => [`engine-${i}`, e.addr, healthText(e.health)]),
  ];
}

/** `status`: the stack, its weight version, pause and offload state, and every component's health. */
async function status(global: GlobalOptions, options: { json?: boolean }, { out, env }: CommandContext) {
  const client = connect(global, env);
  const answer = await client.status();
  if (options.json) {
    out.json(answer);
    return 0;
  }
  out.line(
    `stack ${answer.state} (${answer.mode}) · controller ${client.url} · version ${answer.version}${answer.paused ? ' · PAUSED' : ''}${answer.offloaded ? ' · OFFLOADED' : ''}`,
  );
  out.line(table(['component', 'address', 'health'], componentRows(answer)));
  return answer.state === 'ready' ? 0 : 1;
}

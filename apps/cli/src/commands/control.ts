import type { Command } from 'commander';
import type { BroadcastResponseDto } from '@app/contracts';
import { connect, nonNegativeInteger, text, type CommandContext, type GlobalOptions } from './command-support.js';

type ControlPath = '/pause' | '/continue' | '/offload' | '/onload' | '/set_version';

/** The control verbs: pause, continue, set-version, offload, onload (one call of the control API each). */
export function addControlCommands(program: Command, cli: CommandContext): void {
  const verb = (path: ControlPath, body: () => Record<string, unknown> = () => ({})) =>
    cli.run(() => control(cli.global(), path, body(), cli));
  program
    .command('pause')
    .description('pause generation everywhere (in-flight requests resume after continue)')
    .action(() => verb('/pause'));
  program
    .command('continue')
    .description('continue generation')
    .action(() => verb('/continue'));
  program
    .command('set-version <version>')
    .description('set the weight version stamped on new tokens')
    .action((version: string) => verb('/set_version', () => ({ version: Number(nonNegativeInteger(version)) })));
  program
    .command('offload')
    .description("pause and release the engines' GPU memory")
    .action(() => verb('/offload'));
  program
    .command('onload')
    .description("resume the engines' memory and continue")
    .action(() => verb('/onload'));
}

/** One call of the controller's control API, its broadcast summarised per data proxy. */
async function control(
  global: GlobalOptions,
  path: ControlPath,
  body: Record<string, unknown>,
  { out, env }: CommandContext,
): Promise<number> {
  const answer = await connect(global, env).call<BroadcastResponseDto>('POST', path, body);
  const failed = answer.results.filter((r) => !r.ok);
  const verb = path.slice(1).replace('_', '-');
  out.line(
    `${verb}: ${answer.ok ? 'ok' : 'failed'} (${answer.results.length - failed.length}/${answer.results.length} data proxies)`,
  );
  for (const f of failed) out.line(`  ${f.data_proxy}: ${f.error ?? `status ${text(f.status)}`}`);
  return answer.ok ? 0 : 1;
}

import type { Command } from 'commander';
import type { OpenAiModelListDto } from '@app/contracts';
import { connect, type CommandContext, type GlobalOptions } from './command-support.js';

export function addModelsCommand(program: Command, cli: CommandContext): void {
  program
    .command('models')
    .description('the models the gateway serves')
    .option('--json', 'as JSON')
    .action((options: { json?: boolean }) => cli.run(() => models(cli.global(), options, cli)));
}

/** `models`: what the gateway serves. */
async function models(global: GlobalOptions, options: { json?: boolean }, { out, env }: CommandContext) {
  const client = connect(global, env);
  const gateway = (await client.status()).gateway.addr;
  const answer = await client.call<OpenAiModelListDto>('GET', '/v1/models', undefined, gateway);
  const ids = (answer.data ?? []).map((m) => m.id);
  if (options.json) out.json(answer.data ?? []);
  else out.line(ids.length > 0 ? ids.join('\n') : '(no models)');
  return 0;
}

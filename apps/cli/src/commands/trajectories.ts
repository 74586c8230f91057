import type { Command } from 'commander';
import { progressLine, table } from '../output.js';
import { connect, nonNegativeInteger, sleep, type CommandContext, type GlobalOptions } from './command-support.js';

interface WaitOptions {
  count: string;
  timeout: string;
  json?: boolean;
}

export function addTrajectoriesCommand(program: Command, cli: CommandContext): void {
  program
    .command('trajectories')
    .description('ready trajectories')
    .command('wait')
    .description('take ready trajectories from the online queue (exported as JSON)')
    .option('--count <n>', 'how many', nonNegativeInteger, '1')
    .option('--timeout <s>', 'give up after', nonNegativeInteger, '30')
    .option('--json', 'the whole answer as JSON')
    .action((options: WaitOptions) => cli.run(() => waitTrajectories(cli.global(), options, cli)));
}

/**
 * `trajectories wait`: takes `count` ready trajectories from the controller's online queue (the
 * export happens there), with a progress bar of the queue while it waits.
 */
async function waitTrajectories(global: GlobalOptions, options: WaitOptions, { out, env }: CommandContext) {
  const client = connect(global, env);
  const count = Number(options.count);
  let done = false;
  const watch = (async () => {
    while (!done) {
      const queued = (await client.status().catch(() => null))?.ready_queue.queued ?? 0;
      if (!done) out.progress(progressLine('ready trajectories', Math.min(queued, count), count));
      await sleep(250);
    }
  })();
  const answer = await client
    .call<{ trajectories: Record<string, unknown>[]; timed_out: boolean }>('POST', '/trajectories/wait', {
      count,
      timeout_s: Number(options.timeout),
      format: 'json',
    })
    .finally(() => (done = true));
  await watch;
  out.progressDone();
  if (options.json) out.json(answer);
  else {
    out.line(
      table(
        ['session', 'trajectory', 'ok'],
        answer.trajectories.map((t) => [String(t.session_id), String(t.trajectory_id), String(t.ok)]),
      ),
    );
    if (answer.timed_out)
      out.line(`timed out after ${options.timeout} s with ${answer.trajectories.length} of ${count}`);
  }
  return answer.timed_out ? 1 : 0;
}

import { Command, CommanderError } from 'commander';
import { CliError } from './controller-client.js';
import { type CommandContext, type GlobalOptions } from './commands/command-support.js';
import { addControlCommands } from './commands/control.js';
import { addDeregisterCommand } from './commands/deregister.js';
import { addDownCommand } from './commands/down.js';
import { addLogsCommand } from './commands/logs.js';
import { addModelsCommand } from './commands/models.js';
import { addPsCommand } from './commands/ps.js';
import { addRegisterCommand } from './commands/register.js';
import { addStatusCommand } from './commands/status.js';
import { addTrajectoriesCommand } from './commands/trajectories.js';
import { addUpCommand } from './commands/up.js';
import { readCliEnvironment } from './config/cli-environment.js';
import { terminalOutput } from './output.js';

// `rollout`: the stack from a terminal. Every verb but `up` and `logs` is a call of the
// controller's API; the state directory (`--state-dir`, $ROLLOUT_HOME, ~/.rollout) says where it
// is. One file per verb in commands/, sharing commands/command-support.ts.
const abort = new AbortController();
process.once('SIGINT', () => abort.abort());

const program = new Command('rollout')
  .description('Run and steer the rollout inference service (controller, gateway, router, data proxies, engines).')
  .option('--state-dir <dir>', 'where `up` records the stack (default: $ROLLOUT_HOME or ~/.rollout)')
  .option('--controller <url>', "the controller's URL (default: the recorded stack)")
  .option('--admin-key <key>', 'admin key (default: $ROLLOUT_ADMIN_KEY, else the recorded one)')
  .showHelpAfterError()
  .exitOverride();

let result: Promise<number> = Promise.resolve(0);
const cli: CommandContext = {
  global: () => program.opts<GlobalOptions>(),
  out: terminalOutput(process.stdout, process.stderr),
  env: readCliEnvironment(),
  signal: abort.signal,
  run: (action) => {
    result = action();
  },
};
for (const add of [
  addUpCommand,
  addDownCommand,
  addStatusCommand,
  addPsCommand,
  addLogsCommand,
  addControlCommands,
  addModelsCommand,
  addRegisterCommand,
  addDeregisterCommand,
  addTrajectoriesCommand,
])
  add(program, cli);

try {
  program.parse(process.argv);
  process.exitCode = await result;
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
  else if (err instanceof CliError) {
    process.stderr.write(`rollout: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else throw err;
}
// Nothing is left to wait for (logs -f ends on Ctrl+C): the pooled client must not hold us.
process.exit(process.exitCode ?? 0);

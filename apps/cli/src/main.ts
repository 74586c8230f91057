import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { CliError } from './controller-client.js';
import {
  control,
  deregister,
  down,
  logs,
  models,
  ps,
  register,
  status,
  up,
  waitTrajectories,
  type GlobalOptions,
} from './commands.js';
import { readCliEnvironment } from './config/cli-environment.js';
import { terminalOutput } from './output.js';

// `rollout`: the stack from a terminal. Every verb but `up` and `logs` is a call of the
// controller's API; the state directory (`--state-dir`, $ROLLOUT_HOME, ~/.rollout) says where it is.
const out = terminalOutput(process.stdout, process.stderr);
const env = readCliEnvironment();
const abort = new AbortController();
process.once('SIGINT', () => abort.abort());

function nonNegativeInteger(value: string): string {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer');
  return value;
}

const program = new Command('rollout')
  .description('Run and steer the rollout inference service (controller, gateway, router, data proxies, engines).')
  .option('--state-dir <dir>', 'where `up` records the stack (default: $ROLLOUT_HOME or ~/.rollout)')
  .option('--controller <url>', "the controller's URL (default: the recorded stack)")
  .option('--admin-key <key>', 'admin key (default: $ROLLOUT_ADMIN_KEY, else the recorded one)')
  .showHelpAfterError()
  .exitOverride();
const g = (): GlobalOptions => program.opts<GlobalOptions>();
let result: Promise<number> = Promise.resolve(0);
const run = (action: () => Promise<number>) => () => {
  result = action();
};

program
  .command('up')
  .description(
    'start the stack (the current `npm start`): foreground, or detached with -d; other flags go to the controller',
  )
  .option('-d, --detach', 'run in the background and return once the stack is ready')
  .option('--timeout <s>', 'how long -d waits for the stack to be ready', nonNegativeInteger, '300')
  .allowUnknownOption()
  .allowExcessArguments()
  .helpOption('-h, --help', 'show help (controller flags: node dist/apps/controller/main.js --help)')
  .action((options: { detach?: boolean; timeout: string }, command: Command) => {
    result = up(g(), options, command.args, out, env);
  });
program
  .command('down')
  .description('stop the stack')
  .option('--timeout <s>', 'wait this long for it to exit', nonNegativeInteger, '60')
  .action((o: { timeout: string }) => run(() => down(g(), o, out, env))());
program
  .command('status')
  .description('every component, its address and health; version, paused, offloaded')
  .option('--json', "the controller's /status answer")
  .action((o: { json?: boolean }) => run(() => status(g(), o, out, env))());
program
  .command('ps')
  .description('the processes the controller launched')
  .option('--json', 'as JSON')
  .action((o: { json?: boolean }) => run(() => ps(g(), o, out, env))());
program
  .command('logs <component>')
  .description("a component's log: controller, gateway, router, data-proxy-<i>, engine-<i>")
  .option('-f, --follow', 'keep printing new lines')
  .option('-n, --lines <n>', 'lines to show first', nonNegativeInteger, '200')
  .action((component: string, o: { follow?: boolean; lines: string }) =>
    run(() => logs(g(), component, o, out, env, abort.signal))(),
  );
program
  .command('pause')
  .description('pause generation everywhere (in-flight requests resume after continue)')
  .action(() => run(() => control(g(), '/pause', {}, out, env))());
program
  .command('continue')
  .description('continue generation')
  .action(() => run(() => control(g(), '/continue', {}, out, env))());
program
  .command('set-version <version>')
  .description('set the weight version stamped on new tokens')
  .action((version: string) =>
    run(() => control(g(), '/set_version', { version: Number(nonNegativeInteger(version)) }, out, env))(),
  );
program
  .command('offload')
  .description("pause and release the engines' GPU memory")
  .action(() => run(() => control(g(), '/offload', {}, out, env))());
program
  .command('onload')
  .description("resume the engines' memory and continue")
  .action(() => run(() => control(g(), '/onload', {}, out, env))());
program
  .command('models')
  .description('the models the gateway serves')
  .option('--json', 'as JSON')
  .action((o: { json?: boolean }) => run(() => models(g(), o, out, env))());
program
  .command('register')
  .description('add a data proxy to the router, or start one for a running engine')
  .option('--data-proxy <url>', 'a running data proxy')
  .option('--engine <url>', 'a running SGLang/vLLM engine: a data proxy is started for it')
  .option('--timeout <s>', 'how long to wait for a started data proxy', nonNegativeInteger, '60')
  .action((o: { dataProxy?: string; engine?: string; timeout: string }) => run(() => register(g(), o, out, env))());
program
  .command('deregister')
  .description('remove a data proxy from the router')
  .requiredOption('--data-proxy <url>', 'the data proxy')
  .action((o: { dataProxy: string }) => run(() => deregister(g(), o, out, env))());
program
  .command('trajectories')
  .description('ready trajectories')
  .command('wait')
  .description('take ready trajectories from the online queue (exported as JSON)')
  .option('--count <n>', 'how many', nonNegativeInteger, '1')
  .option('--timeout <s>', 'give up after', nonNegativeInteger, '30')
  .option('--json', 'the whole answer as JSON')
  .action((o: { count: string; timeout: string; json?: boolean }) => run(() => waitTrajectories(g(), o, out, env))());

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

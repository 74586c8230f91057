import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { listeningPort } from '@app/common/lite';
import { CliError } from '../controller-client.js';
import { StackState } from '../stack-state.js';
import {
  adminKeyOf,
  APPS,
  awaitStartup,
  connect,
  nonNegativeInteger,
  spawnLogged,
  type CommandContext,
  type GlobalOptions,
} from './command-support.js';

interface RegisterOptions {
  dataProxy?: string;
  engine?: string;
  timeout: string;
}

export function addRegisterCommand(program: Command, cli: CommandContext): void {
  program
    .command('register')
    .description('add a data proxy to the router, or start one for a running engine')
    .option('--data-proxy <url>', 'a running data proxy')
    .option('--engine <url>', 'a running SGLang/vLLM engine: a data proxy is started for it')
    .option('--timeout <s>', 'how long to wait for a started data proxy', nonNegativeInteger, '60')
    .action((options: RegisterOptions) => cli.run(() => register(cli.global(), options, cli)));
}

/**
 * `register`: adds a data proxy to the router, or (`--engine`) starts a data proxy for a running
 * engine that registers itself with the router (its log goes to the state directory). That one
 * outlives the command on purpose: `deregister` stops it.
 */
async function register(global: GlobalOptions, options: RegisterOptions, { out, env }: CommandContext) {
  if (!options.dataProxy === !options.engine)
    throw new CliError('give exactly one of --data-proxy URL or --engine URL', 2);
  const client = connect(global, env);
  const router = (await client.status()).router.addr;
  if (options.dataProxy) {
    await client.call('POST', '/register', { worker_addr: options.dataProxy }, router);
    out.line(`registered data proxy ${options.dataProxy} with the router`);
    return 0;
  }
  const state = new StackState(global.stateDir, env);
  const logDir = state.read()?.log_dir ?? state.logDir;
  const name = `data-proxy-${new URL(options.engine!).port || 'engine'}`;
  const file = join(logDir, `${name}.log`);
  mkdirSync(logDir, { recursive: true });
  // Only what this start writes counts: the log may hold an earlier run's listening line.
  const startOffset = existsSync(file) ? statSync(file).size : 0;
  const adminKey = adminKeyOf(global, env, state.read()?.admin_api_key);
  const child = spawnLogged(
    join(APPS, 'data-proxy', 'main.js'),
    ['--port', '0', '--backend-addr', options.engine!, '--router-addr', router, '--admin-api-key', adminKey],
    file,
  );
  const port = await awaitStartup({
    child,
    logFile: file,
    logLines: 20,
    timeoutS: Number(options.timeout),
    intervalMs: 100,
    probe: () =>
      readFileSync(file, 'utf8')
        .slice(startOffset)
        .split('\n')
        .map(listeningPort)
        .find((p) => p !== null) ?? null,
    exited: (log) => new CliError(`the data proxy exited; its log:\n${log}`),
    timedOut: () => new CliError(`the data proxy is not listening after ${options.timeout} s (see ${file})`),
  });
  const record = state.read();
  if (record)
    state.write({
      ...record,
      started_proxies: [...(record.started_proxies ?? []), { addr: `http://127.0.0.1:${port}`, pid: child.pid! }],
    });
  out.line(
    `started data proxy http://127.0.0.1:${port} (pid ${child.pid}) for engine ${options.engine}; it registers itself with the router; log: ${file}`,
  );
  return 0;
}

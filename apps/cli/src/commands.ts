// One unit over 300 lines: every verb of the `rollout` CLI, each a few lines over the controller's
// API and the state directory; split, they would share nothing but the helpers at the top.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, listeningPort } from '@app/common/lite';
import type {
  BroadcastResponseDto,
  ControllerStatusResponseDto,
  LaunchedProcessDto,
  OpenAiModelListDto,
} from '@app/contracts';
import { CliError, ControllerClient } from './controller-client.js';
import { progressLine, table, type Output } from './output.js';
import type { CliEnvironment } from './config/cli-environment.js';
import { isAlive, StackState, type StackRecord } from './stack-state.js';

/** The built services, next to this file in dist/apps. */
const APPS = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_ADMIN_KEY = 'areal-admin-key';
const DEFAULT_CONFIG = join(APPS, '..', '..', 'configs', 'local-sim.yaml');

export interface GlobalOptions {
  stateDir?: string;
  controller?: string;
  adminKey?: string;
}

/** The admin key: `--admin-key`, else $ROLLOUT_ADMIN_KEY, else the one `up` recorded, else the default. */
function adminKeyOf(global: GlobalOptions, env: CliEnvironment, recorded: string | undefined): string {
  return global.adminKey ?? env.adminKey ?? recorded ?? DEFAULT_ADMIN_KEY;
}

/** The stack the commands talk to: flags first, then the state `rollout up` wrote. */
export function connect(global: GlobalOptions, env: CliEnvironment): ControllerClient {
  const state = new StackState(global.stateDir, env);
  const record = state.read();
  const url = global.controller ?? record?.controller_url;
  if (!url)
    throw new CliError(`no stack recorded in ${state.dir}: start one with "rollout up -d", or pass --controller`);
  const key = adminKeyOf(global, env, record?.admin_api_key);
  return new ControllerClient(url.replace(/\/$/, ''), key);
}

/** A JSON value as a short readable text. */
const text = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value ?? '');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value of `--flag` in a list of pass-through controller flags, if given. */
function flagValue(flags: readonly string[], name: string): string | undefined {
  const at = flags.findIndex((f) => f === name || f.startsWith(`${name}=`));
  if (at < 0) return undefined;
  return flags[at].includes('=') ? flags[at].slice(name.length + 1) : flags[at + 1];
}

/**
 * `up`: the controller (which launches and supervises the whole stack) in the foreground, as
 * `npm start` does, or detached (`-d`), logging to the state directory; either way the state
 * directory records where it is. Detached, it waits until the stack is ready, with a progress bar
 * of the services that are up.
 */
export async function up(
  global: GlobalOptions,
  options: { detach?: boolean; timeout: string },
  controllerFlags: string[],
  out: Output,
  env: CliEnvironment,
): Promise<number> {
  const state = new StackState(global.stateDir, env);
  const existing = state.read();
  if (existing && isAlive(existing.pid))
    throw new CliError(
      `a stack is already up (controller pid ${existing.pid}, ${existing.controller_url}): rollout down first`,
    );
  // As `npm start`: the engine-sim stack of configs/local-sim.yaml unless a config is given.
  const flags =
    flagValue(controllerFlags, '--config') === undefined
      ? ['--config', DEFAULT_CONFIG, ...controllerFlags]
      : [...controllerFlags];
  const requestedPort = flagValue(flags, '--port');
  // The controller's address must be known before it starts: a free port is picked for `--port 0`.
  let port = requestedPort === undefined ? 8090 : Number(requestedPort);
  if (port === 0) {
    port = await freePort();
    const at = flags.indexOf('--port');
    if (at >= 0) flags[at + 1] = String(port);
    else flags.push(`--port=${port}`);
  } else if (requestedPort === undefined) flags.push('--port', String(port));
  const adminKey = global.adminKey ?? flagValue(flags, '--admin-api-key') ?? adminKeyOf(global, env, undefined);
  if (flagValue(flags, '--admin-api-key') === undefined) flags.push('--admin-api-key', adminKey);
  if (flagValue(flags, '--log-dir') === undefined) flags.push('--log-dir', state.logDir);
  const logDir = flagValue(flags, '--log-dir')!;
  mkdirSync(logDir, { recursive: true });
  const host = flagValue(flags, '--host') ?? '127.0.0.1';
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const main = join(APPS, 'controller', 'main.js');
  const record = (pid: number): StackRecord => ({
    controller_url: url,
    pid,
    admin_api_key: adminKey,
    log_dir: logDir,
    detached: options.detach === true,
    started_at: new Date().toISOString(),
  });

  if (!options.detach) {
    const child = spawn(process.execPath, [main, ...flags], { stdio: 'inherit' });
    state.write(record(child.pid!));
    // Ctrl+C reaches the controller too (same process group); it stops the stack, then we go.
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    process.on('SIGINT', forward('SIGINT')).on('SIGTERM', forward('SIGTERM'));
    const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
    state.clear();
    return code;
  }

  const logFile = join(logDir, 'controller.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [main, ...flags], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  state.write(record(child.pid!));
  const client = new ControllerClient(url, adminKey);
  const deadline = Date.now() + Number(options.timeout) * 1000;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  for (;;) {
    if (exited !== null || !isAlive(child.pid!)) {
      state.clear();
      throw new CliError(`the controller exited during startup; its log:\n${tail(logFile, 30).join('\n')}`);
    }
    const status = await client.status().catch(() => null);
    if (status) {
      const running = status.processes.filter((p) => p.state === 'running').length;
      out.progress(progressLine('services up', running, Math.max(status.processes.length, running)));
      if (status.state === 'ready') break;
      if (status.state === 'failed') {
        out.progressDone();
        throw new CliError(`the stack failed to start: ${status.error ?? 'unknown error'} (rollout logs controller)`);
      }
    }
    if (Date.now() > deadline) {
      out.progressDone();
      throw new CliError(`the stack is not ready after ${options.timeout} s (rollout logs controller; rollout down)`);
    }
    await sleep(200);
  }
  out.progressDone();
  const status = await client.status();
  out.line(`stack up: controller ${url} (pid ${child.pid}), gateway ${status.gateway.addr}`);
  out.line(`state in ${state.dir}; logs in ${logDir}; stop it with: rollout down`);
  return 0;
}

/** `down`: asks the controller to stop the stack, then waits for it to exit. */
export async function down(
  global: GlobalOptions,
  options: { timeout: string },
  out: Output,
  env: CliEnvironment,
): Promise<number> {
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
export async function status(
  global: GlobalOptions,
  options: { json?: boolean },
  out: Output,
  env: CliEnvironment,
): Promise<number> {
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

/** `ps`: the processes the controller launched, with pids, ports, states and restarts. */
export async function ps(
  global: GlobalOptions,
  options: { json?: boolean },
  out: Output,
  env: CliEnvironment,
): Promise<number> {
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

/** The last `count` lines of a file. */
function tail(file: string, count: number): string[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count);
}

/** `logs <component>`: a component's log (`controller`, `gateway`, `router`, `data-proxy-0`, `engine-0`, …). */
export async function logs(
  global: GlobalOptions,
  component: string,
  options: { follow?: boolean; lines: string },
  out: Output,
  env: CliEnvironment,
  signal: AbortSignal,
): Promise<number> {
  const state = new StackState(global.stateDir, env);
  const dir = state.read()?.log_dir ?? state.logDir;
  const file = join(dir, `${component}.log`);
  if (!existsSync(file)) {
    const known = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.log'))
          .map((f) => f.slice(0, -4))
      : [];
    throw new CliError(`no log for "${component}" in ${dir}; known: ${known.sort().join(', ') || 'none'}`);
  }
  for (const line of tail(file, Number(options.lines))) out.line(line);
  if (!options.follow) return 0;
  let offset = statSync(file).size;
  let partial = '';
  while (!signal.aborted) {
    await sleep(200);
    const size = statSync(file).size;
    if (size < offset) offset = 0;
    if (size === offset) continue;
    const fd = openSync(file, 'r');
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    closeSync(fd);
    offset = size;
    const text = partial + buffer.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) out.line(line);
  }
  return 0;
}

/** The control verbs: each one call of the controller's control API, its broadcast summarised. */
export async function control(
  global: GlobalOptions,
  path: '/pause' | '/continue' | '/offload' | '/onload' | '/set_version',
  body: Record<string, unknown>,
  out: Output,
  env: CliEnvironment,
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

/** `models`: what the gateway serves. */
export async function models(
  global: GlobalOptions,
  options: { json?: boolean },
  out: Output,
  env: CliEnvironment,
): Promise<number> {
  const client = connect(global, env);
  const answer = await client.call<OpenAiModelListDto>(
    'GET',
    '/v1/models',
    undefined,
    (await client.status()).gateway.addr,
  );
  const ids = (answer.data ?? []).map((m) => m.id);
  if (options.json) out.json(answer.data ?? []);
  else out.line(ids.length > 0 ? ids.join('\n') : '(no models)');
  return 0;
}

/**
 * `register`: adds a data proxy to the router, or (`--engine`) starts a data proxy for a running
 * engine that registers itself with the router (its log goes to the state directory).
 */
export async function register(
  global: GlobalOptions,
  options: { dataProxy?: string; engine?: string; timeout: string },
  out: Output,
  env: CliEnvironment,
): Promise<number> {
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
  const fd = openSync(file, 'a');
  const adminKey = adminKeyOf(global, env, state.read()?.admin_api_key);
  const child = spawn(
    process.execPath,
    [
      join(APPS, 'data-proxy', 'main.js'),
      '--port',
      '0',
      '--backend-addr',
      options.engine!,
      '--router-addr',
      router,
      '--admin-api-key',
      adminKey,
    ],
    { detached: true, stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  child.unref();
  const deadline = Date.now() + Number(options.timeout) * 1000;
  for (;;) {
    const port = readFileSync(file, 'utf8')
      .slice(startOffset)
      .split('\n')
      .map(listeningPort)
      .find((p) => p !== null);
    if (port) {
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
    if (!isAlive(child.pid!)) throw new CliError(`the data proxy exited; its log:\n${tail(file, 20).join('\n')}`);
    if (Date.now() > deadline)
      throw new CliError(`the data proxy is not listening after ${options.timeout} s (see ${file})`);
    await sleep(100);
  }
}

/** `deregister`: removes a data proxy from the router (its sessions are unpinned). */
export async function deregister(
  global: GlobalOptions,
  options: { dataProxy: string },
  out: Output,
  env: CliEnvironment,
): Promise<number> {
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

/**
 * `trajectories wait`: takes `count` ready trajectories from the controller's online queue (the
 * export happens there), with a progress bar of the queue while it waits.
 */
export async function waitTrajectories(
  global: GlobalOptions,
  options: { count: string; timeout: string; json?: boolean },
  out: Output,
  env: CliEnvironment,
): Promise<number> {
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

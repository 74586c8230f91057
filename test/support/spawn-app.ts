import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { listeningPort } from '@app/common/testing';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnedApp {
  name: string;
  url: string;
  port: number;
  process: ChildProcess;
  /** Every stdout/stderr line so far (JSON log lines and anything else). */
  logs: string[];
  /** SIGTERM, then waits for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Starts `node dist/apps/<app>/main.js --port 0 [args]` as a real process and resolves once it
 * logs its `listening` line (which carries the port it bound).
 */
/**
 * How long a service may take to listen. Alone it takes 3–4 s (most of it loading its tokenizer);
 * at the start of `test/e2e`, two Jest workers compile their suites and start several services each
 * on two cores, and a data proxy once took more than 15 s (CI, 2026-12-08).
 */
const START_TIMEOUT_MS = 30_000;

export function spawnApp(app: string, args: string[] = [], options: SpawnOptions = {}): Promise<SpawnedApp> {
  const child = spawn(process.execPath, [`dist/apps/${app}/main.js`, '--port', '0', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise<SpawnedApp>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${app} did not start within ${options.timeoutMs ?? START_TIMEOUT_MS} ms:\n${logs.join('\n')}`));
    }, options.timeoutMs ?? START_TIMEOUT_MS);
    const onLine = (line: string): void => {
      logs.push(line);
      const port = listeningPort(line);
      if (port === null) return;
      clearTimeout(timer);
      resolve({
        name: app,
        url: `http://127.0.0.1:${port}`,
        port,
        process: child,
        logs,
        stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${app} exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });
}

/** Runs an app to completion (for flag errors) and returns its exit code and output. */
export function runApp(
  app: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`dist/apps/${app}/main.js`, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** A controller in attach mode over services the test started itself. */
export function spawnAttachedController(
  adminKey: string,
  services: { gateway: SpawnedApp; router: SpawnedApp; dataProxies: SpawnedApp[] },
  options: SpawnOptions = {},
): Promise<SpawnedApp> {
  return spawnApp(
    'controller',
    [
      '--admin-api-key',
      adminKey,
      '--mode',
      'attach',
      '--gateway-addr',
      services.gateway.url,
      '--router-addr',
      services.router.url,
      '--data-proxy-addrs',
      services.dataProxies.map((p) => p.url).join(','),
    ],
    options,
  );
}

/**
 * A controller in local mode with everything it launches (engine-sim engines, router, data
 * proxies, gateway), on free ports, logging into a temporary folder; resolves once the whole
 * stack is ready. `env` is added to the environment the controller and all it launches inherit.
 */
export async function spawnLocalStack(
  adminKey: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<SpawnedApp> {
  const controller = await spawnApp(
    'controller',
    [
      '--admin-api-key',
      adminKey,
      '--gateway-port',
      '0',
      '--poll-interval',
      '0.2',
      '--log-dir',
      mkdtempSync(join(tmpdir(), 'stack-')),
      ...args,
    ],
    { env },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await request(`${controller.url}/health/ready`).catch(() => null);
    const ok = res?.statusCode === 200;
    await res?.body.dump();
    if (ok) return controller;
    if (Date.now() > deadline || controller.process.exitCode !== null) {
      await controller.stop();
      throw new Error(`the stack did not become ready:\n${controller.logs.slice(-30).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * engine-sim with `decodeMs` per token and no prefill time (tests time decoding, not prompts),
 * plus `flags` (a mode, fault injection, memory release, ...).
 */
export function spawnEngineSim(decodeMs: number, flags: string[] = []): Promise<SpawnedApp> {
  return spawnApp('engine-sim', ['--decode-ms-per-token', String(decodeMs), '--prefill-us-per-token', '0', ...flags]);
}

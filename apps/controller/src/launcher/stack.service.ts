import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_OPTIONS, HttpClient } from '@app/common';
import { parseBackend, type ControllerOptions } from '../config/controller-options.js';
import { ManagedProcess, type ProcessSpec } from './managed-process.js';
import { freePort } from './free-port.js';
import type {
  RegisterModelRequestDto,
  RegisterWorkerRequestDto,
  RegisterWorkerResponseDto,
  WorkersResponseDto,
} from '@app/contracts';

export type StackState = 'starting' | 'ready' | 'failed' | 'stopping' | 'stopped';

export interface DataProxyEntry {
  index: number;
  addr: string;
  workerId: string | null;
}

/**
 * The stack the controller drives. Local mode launches it (engines and router first, in
 * parallel; then the data proxies and the gateway, in parallel; then registration); attach mode
 * takes the addresses of services that already run. Either way the result is the same topology:
 * one gateway, one router, N data proxies with their router worker ids.
 */
@Injectable()
export class StackService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(StackService.name);
  state: StackState = 'starting';
  error: string | null = null;
  gatewayAddr = '';
  routerAddr = '';
  dataProxies: DataProxyEntry[] = [];
  engineAddrs: string[] = [];
  readonly processes: ManagedProcess[] = [];
  private selfUrl = '';
  private discoverDataProxies = false;
  private workerWatch: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  /** The journal folder this stack created (removed at shutdown), if it made one. */
  private ownStateDir: string | null = null;
  private readonly started: Promise<void>;
  private markStarted: () => void = () => undefined;

  constructor(
    @Inject(APP_OPTIONS) private readonly options: ControllerOptions,
    private readonly http: HttpClient,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.started = new Promise((resolve) => (this.markStarted = resolve));
  }

  /** Resolves once the stack is up (or failed). */
  whenStarted(): Promise<void> {
    return this.started;
  }

  onApplicationBootstrap(): void {
    // The data proxies call the controller back, so the stack starts once its own port is known.
    const server = this.adapterHost.httpAdapter.getHttpServer() as import('node:http').Server;
    server.once('listening', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : this.options.port;
      const host = this.options.host === '0.0.0.0' || this.options.host === '::' ? '127.0.0.1' : this.options.host;
      this.selfUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      void this.bringUp();
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.shutdown();
  }

  /** Ordered and idempotent: gateway, data proxies, router, engines. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopping';
      if (this.workerWatch) clearInterval(this.workerWatch);
      for (const role of ['gateway', 'data-proxy', 'router', 'engine'] as const) {
        await Promise.all(this.processes.filter((p) => p.spec.role === role).map((p) => p.stop()));
      }
      // A folder we made for this stack's journals goes with it; one the user named stays.
      if (this.ownStateDir) rmSync(this.ownStateDir, { recursive: true, force: true });
      this.state = 'stopped';
    })();
    return this.stopping;
  }

  private async bringUp(): Promise<void> {
    try {
      if (this.options.mode === 'attach') await this.attach();
      else await this.launchLocal();
      await this.registerDataProxies();
      await this.registerModel();
      this.state = 'ready';
      this.announce();
    } catch (err) {
      this.state = 'failed';
      this.error = err instanceof Error ? err.message : String(err);
      this.logger.fatal({ err: this.error }, 'stack failed to start');
      for (const p of this.processes.filter((p) => p.state === 'failed')) {
        process.stderr.write(`--- last lines of ${p.name} ---\n${p.tail().join('\n')}\n`);
      }
      await this.shutdown();
      process.exit(1);
    } finally {
      this.markStarted();
    }
  }

  private async attach(): Promise<void> {
    const { 'gateway-addr': gateway, 'router-addr': router, 'data-proxy-addrs': proxies } = this.options;
    if (!gateway || !router) throw new Error('attach mode needs --gateway-addr and --router-addr');
    this.gatewayAddr = trimSlash(gateway);
    this.routerAddr = trimSlash(router);
    // Without --data-proxy-addrs the data proxies are whatever registered with the router (they
    // register themselves with --router-addr): scaling them needs no controller action.
    this.discoverDataProxies = proxies.length === 0;
    this.dataProxies = proxies.map((addr, index) => ({ index, addr: trimSlash(addr), workerId: null }));
    await Promise.all(
      [this.gatewayAddr, this.routerAddr, ...this.dataProxies.map((d) => d.addr)].map((addr) => this.waitHealthy(addr)),
    );
    await this.refreshWorkers();
    if (!this.discoverDataProxies) return;
    const deadline = Date.now() + this.options['setup-timeout'] * 1000;
    while (this.dataProxies.length === 0) {
      if (Date.now() > deadline) throw new Error('no data proxy registered with the router in time');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await this.refreshWorkers();
    }
    this.watchWorkers();
  }

  /** Discovery mode: follows the router's worker list, re-registering the model when it changes. */
  private watchWorkers(): void {
    let known = this.dataProxies.map((d) => d.addr).join(',');
    const tick = async (): Promise<void> => {
      await this.refreshWorkers();
      const now = this.dataProxies.map((d) => d.addr).join(',');
      if (now !== known && this.state === 'ready' && this.dataProxies.length > 0) {
        this.logger.log({ dataProxies: this.dataProxies.map((d) => d.addr) }, 'data proxies changed');
        await this.registerModel().catch((err: unknown) =>
          this.logger.warn({ err: String(err) }, 'model re-registration failed'),
        );
      }
      known = now;
    };
    this.workerWatch = setInterval(() => void tick(), this.options['poll-interval'] * 1000);
    this.workerWatch.unref();
  }

  /**
   * Reads the router's worker list: worker ids are the router's (a restarted router hands out new
   * ones), and in discovery mode the list of data proxies is the router's too. Kept as it was when
   * the router cannot be asked.
   */
  async refreshWorkers(): Promise<void> {
    if (!this.routerAddr) return;
    let workers: WorkersResponseDto['workers'];
    try {
      const res = await this.http.requestJson<Partial<WorkersResponseDto>>({
        method: 'GET',
        url: `${this.routerAddr}/workers`,
        headers: this.adminHeaders(),
        timeoutMs: 5_000,
        upstreamName: 'router',
      });
      if (res.status !== 200 || !Array.isArray(res.json?.workers)) return;
      workers = res.json.workers;
    } catch {
      return;
    }
    const idByAddr = new Map(workers.map((w) => [trimSlash(w.addr), w.worker_id]));
    if (this.discoverDataProxies) {
      this.dataProxies = workers.map((w, index) => ({ index, addr: trimSlash(w.addr), workerId: w.worker_id }));
      return;
    }
    for (const entry of this.dataProxies) entry.workerId = idByAddr.get(entry.addr) ?? null;
  }

  private async launchLocal(): Promise<void> {
    const o = this.options;
    // External model mode (`api-url`): no engines, one data proxy that forwards to the provider.
    const external = o['api-url'] !== '';
    const backend = external ? { kind: 'sim' as const, count: 0 } : parseBackend(o.backend);
    const admin = ['--admin-api-key', o['admin-api-key'], '--log-level', o['log-level']];

    const engines: ManagedProcess[] = [];
    for (let i = 0; i < backend.count; i++) {
      if (backend.kind === 'sim') {
        // Launched as a real engine should be for RL: memory release works (SGLang
        // --enable-memory-saver; vLLM dev mode and sleep mode).
        engines.push(
          this.ourService('engine', i, 'engine-sim', [
            '--enable-memory-saver',
            '--vllm-server-dev-mode',
            '--enable-sleep-mode',
            ...splitArgs(o['engine-sim-args']),
          ]),
        );
      } else {
        if (!o['engine-command']) throw new Error(`--backend ${o.backend} needs --engine-command`);
        const port = await freePort();
        const command = o['engine-command']
          .replaceAll('{host}', '127.0.0.1')
          .replaceAll('{port}', String(port))
          .replaceAll('{model}', o.model)
          .replaceAll('{index}', String(i));
        engines.push(
          this.manage({
            role: 'engine',
            index: i,
            command: '/bin/sh',
            args: ['-c', command],
            readiness: 'health',
            port,
          }),
        );
      }
    }
    const router = this.ourService('router', 0, 'router', [
      ...admin,
      '--routing-strategy',
      o['routing-strategy'],
      '--poll-interval',
      String(o['poll-interval']),
    ]);
    await Promise.all([...engines, router].map((p) => p.start()));
    this.engineAddrs = engines.map((e) => e.url);
    this.routerAddr = router.url;

    const backendType = backend.kind === 'vllm' ? 'vllm' : 'sglang';
    // Journals outlive a data proxy's crash (the controller restarts it on the same port and it
    // recovers its sessions); without --state-dir not the stack: a fresh `npm start` starts clean.
    const stateDir = o['state-dir'] || (this.ownStateDir = mkdtempSync(join(tmpdir(), 'rollout-state-')));
    const backendAddrs = external ? [''] : engines.map((engine) => engine.url);
    const proxies = backendAddrs.map((backendAddr, i) =>
      this.ourService('data-proxy', i, 'data-proxy', [
        ...admin,
        '--backend-addr',
        backendAddr,
        '--backend-type',
        backendType,
        '--request-timeout',
        String(o['request-timeout']),
        '--set-reward-finish-timeout',
        String(o['set-reward-finish-timeout']),
        '--callback-server-addr',
        this.selfUrl,
        '--router-addr',
        router.url,
        // Every session's ready trajectories: external agents' sessions feed online episodes, and
        // agent episodes with a finish timeout learn when theirs is final (no polling).
        '--callback-all-sessions',
        '--tool-call-parser',
        o['tool-call-parser'],
        '--reasoning-parser',
        o['reasoning-parser'],
        '--chat-template-type',
        o['chat-template-type'],
        ...(o['tokenizer-path'] ? ['--tokenizer-path', o['tokenizer-path']] : []),
        ...(o['engine-max-tokens'] !== undefined ? ['--engine-max-tokens', String(o['engine-max-tokens'])] : []),
        '--vllm-pause-api',
        o['vllm-pause-api'],
        '--state-dir',
        join(stateDir, `data-proxy-${i}`),
        '--export-schema',
        o['export-schema'],
        ...(o['deterministic-sampling'] ? ['--deterministic-sampling'] : []),
        ...(o['backend-api-key'] ? ['--backend-api-key', o['backend-api-key']] : []),
        ...(o['backend-admin-api-key'] ? ['--backend-admin-api-key', o['backend-admin-api-key']] : []),
      ]),
    );
    const gateway = this.ourService(
      'gateway',
      0,
      'gateway',
      [...admin, '--router-addr', router.url, '--forward-timeout', String(o['gateway-forward-timeout'])],
      o['gateway-port'],
    );
    await Promise.all([...proxies, gateway].map((p) => p.start()));
    this.dataProxies = proxies.map((p, index) => ({ index, addr: p.url, workerId: null }));
    this.gatewayAddr = gateway.url;
  }

  /** One of this repository's apps, started with `--port <port>` (0 the first time: any free port). */
  private ourService(role: ProcessSpec['role'], index: number, app: string, args: string[], port = 0): ManagedProcess {
    const main = resolvePath(dirname(process.argv[1]), '..', app, 'main.js');
    return this.manage({
      role,
      index,
      command: process.execPath,
      args: [main, '--host', '127.0.0.1', '--port', String(port), '--exit-with-stdin', ...args],
      readiness: 'listening-line',
      port,
    });
  }

  private manage(spec: ProcessSpec): ManagedProcess {
    const managed = new ManagedProcess(spec, this.options['log-dir'], {
      setupTimeoutMs: this.options['setup-timeout'] * 1000,
      restart: this.options['restart-children'],
      restartBackoffMaxMs: this.options['restart-backoff-max'] * 1000,
      echo: (line) => process.stdout.write(`${line}\n`),
      onRestarted: (p) => void this.onRestarted(p),
      probeHealth: (url) => this.probe(url),
    });
    this.processes.push(managed);
    return managed;
  }

  private async onRestarted(p: ManagedProcess): Promise<void> {
    if (p.spec.role === 'router') {
      // A restarted router knows nothing: give it the data proxies and the model again (the data
      // proxies' heartbeats would too, within a heartbeat interval).
      await this.registerDataProxies()
        .then(() => this.registerModel())
        .catch((err: unknown) =>
          this.logger.warn({ err: String(err) }, 're-registration after a router restart failed'),
        );
      return;
    }
    if (p.spec.role !== 'data-proxy') return;
    // Its sessions died with it; re-register so the router routes to it again at once.
    const entry = this.dataProxies.find((d) => d.addr === p.url);
    if (entry)
      await this.registerOne(entry).catch((err: unknown) =>
        this.logger.warn({ err: String(err) }, 're-register failed'),
      );
  }

  private async registerDataProxies(): Promise<void> {
    await Promise.all(this.dataProxies.map((entry) => this.registerOne(entry)));
  }

  private async registerOne(entry: DataProxyEntry): Promise<void> {
    const res = await this.http.requestJson<Partial<RegisterWorkerResponseDto>>({
      method: 'POST',
      url: `${this.routerAddr}/register`,
      headers: this.adminHeaders(),
      json: { worker_addr: entry.addr } satisfies RegisterWorkerRequestDto,
      timeoutMs: 5_000,
      upstreamName: 'router',
    });
    if (res.status !== 200 || !res.json?.worker_id)
      throw new Error(`router refused to register ${entry.addr}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    entry.workerId = res.json.worker_id;
  }

  private async registerModel(): Promise<void> {
    const res = await this.http.requestJson({
      method: 'POST',
      url: `${this.gatewayAddr}/register_model`,
      headers: this.adminHeaders(),
      json: {
        model: this.options.model,
        url: this.options['api-url'],
        api_key: this.options['provider-api-key'] || null,
        data_proxy_addrs: this.dataProxies.map((d) => d.addr),
      } satisfies RegisterModelRequestDto,
      timeoutMs: this.options['request-timeout'] * 1000,
      upstreamName: 'gateway',
    });
    if (res.status !== 200) throw new Error(`model registration failed: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  }

  private async waitHealthy(addr: string): Promise<void> {
    const deadline = Date.now() + this.options['setup-timeout'] * 1000;
    while (!(await this.probe(`${addr}/health`))) {
      if (Date.now() > deadline) throw new Error(`${addr} is not healthy within ${this.options['setup-timeout']} s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async probe(url: string): Promise<boolean> {
    try {
      const res = await this.http.request({ method: 'GET', url, timeoutMs: 2_000, maxResponseBytes: 1024 * 1024 });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  adminHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.options['admin-api-key']}` };
  }

  private announce(): void {
    const gw = this.gatewayAddr;
    this.logger.log(
      {
        gateway: gw,
        router: this.routerAddr,
        dataProxies: this.dataProxies.map((d) => d.addr),
        engines: this.engineAddrs,
        controller: this.selfUrl,
      },
      'stack ready',
    );
    const lines = [
      '',
      `  Stack ready (${this.options.mode} mode).`,
      `  Gateway (OpenAI-compatible):  ${gw}/v1          Swagger: ${gw}/docs`,
      `  Controller (trainer API):     ${this.selfUrl}    Swagger: ${this.selfUrl}/docs`,
      this.options['admin-api-key'] === DEFAULT_ADMIN_KEY
        ? `  export ADMIN_KEY=${DEFAULT_ADMIN_KEY}     (the default key: set admin_api_key before exposing anything)`
        : '  export ADMIN_KEY=<your admin_api_key>',
      '',
      '  Try it:',
      `    curl -s ${gw}/v1/chat/completions -H "authorization: Bearer $ADMIN_KEY" -H 'content-type: application/json' \\`,
      `      -d '{"model":"${this.options.model}","messages":[{"role":"user","content":"Hello"}]}'`,
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

/** The reference's well-known default; printing it reveals nothing. A configured key is never printed. */
const DEFAULT_ADMIN_KEY = 'areal-admin-key';

function trimSlash(addr: string): string {
  return addr.replace(/\/+$/, '');
}

function splitArgs(value: string): string[] {
  return value.split(/\s+/).filter(Boolean);
}

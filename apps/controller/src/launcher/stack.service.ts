import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_OPTIONS, HttpClient } from '@app/common';
import type { ControllerOptions } from '../config/controller-options.js';
import { LocalLauncher } from './local-launcher.js';
import type { ManagedProcess } from './managed-process.js';
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
  /** What failed when the stack could not start (their last lines are worth printing). */
  failedProcesses: ManagedProcess[] = [];
  private launcher: LocalLauncher | null = null;
  private selfUrl = '';
  private discoverDataProxies = false;
  private workerWatch: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
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
      await this.launcher?.stop();
      this.state = 'stopped';
    })();
    return this.stopping;
  }

  /** The processes local mode launched (none in attach mode). */
  get processes(): readonly ManagedProcess[] {
    return this.launcher?.processes ?? [];
  }

  /** The controller's own address (where the data proxies call back). */
  get controllerUrl(): string {
    return this.selfUrl;
  }

  private async bringUp(): Promise<void> {
    try {
      if (this.options.mode === 'attach') await this.attach();
      else await this.launchLocal();
      await this.registerDataProxies();
      await this.registerModel();
      this.state = 'ready';
      this.logger.log(
        {
          gateway: this.gatewayAddr,
          router: this.routerAddr,
          dataProxies: this.dataProxies.map((d) => d.addr),
          engines: this.engineAddrs,
          controller: this.selfUrl,
        },
        'stack ready',
      );
    } catch (err) {
      // main.ts reports it (with the last lines of what failed) and exits; the stack is stopped here.
      this.failedProcesses = this.processes.filter((p) => p.state === 'failed');
      this.state = 'failed';
      this.error = err instanceof Error ? err.message : String(err);
      this.logger.fatal({ err: this.error }, 'stack failed to start');
      await this.shutdown();
      this.state = 'failed';
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
    const deadline = Date.now() + this.options.ms['setup-timeout'];
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
    this.workerWatch = setInterval(() => void tick(), this.options.ms['poll-interval']);
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
    this.launcher = new LocalLauncher(this.options, this.selfUrl, {
      onRestarted: (p) => void this.onRestarted(p),
      probe: (url) => this.probe(url),
    });
    const launched = await this.launcher.launch();
    this.engineAddrs = launched.engineAddrs;
    this.routerAddr = launched.routerAddr;
    this.dataProxies = launched.dataProxyAddrs.map((addr, index) => ({ index, addr, workerId: null }));
    this.gatewayAddr = launched.gatewayAddr;
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
      timeoutMs: this.options.ms['request-timeout'],
      upstreamName: 'gateway',
    });
    if (res.status !== 200) throw new Error(`model registration failed: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  }

  private async waitHealthy(addr: string): Promise<void> {
    const deadline = Date.now() + this.options.ms['setup-timeout'];
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
}

function trimSlash(addr: string): string {
  return addr.replace(/\/+$/, '');
}

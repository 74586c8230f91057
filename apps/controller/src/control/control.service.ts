import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_OPTIONS, AppException, ErrorCode, HttpClient, isJsonObject } from '@app/common';
import type { ControllerOptions } from '../config/controller-options.js';
import { GatewayClient, type BroadcastOp } from '../clients/gateway-client.js';
import { RouterClient } from '../clients/router-client.js';
import { StackService } from '../launcher/stack.service.js';
import { ReadyQueueService } from '../online/ready-queue.service.js';
import type { BroadcastResponseDto, BroadcastTargetResultDto, ControllerStatusResponseDto } from '@app/contracts';

export type ControlEvent = { kind: 'version'; version: number } | { kind: 'pause' } | { kind: 'continue' };

/** The trainer's operations on the whole stack, carried out through the gateway. */
@Injectable()
export class ControlService {
  private readonly logger = new Logger(ControlService.name);
  /** The weight version the trainer last set successfully (the reference's controller keeps it too). */
  version = 0;
  paused = false;
  offloaded = false;
  private readonly listeners = new Set<(event: ControlEvent) => void>();

  constructor(
    @Inject(APP_OPTIONS) private readonly options: ControllerOptions,
    private readonly http: HttpClient,
    private readonly stack: StackService,
    private readonly ready: ReadyQueueService,
    private readonly gateway: GatewayClient,
    private readonly router: RouterClient,
  ) {}

  requireReady(): void {
    if (this.stack.state !== 'ready')
      throw new AppException(503, ErrorCode.SERVICE_UNAVAILABLE, `the stack is ${this.stack.state}`);
  }

  /**
   * Sends one operation to every data proxy through the gateway, in parallel, each with its own
   * timeout. Succeeds when at least one target did (all of them with `--strict-broadcast` or
   * `strict: true`); the answer lists every target's result either way.
   */
  async broadcast(op: BroadcastOp, body: unknown, strict: boolean): Promise<BroadcastResponseDto> {
    this.requireReady();
    // Pause stops new episodes before the engines stop; a failed pause takes that back.
    if (op === 'pause_generation') this.emit({ kind: 'pause' });
    try {
      return await this.broadcastNow(op, body, strict);
    } catch (err) {
      if (op === 'pause_generation' && !this.paused) this.emit({ kind: 'continue' });
      throw err;
    }
  }

  /** Listens to version changes and pause/continue (the rollout executor follows them). */
  onControl(listener: (event: ControlEvent) => void): void {
    this.listeners.add(listener);
  }

  private emit(event: ControlEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private async broadcastNow(op: BroadcastOp, body: unknown, strict: boolean): Promise<BroadcastResponseDto> {
    await this.stack.refreshWorkers();
    const results = await Promise.all(
      this.stack.dataProxies.map(async (proxy): Promise<BroadcastTargetResultDto> => {
        const base = { worker_id: proxy.workerId, data_proxy: proxy.addr };
        if (!proxy.workerId) return { ...base, ok: false, status: null, error: 'not registered in the router' };
        try {
          const res = await this.gateway.workerOp(op, proxy.workerId, body ?? {});
          const failed = res.status !== 200 || workerResultsFailed(res.json);
          return { ...base, ok: !failed, status: res.status, error: failed ? res.text.slice(0, 300) : null };
        } catch (err) {
          return { ...base, ok: false, status: null, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const succeeded = results.filter((r) => r.ok).length;
    const ok = strict || this.options['strict-broadcast'] ? succeeded === results.length : succeeded > 0;
    if (!ok) {
      this.logger.warn({ op, failures: results.filter((r) => !r.ok) }, 'broadcast failed');
      throw new AppException(
        502,
        ErrorCode.UPSTREAM_UNAVAILABLE,
        `${op} failed on ${results.length - succeeded} of ${results.length} data proxies`,
        {
          body: { error: `${op} failed`, code: ErrorCode.UPSTREAM_UNAVAILABLE, results },
        },
      );
    }
    if (op === 'set_version') {
      this.version = (body as { version: number }).version;
      this.emit({ kind: 'version', version: this.version });
    }
    if (op === 'pause_generation') this.paused = true;
    if (op === 'continue_generation') {
      this.paused = false;
      this.emit({ kind: 'continue' });
    }
    // The data proxies pause and drain their engines before releasing memory; generation resumes
    // only after onload and continue, so an offload is a pause too.
    if (op === 'release_memory_occupation') {
      this.offloaded = true;
      this.paused = true;
    }
    if (op === 'resume_memory_occupation') this.offloaded = false;
    return { ok, results };
  }

  /** Topology and the health of every service, asked in parallel. */
  async status(): Promise<ControllerStatusResponseDto> {
    await this.stack.refreshWorkers();
    const health = async (addr: string, path = '/health'): Promise<unknown> => {
      if (!addr) return null;
      try {
        const res = await this.http.requestJson({ method: 'GET', url: `${addr}${path}`, timeoutMs: 2_000 });
        return res.status === 200
          ? { ok: true, ...(isJsonObject(res.json) ? res.json : {}) }
          : { ok: false, status: res.status };
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    };
    const [gateway, router, proxies, engines, capacity] = await Promise.all([
      health(this.stack.gatewayAddr),
      health(this.stack.routerAddr),
      Promise.all(this.stack.dataProxies.map((d) => health(d.addr))),
      // Not the engines' /health: SGLang's generates a token (>= 1 s) and fails during a long pause.
      Promise.all(this.stack.engineAddrs.map((a) => health(a, '/v1/models'))),
      this.stack.routerAddr
        ? this.router.capacity().then(
            (r) => r.json ?? null,
            () => null,
          )
        : Promise.resolve(null),
    ]);
    return {
      state: this.stack.state,
      error: this.stack.error,
      mode: this.options.mode,
      version: this.version,
      paused: this.paused,
      offloaded: this.offloaded,
      gateway: { addr: this.stack.gatewayAddr, health: gateway },
      router: { addr: this.stack.routerAddr, health: router },
      data_proxies: this.stack.dataProxies.map((d, i) => ({ addr: d.addr, worker_id: d.workerId, health: proxies[i] })),
      engines: this.stack.engineAddrs.map((addr, i) => ({ addr, health: engines[i] })),
      capacity,
      processes: this.stack.processes.map((p) => ({
        name: p.name,
        state: p.state,
        pid: p.pid ?? null,
        port: p.port,
        restarts: p.restarts,
        last_exit: p.lastExit,
      })),
      ready_queue: {
        queued: this.ready.size,
        waiters: this.ready.waiting,
        received: this.ready.received,
        duplicates: this.ready.duplicates,
        dropped: this.ready.dropped,
      },
    };
  }
}

/** The gateway's per-worker answer `{results: [{ok}]}`: any `ok: false` is a failure. */
function workerResultsFailed(json: unknown): boolean {
  if (!isJsonObject(json) || !Array.isArray(json.results)) return false;
  return json.results.some((r) => isJsonObject(r) && r.ok === false);
}

import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_OPTIONS, HttpClient } from '@app/common';
import type { RouterOptions } from '../config/router-options.js';
import { RouterState } from '../router-state.js';

/** Largest `/health` body the router reads from a worker; anything bigger counts as a failure. */
const MAX_HEALTH_BODY_BYTES = 64 * 1024;

/** Field names engines and data proxies use for their in-flight request count. */
const ACTIVE_REQUEST_FIELDS = ['active_requests', 'running_requests', 'num_running_reqs', 'in_flight'];

function activeRequestsOf(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  for (const field of ACTIVE_REQUEST_FIELDS) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

/**
 * Polls every worker's `GET /health` in parallel, each check with its own timeout, then sleeps
 * `--poll-interval` ± jitter. A worker is unhealthy after `--unhealthy-threshold` consecutive
 * failures (non-200, transport error, timeout) and healthy again after one success. With
 * `--evict-after-polls N`, a worker silent for N intervals is evicted with its sessions.
 */
@Injectable()
export class HealthPollerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HealthPollerService.name);
  private readonly checking = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly state: RouterState,
    private readonly http: HttpClient,
    @Inject(APP_OPTIONS) private readonly options: RouterOptions,
  ) {}

  onApplicationBootstrap(): void {
    void this.loop();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One round: checks every registered worker in parallel, then applies eviction. */
  async pollOnce(): Promise<void> {
    await Promise.all(this.state.workers.addrs().map((addr) => this.checkWorker(addr)));
    this.evictSilentWorkers();
  }

  /** Checks one worker now (also used right after a worker registers). Never throws. */
  async checkWorker(addr: string): Promise<void> {
    if (this.checking.has(addr)) return;
    this.checking.add(addr);
    const before = this.state.workers.getByAddr(addr)?.healthy;
    try {
      let result: { ok: true; activeRequests?: number } | { ok: false; error: string };
      try {
        const response = await this.http.requestJson({
          method: 'GET',
          url: `${addr.replace(/\/+$/, '')}/health`,
          timeoutMs: this.options.ms['worker-health-timeout'],
          maxResponseBytes: MAX_HEALTH_BODY_BYTES,
          upstreamName: `worker ${addr}`,
        });
        result =
          response.status === 200
            ? { ok: true, activeRequests: activeRequestsOf(response.json) }
            : { ok: false, error: `HTTP ${response.status}` };
      } catch (err) {
        result = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      this.state.workers.recordHealthCheck(addr, result, this.options['unhealthy-threshold']);
      const after = this.state.workers.getByAddr(addr)?.healthy;
      if (before !== undefined && after !== undefined && before !== after) {
        const fields = { worker: addr, error: result.ok ? undefined : result.error };
        if (after) this.logger.log(fields, 'worker healthy again');
        else this.logger.warn(fields, 'worker marked unhealthy');
      }
    } finally {
      this.checking.delete(addr);
    }
  }

  private evictSilentWorkers(now: number = Date.now()): void {
    const polls = this.options['evict-after-polls'];
    if (polls <= 0) return;
    const silentMs = polls * this.options.ms['poll-interval'];
    for (const worker of this.state.workers.allWorkers()) {
      if (now - worker.lastSeenAt >= silentMs) {
        const sessionsRevoked = this.state.removeWorker(worker.addr);
        this.logger.warn({ worker: worker.addr, workerId: worker.workerId, sessionsRevoked }, 'evicted silent worker');
      }
    }
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.pollOnce();
    } catch (err) {
      this.logger.error({ err }, 'health poll round failed');
    }
    if (this.stopped) return;
    const base = this.options.ms['poll-interval'];
    const jitter = this.options['health-jitter'];
    const delay = Math.max(1, base * (1 + jitter * (2 * Math.random() - 1)));
    this.timer = setTimeout(() => void this.loop(), delay);
    this.timer.unref();
  }
}
